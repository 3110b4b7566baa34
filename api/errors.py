"""The API's own refusals, under accounts.errors.DomainError like every other floor's."""

from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError


class ApiError(DomainError):
    code = "api_error"


class ApiKeyNameRequired(ApiError):
    code = "api_key_name_required"
    field = "name"
    message = _("Give the key a name.")


class ApiKeyScopesRequired(ApiError):
    code = "api_key_scopes_required"
    field = "scopes"
    message = _("Choose at least one scope.")


class ApiKeyExpiryPast(ApiError):
    code = "api_key_expiry_past"
    field = "expires_on"
    message = _("Choose an expiry date from today on, or leave it empty.")


class IdempotencyKeyReused(ApiError):
    """The same `Idempotency-Key` was sent with a different request."""

    code = "idempotency_key_reused"
    field = "Idempotency-Key"
    message = _(
        "This Idempotency-Key was used for a different request. Use a new key for a new request."
    )


class IdempotencyKeyInFlight(ApiError):
    """Another request with the same `Idempotency-Key` is being answered right now."""

    code = "idempotency_key_in_flight"
    message = _("A request with this Idempotency-Key is in progress. Retry in a moment.")
