"""What the bulk tests share (test_seat.py's bulk seat change, test_bulk_edit.py): View-only
members to select, and a snapshot that shows a refused batch changed nobody."""

from accounts.models import AuditEvent, Membership
from tests.factories import MembershipFactory


def viewers(account, n):
    return [
        MembershipFactory(account=account, view_only=True, user__email=f"v{i}@acme.example")
        for i in range(n)
    ]


def snapshot(account):
    rows = Membership.objects.filter(account=account).order_by("pk")
    return list(
        rows.values_list("seat_type", "status", "is_super_admin")
    ), AuditEvent.objects.count()
