"""RFC 9457 problem details: every error of /api/v1/ as `application/problem+json`.

`type` is a URN naming the problem (`urn:seatmgr:problem:<code>`, the DomainError's stable
code where there is one), `title` says it in a few words, `detail` in a sentence for a person,
`errors` lists what is wrong field by field (422 only).
"""

from typing import Any

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from pydantic import BaseModel

from accounts.errors import DomainError
from api.errors import IdempotencyKeyInFlight
from billing.errors import (
    CardDeclined,
    CardInvalid,
    GatewayUnavailable,
    NoCardOnFile,
    NoSubscription,
    RemovalTooLarge,
    SeatsNotForSale,
)
from seats.errors import NotEnoughSeats

PROBLEM_CONTENT_TYPE = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Server error",
}

# Refusals because of the account's state (retrying later, or after buying seats, may work):
# 409. Any other DomainError is about what was sent: 422.
CONFLICTS: tuple[type[DomainError], ...] = (NotEnoughSeats, IdempotencyKeyInFlight)
# Billing: no plan, a plan that doesn't sell the seats, no card or one the provider refuses
# (or can't be reached: nothing was charged), more seats removed than are free. (A seat type
# the subscription lacks stays a 422 here, as it is for POST /users.)
CONFLICTS += (
    NoSubscription,
    SeatsNotForSale,
    NoCardOnFile,
    CardInvalid,
    CardDeclined,
    GatewayUnavailable,
    RemovalTooLarge,
)


class FieldError(BaseModel):
    field: str
    detail: str


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


def problem_response(
    status: int, *, code: str, detail: str, errors: list[dict[str, str]] | None = None
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": f"urn:seatmgr:problem:{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    response = JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="seatmgr"'
    return response


def domain_problem(error: DomainError) -> HttpResponse:
    status = 409 if isinstance(error, CONFLICTS) else 422
    problems = getattr(error, "problems", None)
    if problems is not None:  # a refused batch: why, address by address
        errors = [{"field": email, "detail": str(why)} for email, why in problems]
    elif status == 422:
        errors = [{"field": error.field or "", "detail": str(error)}]
    else:
        errors = None
    return problem_response(status, code=error.code, detail=str(error), errors=errors)


def validation_problem(errors: list[dict[str, Any]]) -> HttpResponse:
    """Pydantic's errors, one per field, the field named by its path ("body.users.0.email")."""
    fields = [
        {"field": ".".join(str(part) for part in e.get("loc", ())), "detail": str(e.get("msg"))}
        for e in errors
    ]
    return problem_response(
        422, code="invalid_request", detail=_("Some fields are not valid."), errors=fields
    )
