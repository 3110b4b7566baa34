"""Django admin for operators."""

from django.contrib import admin

from billing.models import Subscription, SubscriptionItem


class SubscriptionItemInline(admin.TabularInline):
    model = SubscriptionItem
    extra = 0


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["account", "interval", "status", "current_period_start", "current_period_end"]
    list_filter = ["interval", "status"]
    list_select_related = ["account"]
    search_fields = ["account__name"]
    raw_id_fields = ["account"]
    inlines = [SubscriptionItemInline]


@admin.register(SubscriptionItem)
class SubscriptionItemAdmin(admin.ModelAdmin):
    list_display = ["subscription", "kind", "product", "tier", "quantity"]
    list_filter = ["kind", "product", "tier"]
    list_select_related = ["subscription__account"]
