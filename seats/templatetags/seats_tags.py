from django import template
from django.urls import get_script_prefix, reverse
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext as _

from accounts.models import Access, Membership
from accounts.templatetags.moments import ago
from seats.catalogue import LANDING_PAGES
from seats.errors import UnknownPermissionSet
from seats.permission_sets.builtin import builtin_permission_set_get

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


# The Users list renders this for each of its 50 rows. Django's {% url %} costs tens of
# microseconds a call (a URL pattern reversed): below, once per URL prefix. (Its seat and status
# labels are accounts' `labels` library.)
_MEMBER_URLS: dict[str, tuple[str, str]] = {}
_MEMBER_URL_KEY = 987654321


@register.filter
def member_url(membership_id: int) -> str:
    """The user's page, as {% url 'seats:user' membership_id %} gives it."""
    prefix = get_script_prefix()
    parts = _MEMBER_URLS.get(prefix)
    if parts is None:
        url = reverse("seats:user", kwargs={"membership_id": _MEMBER_URL_KEY})
        before, _key, after = url.partition(str(_MEMBER_URL_KEY))
        parts = _MEMBER_URLS[prefix] = (before, after)
    return f"{parts[0]}{int(membership_id)}{parts[1]}"
