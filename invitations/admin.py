"""Django admin for operators. Tokens are never shown: only their hash is stored."""

from django.contrib import admin

from invitations.models import Invitation


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "membership",
        "created_at",
        "expires_at",
        "sent_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["sent_at", "accepted_at", "revoked_at"]
    list_select_related = ["membership__account", "membership__user"]
    search_fields = ["email", "membership__account__name"]
    exclude = ["token_hash"]
    readonly_fields = ["membership", "email", "created_by", "created_at", "sent_at", "accepted_at"]
