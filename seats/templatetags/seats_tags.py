from django import template
from django.urls import get_script_prefix, reverse
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext as _

from accounts.models import Access, Membership
from accounts.templatetags.moments import ago
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
_MEMBER_URLS: dict[tuple[str, str], tuple[str, str]] = {}
_MEMBER_URL_KEY = 987654321


@register.filter
def member_url(membership_id: int, page: str = "") -> str:
    """A user's page, as {% url 'seats:user' membership_id %} gives it; with `page`, another
    of their pages: "history" ({% url 'seats:user_history' %}) or an action of their
    "Actions" menu ("deactivate": {% url 'seats:user_action' membership_id 'deactivate' %})."""
    prefix = get_script_prefix()
    parts = _MEMBER_URLS.get((prefix, page))
    if parts is None:
        if not page:
            url = reverse("seats:user", kwargs={"membership_id": _MEMBER_URL_KEY})
        elif page == "history":
            url = reverse("seats:user_history", kwargs={"membership_id": _MEMBER_URL_KEY})
        else:
            url = reverse(
                "seats:user_action", kwargs={"membership_id": _MEMBER_URL_KEY, "action": page}
            )
        before, _key, after = url.partition(str(_MEMBER_URL_KEY))
        parts = _MEMBER_URLS[(prefix, page)] = (before, after)
    return f"{parts[0]}{int(membership_id)}{parts[1]}"


# "Release seat" in a user's Actions menu (their page and their row): the rule is the service's.
register.filter("seat_releasable", seat_releasable)


@register.filter
def permission_level(level: str) -> str:
    """A permission level as the editor names it: "everything" -> "Everything"."""
    return str(level_label(level))


@register.simple_tag(takes_context=True)
def seat_requests_open(context) -> int:
    """The count on the "Seat requests" tab of Users & Teams: one query, only where it shows."""
    membership = context.get("current_membership")
    if membership is None:
        return 0
    return seat_requests_open_count(account=membership.account)
