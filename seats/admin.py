"""Django admin for operators. Pools change through billing services; the ledger is read-only."""

from django.contrib import admin

from seats.models import SeatLedgerEntry, SeatPool


class SeatLedgerInline(admin.TabularInline):
    model = SeatLedgerEntry
    fields = ["created_at", "reason", "included", "purchased", "purchased_at_renewal", "actor"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(SeatPool)
class SeatPoolAdmin(admin.ModelAdmin):
    list_display = [
        "account",
        "seat_type",
        "enabled",
        "included",
        "purchased",
        "purchased_at_renewal",
    ]
    list_filter = ["seat_type", "enabled"]
    list_select_related = ["account"]
    search_fields = ["account__name"]
    readonly_fields = [
        "account",
        "seat_type",
        "enabled",
        "included",
        "purchased",
        "purchased_at_renewal",
    ]
    inlines = [SeatLedgerInline]

    def has_add_permission(self, request):
        return False


@admin.register(SeatLedgerEntry)
class SeatLedgerEntryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "pool",
        "reason",
        "included",
        "purchased",
        "purchased_at_renewal",
        "actor",
    ]
    list_filter = ["reason"]
    list_select_related = ["pool__account", "actor"]
    search_fields = ["pool__account__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
