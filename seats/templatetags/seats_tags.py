from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from html import escape as _esc

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import Access, InvitationState, Membership, MembershipStatus, SeatType
from accounts.templatetags.labels import choice_labels
from accounts.templatetags.moments import ago, ago_in
from accounts.text import moment_text
from seats.catalogue import LANDING_PAGES, level_label
from seats.errors import UnknownPermissionSet
from seats.permission_sets.builtin import builtin_permission_set_get
from seats.permissions.choice import preset_set_name
from seats.requests.selectors import seat_requests_open_count
from seats.users.services.lifecycle import seat_releasable

register = template.Library()


@register.filter
def access_label(membership: Membership) -> str:
    """The Users list's "Access" column: Super admin / a permission set's name / Custom /
    Seat defaults. Uses only what the row already holds (no query)."""
    return membership_access_label(membership)


def membership_access_label(membership: Membership) -> str:
    if membership.is_super_admin:
        return _("Super admin")
    if membership.access == Access.PERMISSION_SET and membership.permission_set is not None:
        return membership.permission_set.name
    if membership.access == Access.TEMPLATE:
        try:
            return str(builtin_permission_set_get(membership.permission_template).name)
        except UnknownPermissionSet:
            return _("Custom")
    if membership.access == Access.CUSTOM:
        return _("Custom")
    return _("Seat defaults")


@register.filter
def preset_set(preset) -> str:
    """The set a preset bundles, by name (built-in or the account's); "" for none."""
    return preset_set_name(preset)


@register.filter
def breakable_email(address: str) -> str:
    """The address, escaped, with a line-break opportunity before its "@": a long address
    wraps into two readable halves instead of widening its table column."""
    local, at, domain = str(address).rpartition("@")
    if not at:
        return conditional_escape(address)
    return format_html("{}<wbr>@{}", local, domain)


@register.filter
def landing_page_label(code: str) -> str:
    """A preset's landing page by its name ("Marketing email"), "" as "Account default"."""
    return str(dict(LANDING_PAGES).get(code, code))


# "ago" lives with accounts' moments (the notifications page says times the same way); the
# Users list loads it from here.
register.filter("ago", ago)


# The Users list renders these for each of its 50 rows. Django's {% url %} costs tens of
# microseconds a call (a URL pattern reversed): below, once per URL prefix and page. (Its seat
# and status labels are accounts' `labels` library.)
_MEMBER_URLS: dict[tuple[str, ...], tuple[str, str]] = {}
_MEMBER_URL_KEY = 987654321


@register.filter
def member_url(membership_id: int, page: str = "") -> str:
    """A user's page, as {% url 'seats:user' membership_id %} gives it; with `page`, another
    of their pages: "history" ({% url 'seats:user_history' %}) or an action of their
    "Actions" menu ("deactivate": {% url 'seats:user_action' membership_id 'deactivate' %})."""
    return _member_page(membership_id, page)


def _member_page(membership_id: int, page: str = "", prefix: str = "") -> str:
    """member_url, with the script prefix given by a caller (a list) that looked it up once."""
    if not page:
        return _member_path("seats:user", membership_id, prefix)
    if page == "history":
        return _member_path("seats:user_history", membership_id, prefix)
    return _member_path("seats:user_action", membership_id, prefix, action=page)


def _member_path(name: str, membership_id: int, prefix: str = "", **kwargs: str) -> str:
    """{% url name membership_id **kwargs %}, reversed once per URL prefix and page. `prefix`:
    the script prefix, when the caller (a list) has looked it up already."""
    prefix = prefix or get_script_prefix()
    key = (prefix, name, *kwargs.values())
    parts = _MEMBER_URLS.get(key)
    if parts is None:
        url = reverse(name, kwargs={"membership_id": _MEMBER_URL_KEY, **kwargs})
        before, _key, after = url.partition(str(_MEMBER_URL_KEY))
        parts = _MEMBER_URLS[key] = (before, after)
    return f"{parts[0]}{int(membership_id)}{parts[1]}"


# "Release seat" in a user's Actions menu (their page and their row): the rule is the service's.
register.filter("seat_releasable", seat_releasable)


@register.filter
def permission_level(level: str) -> str:
    """A permission level as the editor names it: "everything" -> "Everything"."""
    return str(level_label(level))


# The Users list's rows, the "Actions" menu and the invite link's copy button, drawn in Python:
# through the template engine the 50 rows took most of the page's time (a variable lookup,
# filter or {% include %} costs microseconds, and a row holds about seventy), while here a row
# is a few string joins. The menu and the copy button are the only copies (a user's page and
# "Users created" draw them with these tags too). Everything shown is escaped.


_TEXTS: dict[str | None, dict[str, str]] = {}


