from django import template
from django.utils.translation import gettext as _

from accounts.models import Access, Membership
from seats.catalogue import builtin_permission_set_get
from seats.errors import UnknownPermissionSet

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
