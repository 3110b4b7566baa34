"""A bench-only Django admin, with the memberships changelist configured fairly against the
Users tab: the same columns, the same joins (list_select_related) plus the extra teams
prefetched, the same page size, ordering and filters. Registered on its own AdminSite, never on
the application's admin.site (accounts/admin.py is left as it is)."""

from django.contrib import admin
from django.db.models import Prefetch

from accounts.models import Membership, Team
from seats.templatetags.seats_tags import membership_access_label


class BenchAdminSite(admin.AdminSite):
    site_header = "seatmgr bench admin"


# Named "admin" so that the admin templates' {% url 'admin:...' %} resolve and so that
# DenyByDefaultMiddleware leaves it to guard itself, as it does the real admin.
site = BenchAdminSite(name="admin")


class FairMembershipAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "email",
        "seat_type",
        "access_label",
        "teams",
        "status",
        "invitation",
        "last_active_at",
    ]
    # The Users tab's joins, plus the account: Django 5's changelist labels each row's checkbox
    # with str(obj), and Membership.__str__ names the user and the account.
    list_select_related = ["user", "account", "main_team", "permission_set"]
    list_per_page = 50
    list_filter = ["seat_type", "status", "access", "is_super_admin"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    # The Users tab's name order, with the same index to read it from (Membership.sort_name).
    ordering = ["sort_name", "id"]
    # Django's documented setting for large tables: no second, unfiltered COUNT(*).
    show_full_result_count = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("extra_teams", queryset=Team.objects.order_by("name")))
        )

    @admin.display(description="Name", ordering="sort_name")
    def name(self, obj):
        return obj.user.full_name or obj.user.email

    @admin.display(description="Email", ordering="user__email")
    def email(self, obj):
        return obj.user.email

    @admin.display(description="Access")
    def access_label(self, obj):
        return membership_access_label(obj)

    @admin.display(description="Teams")
    def teams(self, obj):
        names = [obj.main_team.name] if obj.main_team else []
        names += [t.name for t in obj.extra_teams.all()]
        return ", ".join(names) or "—"

    @admin.display(description="Invitation")
    def invitation(self, obj):
        state = obj.invitation_state
        return state.label if state else "—"


site.register(Membership, FairMembershipAdmin)