def _texts(language: str | None = None) -> dict[str, str]:
    """The rows' fixed words, translated and escaped once per language (the active one)."""
    language = language or get_language()
    text = _TEXTS.get(language)
    if text is None:
        words = {
            "history": _("View permissions history"),
            "reset_password": _("Reset password"),
            "remove_super_admin": _("Remove super admin"),
            "make_super_admin": _("Make super admin"),
            "release_seat": _("Release seat"),
            "reactivate": _("Reactivate user"),
            "remove": _("Remove from account"),
            "deactivate": _("Deactivate user"),
            "copied": _("Copied"),
            "copy_manually": _("Press Ctrl+C to copy"),
            "copy_failed": _("Could not make a link"),
            "copy": _("Copy invite link"),
            "invite_link": _("Invite link"),
            "main_team": _("Main team"),
            "actions": _("Actions"),
            "never": _("Never"),
            "resend": _("Resend invite"),
            "revoke": _("Revoke invite"),
        }
        text = _TEXTS[language] = {key: _esc(str(word)) for key, word in words.items()}
    return text


@register.simple_tag(takes_context=True)
def member_actions(context, member: Membership) -> str:
    """The items of a user's "Actions" menu, on their page and in their row of the Users list:
    each a link to the action's confirmation page (the view checks the permission again).
    `next_query` (optional, "?next=…") is where a finished or cancelled action returns."""
    can = context.get("can") or {}
    return mark_safe(  # noqa: S308 - built from escaped parts
        _actions_html(
            member,
            can_super_admin=bool(can.get("super_admin")),
            next_query=_esc(context.get("next_query") or ""),
        )
    )


def _actions_html(
    member: Membership, *, can_super_admin: bool, next_query: str, prefix: str = "", text=None
) -> str:
    """`prefix` and `text` (the script prefix and _texts()): looked up here unless given."""
    pk, status = member.pk, member.status
    text = text or _texts()
    items = [f'<li><a href="{_member_page(pk, "history", prefix)}">{text["history"]}</a></li>']

    def action(name: str) -> None:
        url = _member_page(pk, name, prefix)
        items.append(f'<li><a href="{url}{next_query}">{text[name]}</a></li>')

    if status == MembershipStatus.ACTIVE:
        action("reset_password")
    if can_super_admin:
        if member.is_super_admin:
            action("remove_super_admin")
        elif member.seat_type != SeatType.VIEW_ONLY and status != MembershipStatus.DEACTIVATED:
            action("make_super_admin")
    if seat_releasable(member):
        action("release_seat")
    if status == MembershipStatus.DEACTIVATED:
        action("reactivate")
        action("remove")
    elif status == MembershipStatus.ACTIVE:
        action("deactivate")
    return "\n".join(items)


@register.simple_tag
def copy_invite_link(member: Membership) -> str:
    """ "Copy invite link": a button that asks for a fresh link (static/js/app.js), the field
    that shows it when the clipboard refuses, and a status line saying what happened."""
    return mark_safe(_copy_link_html(member.pk))  # noqa: S308 - built from escaped parts


def _copy_link_html(pk: int, prefix: str = "", text=None) -> str:
    text = text or _texts()
    return (
        f'<span class="copy-link" data-copied="{text["copied"]}" '
        f'data-copy-manually="{text["copy_manually"]}" data-copy-failed="{text["copy_failed"]}">\n'
        f'<button type="button" class="button small" '
        f'data-copy-invite="{_member_path("invitations:invite_link_copy", pk, prefix)}" '
        f'aria-describedby="copy-status-{pk}">{text["copy"]}</button>\n'
        f'<input type="text" class="copy-link-url" readonly hidden '
        f'aria-label="{text["invite_link"]}">\n'
        f'<span class="copy-status" id="copy-status-{pk}" role="status"></span>\n</span>'
    )


@dataclass
class _RowsPage:
    """What every row of one page shares, looked up once for the page: the language, the time
    zone and the script prefix are context-local values (asgiref's Local), each read costing
    more than the string it helps build, and a row read them about a dozen times; the labels
    are a few, shown fifty times."""

    now: datetime
    language: str | None
    zone: tzinfo
    zone_name: str
    prefix: str
    text: dict[str, str]
    csrf: str
    can_super_admin: bool
    next_query: str
    select: str
    actions_for: str
    seats: dict[str, str]
    statuses: dict[str, str]
    # Escaped labels met so far on the page: an access (by what decides it) and invitations.
    access: dict[tuple, str] = field(default_factory=dict)
    invitations: dict[InvitationState, str] = field(default_factory=dict)


@register.simple_tag(takes_context=True)
def users_rows(context, members) -> str:
    """The Users list's rows (<tr>…</tr> each): the checkbox for bulk edit, name and address,
    seat, access, teams, status and invitation, last active, and the row's "Actions" menu
    (with the invitation's actions for an invited user). `members`: DirectoryRows, with their
    extra teams."""
    can = context.get("can") or {}
    language = get_language()
    page = _RowsPage(
        now=timezone.now(),
        language=language,
        zone=timezone.get_current_timezone(),
        zone_name=_esc(timezone.get_current_timezone_name()),
        prefix=get_script_prefix(),
        text=_texts(language),
        # {% csrf_token %}, drawn once for the page's "Resend invite" forms.
        csrf=CsrfTokenNode().render(context),
        can_super_admin=bool(can.get("super_admin")),
        next_query=_esc(context.get("next_query") or ""),
        select=_("Select %(email)s"),
        actions_for=_("Actions for %(name)s"),
        seats={code: _esc(label) for code, label in choice_labels(SeatType).items()},
        statuses={code: _esc(label) for code, label in choice_labels(MembershipStatus).items()},
    )
    return mark_safe(  # noqa: S308 - built from escaped parts
        "".join(_row_html(m, extra=m.extra_teams, page=page) for m in members)
    )


