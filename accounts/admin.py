"""Django admin for operators (staff), not for customers."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    Account,
    AuditEvent,
    Membership,
    PartnerDomain,
    PermissionSet,
    Preset,
    SolutionsPartner,
    Team,
    User,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "language"]}),
        (
            _("Operator access"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "id", "created_at"]
    search_fields = ["name"]
    date_hierarchy = "created_at"


class PartnerDomainInline(admin.TabularInline):
    model = PartnerDomain
    extra = 1


@admin.register(PartnerDomain)
class PartnerDomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "partner"]
    list_select_related = ["partner"]
    search_fields = ["domain", "partner__name"]


@admin.register(SolutionsPartner)
class SolutionsPartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name", "domains__domain"]
    filter_horizontal = ["accounts"]
    inlines = [PartnerDomainInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "account",
        "seat_type",
        "is_super_admin",
        "access",
        "status",
        "last_active_at",
    ]
    list_filter = ["seat_type", "status", "is_super_admin", "access"]
    list_select_related = ["user", "account"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "account__name"]
    raw_id_fields = ["user", "account", "main_team", "permission_set", "preset", "created_by"]
    filter_horizontal = ["extra_teams"]
    # Seats and permissions change through the services (locks, ledger, audit), not here.
    readonly_fields = [
        "seat_type",
        "is_super_admin",
        "permissions",
        "access",
        "permission_set",
        "permission_template",
        "status",
    ]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "parent"]
    list_select_related = ["account", "parent"]
    search_fields = ["name", "account__name"]
    raw_id_fields = ["account", "parent"]


@admin.register(PermissionSet)
class PermissionSetAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "updated_at"]
    list_select_related = ["account"]
    search_fields = ["name", "account__name"]
    raw_id_fields = ["account"]


@admin.register(Preset)
class PresetAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "permission_set", "default_language"]
    list_select_related = ["account", "permission_set"]
    search_fields = ["name", "account__name"]
    raw_id_fields = ["account", "permission_set", "main_team"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "account", "actor", "verb", "target_email"]
    list_filter = ["verb"]
    list_select_related = ["account", "actor"]
    search_fields = ["account__name", "actor__email", "target_email"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