def _access_html(m, page: _RowsPage) -> str:
    """The "Access" cell's content, escaped: drawn once per page for each access met."""
    permission_set = m.permission_set
    key = (
        m.is_super_admin,
        m.access,
        permission_set and permission_set.name,
        m.permission_template,
    )
    drawn = page.access.get(key)
    if drawn is None:
        drawn = _esc(str(membership_access_label(m)))
        if m.is_super_admin:
            drawn = f'<span class="badge">{drawn}</span>'
        page.access[key] = drawn
    return drawn


def _row_html(m, *, extra, page: _RowsPage) -> str:
    pk, email, text, prefix = m.pk, _esc(m.user.email), page.text, page.prefix
    url = _member_page(pk, "", prefix)
    full_name = m.full_name
    if full_name:
        who = (
            f'<a href="{url}">{_esc(full_name)}</a>'
            f'<span class="cell-sub" data-field="email">{email}</span>'
        )
    else:
        who = f'<a href="{url}" data-field="email">{email}</a>'
    main = m.main_team
    names = [_esc(name) for _team_id, name in extra]
    teams_title = (
        ' title="' + (f"{_esc(main.name)}, " if main else "") + ", ".join(names) + '"'
        if extra
        else ""
    )
    teams = (
        ", ".join(
            ([f'<strong title="{text["main_team"]}">{_esc(main.name)}</strong>'] if main else [])
            + names
        )
        or "—"
    )
    status = m.status
    status_text = page.statuses.get(status) or _esc(status)
    status_cell = f'<span class="status status-{_esc(status)}">{status_text}</span>'
    invited = status == MembershipStatus.INVITED
    state = m.invitation_state_at(page.now) if invited else None
    if state:
        label = page.invitations.get(state)
        if label is None:
            label = page.invitations[state] = _esc(str(state.label))
        status_cell += (
            f'<span class="cell-sub invite invite-{state.value}" data-field="invitation">'
            f"{label}</span>"
        )
    last = m.last_active_at
    if last:
        local = timezone.localtime(last, page.zone)
        written = moment_text(local, language=page.language, zone=page.zone)
        last_cell = (
            # isoformat() is what the "c" format gives.
            f'<time datetime="{local.isoformat()}" title="{_esc(written)} {page.zone_name}">'
            f"{_esc(ago_in(last, page.language))}</time>"
        )
    else:
        last_cell = text["never"]
    menu = _actions_html(
        m,
        can_super_admin=page.can_super_admin,
        next_query=page.next_query,
        prefix=prefix,
        text=text,
    )
    if invited:
        resend = _member_path("invitations:invite_resend", pk, prefix)
        menu += (
            f'\n<li class="menu-sep">{_copy_link_html(pk, prefix, text)}</li>\n'
            f'<li><form method="post" action="{resend}">'
            f'{page.csrf}<button type="submit">{text["resend"]}</button></form></li>'
        )
        if state not in (InvitationState.REVOKED, InvitationState.NOT_SENT):
            revoke = _member_path("invitations:invite_revoke", pk, prefix)
            menu += f'\n<li><a href="{revoke}">{text["revoke"]}</a></li>'
    select_label = _esc(page.select % {"email": m.user.email})
    menu_label = _esc(page.actions_for % {"name": m.display_name})
    seat = page.seats.get(m.seat_type) or _esc(m.seat_type)
    return (
        "<tr>"
        f'<td class="select"><input type="checkbox" name="members" value="{pk}" form="bulk" '
        f'aria-label="{select_label}"></td>\n'
        f'<td class="who" title="{email}">{who}</td>\n'
        f'<td class="seat">{seat}</td>\n'
        f'<td class="access">{_access_html(m, page)}</td>\n'
        f'<td class="teams"{teams_title}>{teams}</td>\n'
        f"<td>{status_cell}</td>\n"
        f"<td>{last_cell}</td>\n"
        '<td class="menu-cell"><details class="menu row-menu">'
        f'<summary class="button small" aria-label="{menu_label}" '
        f'aria-controls="row-menu-{pk}" title="{text["actions"]}">'
        '<span aria-hidden="true">⋯</span></summary>\n'
        f'<ul class="menu-items row-menu-items" id="row-menu-{pk}" role="list">\n{menu}\n</ul>'
        "</details></td></tr>\n"
    )


@register.simple_tag(takes_context=True)
def seat_requests_open(context) -> int:
    """The count on the "Seat requests" tab of Users & Teams: one query, only where it shows."""
    membership = context.get("current_membership")
    if membership is None:
        return 0
    return seat_requests_open_count(account=membership.account)
