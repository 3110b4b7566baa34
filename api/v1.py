"""/api/v1/: the JSON API, on django-ninja. Thin operations over the pages' own services and
selectors; errors as problem details (api.problems); a Bearer API key with a scope per operation.

A key acts for its account as the super admin who made it (that person's rights, checked by the
services as for a page), and every audit event written during a request names the key
(AuditEvent.api_key_name): the Audit log shows "API key “name”" with the person under it.
"""

import base64
import binascii
import json
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from ninja import Header, NinjaAPI, Query, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import DocsBase
from ninja.security import HttpBearer

from accounts.access import public
from accounts.errors import DomainError
from accounts.models import Membership, acting_through_api_key
from api.models import ApiKey, ApiScope
from api.problems import PROBLEM_CONTENT_TYPE, Problem, domain_problem, problem_response
from api.problems import validation_problem as _validation_problem
from api.schemas import (
    NO_NUL,
    SeatCode,
    SeatsOut,
    SortCode,
    StatusCode,
    UserOut,
    UserPage,
    UsersCreated,
    UsersCreateIn,
)
from api.selectors import api_key_for_token
from api.services import Answer, api_key_used, idempotent
from billing.selectors import subscription_live_get
from invitations.parsing import ParsedPerson
from invitations.services.members import members_invite
from seats.permissions.choice import AccessChoice
from seats.pools.selectors import seat_pool_summaries
from seats.users.selectors import SORTS, DirectoryFilters, member_directory


class ScopeMissing(Exception):
    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


class KeyAuth(HttpBearer):
    """`Authorization: Bearer smk_...`: a live key of the account holding `scope`."""

    def __init__(self, scope: ApiScope) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        now = timezone.now()
        key = api_key_for_token(token, now=now)
        if key is None:
            return None
        if self.scope not in key.scopes:
            raise ScopeMissing(self.scope)
        api_key_used(key=key, now=now)
        return key


class SchemaPage(DocsBase):
    """/api/v1/docs: the schema as a page of seatmgr's own (no script, nothing from a CDN)."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        schema = api.get_openapi_schema(path_params=kwargs)
        operations = [
            {
                "method": method.upper(),
                "path": path,
                "x_scope": operation.get("x-required-scope", ""),
                **operation,
                # A docstring's line breaks are the source's, not the text's.
                "description": " ".join(operation.get("description", "").split()),
            }
            for path, methods in schema["paths"].items()
            for method, operation in methods.items()
        ]
        return render(
            request,
            "api/docs.html",
            {
                "schema": schema,
                "operations": operations,
                "openapi_url": self.get_openapi_url(api, kwargs),
                "schema_json": json.dumps(schema["components"], indent=2),
            },
        )


class SeatmgrApi(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """Ninja's schema, with every error answer as application/problem+json (RFC 9457)."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for methods in schema["paths"].values():
            for operation in methods.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        content[PROBLEM_CONTENT_TYPE] = content.pop("application/json")
        return schema


api = SeatmgrApi(
    title="seatmgr API",
    version="1",
    description=(
        "Users and seats of one seatmgr account, for scripts. Authenticate with an API key made "
        "on Settings → API keys: `Authorization: Bearer smk_...`. Errors are RFC 9457 problem "
        "details."
    ),
    urls_namespace="api_v1",
    docs=SchemaPage(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


# --- Errors as problem details ----------------------------------------------------------------


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    return problem_response(
        401,
        code="unauthorized",
        detail="Send a valid API key: Authorization: Bearer smk_... "
        "(unknown, revoked and expired keys are refused).",
    )


@api.exception_handler(ScopeMissing)
def _forbidden(request, exc):
    return problem_response(
        403, code="scope_missing", detail=f"This API key lacks the scope “{exc.scope}”."
    )


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem_response(404, code="not_found", detail="There is nothing with this id here.")


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    return _validation_problem(exc.errors)


@api.exception_handler(DomainError)
def _refused(request, exc):
    return domain_problem(exc)


@api.exception_handler(HttpError)
def _http_error(request, exc):
    return problem_response(exc.status_code, code="http_error", detail=str(exc))


def _needs(scope: ApiScope) -> dict[str, Any]:
    """An operation's key check, and the scope in its schema (`x-required-scope`)."""
    return {"auth": KeyAuth(scope), "openapi_extra": {"x-required-scope": scope.value}}


# Every operation may answer these; each adds its own.
ERRORS = {401: Problem, 403: Problem, 422: Problem}


# --- Users ------------------------------------------------------------------------------------


def _user_out(member: Membership, now) -> dict[str, Any]:
    state = member.invitation_state_at(now)
    return {
        "id": member.pk,
        "email": member.user.email,
        "name": member.display_name,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "status": member.status,
        "seat_type": member.seat_type,
        "is_super_admin": member.is_super_admin,
        "access": member.access,
        "permission_set_id": member.permission_set_id,
        "permission_template": member.permission_template,
        "main_team": (
            {"id": member.main_team.pk, "name": member.main_team.name} if member.main_team else None
        ),
        "extra_teams": [{"id": t.pk, "name": t.name} for t in member.extra_teams.all()],
        "invitation_state": state.value if state else None,
        "last_active_at": member.last_active_at,
        "created_at": member.created_at,
    }


def _columns(sort: str) -> tuple[str, ...]:
    # The Users tab's sort columns, then the id: a total order, so a cursor names one place.
    return (*SORTS[sort.lstrip("-")], "id")


def _cursor_encode(sort: str, member: Membership) -> str:
    values = []
    for column in _columns(sort):
        obj: Any = member
        for part in column.split("__"):
            obj = getattr(obj, part)
        values.append(obj)
    raw = json.dumps([sort, values]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_after(members: QuerySet, sort: str, cursor: str) -> QuerySet:
    """The rows after the cursor's, in the sort's order (keyset: stable under inserts)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, values = json.loads(raw)
        columns = _columns(sort)
        if cursor_sort != sort or len(values) != len(columns):
            raise ValueError
        if not isinstance(values[-1], int) or not all(isinstance(v, str) for v in values[:-1]):
            raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationError(
            [{"loc": ("query", "cursor"), "msg": "Not a cursor of this list and sort."}]
        ) from None
    op = "lt" if sort.startswith("-") else "gt"
    after = Q()
    for i, column in enumerate(columns):
        step = Q(**{f"{column}__{op}": values[i]})
        for earlier, value in zip(columns[:i], values[:i], strict=False):
            step &= Q(**{earlier: value})
        after |= step
    return members.filter(after)


@api.get(
    "/users",
    response={200: UserPage, **ERRORS},
    **_needs(ApiScope.USERS_READ),
    summary="List users",
    tags=["users"],
)
def users_list(
    request,
    status: StatusCode | None = None,
    seat: SeatCode | None = None,
    q: str = Query("", max_length=200, pattern=NO_NUL, description="Words of the name or email."),
    sort: SortCode = "name",
    cursor: str | None = Query(None, max_length=2000, pattern=NO_NUL),
    limit: int = Query(50, ge=1, le=100),
):
    """The Users tab's list: filtered by status, seat and a search, sorted, a page at a time.
    Pages follow `next_cursor`; a user added meanwhile shifts nothing already read."""
    now = timezone.now()
    filters = DirectoryFilters(
        q=q,
        seat_type=seat or "",
        status=status or "",
        sort=sort.lstrip("-"),
        descending=sort.startswith("-"),
    )
    members = member_directory(account=request.auth.account, filters=filters, now=now)
    if cursor:
        members = _cursor_after(members, sort, cursor)
    rows = list(members[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "users": [_user_out(m, now) for m in rows],
        "next_cursor": _cursor_encode(sort, rows[-1]) if more else None,
    }


def _member_get(account, member_id: int) -> Membership:
    filters = DirectoryFilters()
    member = (
        member_directory(account=account, filters=filters, now=timezone.now())
        .filter(pk=member_id)
        .first()
    )
    if member is None:
        raise Http404
    return member


@api.get(
    "/users/{user_id}",
    response={200: UserOut, 404: Problem, **ERRORS},
    **_needs(ApiScope.USERS_READ),
    summary="Get a user",
    tags=["users"],
)
def user_get(request, user_id: int):
    """One user of the key's account, as the list shows them; another account's id is a 404."""
    return _user_out(_member_get(request.auth.account, user_id), timezone.now())


@api.post(
    "/users",
    response={201: UsersCreated, 400: Problem, 409: Problem, **ERRORS},
    **_needs(ApiScope.USERS_WRITE),
    summary="Create users",
    tags=["users"],
)
def users_create(
    request,
    payload: UsersCreateIn,
    idempotency_key: str = Header(
        ...,
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=NO_NUL,
        description="A new value for each new batch; a retry with the same one is answered "
        "with the first answer and adds nobody twice.",
    ),
):
    """Create user, for up to 100 addresses on one seat with one access choice: the page's
    rules exactly, all or nothing (a refused batch lists why, address by address)."""
    key: ApiKey = request.auth
    body = payload.model_dump(mode="json")

    def act(keep) -> Answer:
        now = timezone.now()
        answers: list[Answer] = []

        def answer_keep(result) -> None:
            ids = [m.pk for m in result.memberships]
            members = member_directory(account=key.account, filters=DirectoryFilters(), now=now)
            created = {m.pk: m for m in members.filter(pk__in=ids)}
            users = [UserOut(**_user_out(created[pk], now)).model_dump(mode="json") for pk in ids]
            answer = Answer(201, {"users": users, "created_people": result.created_users})
            keep(answer)
            answers.append(answer)

        members_invite(
            account=key.account,
            actor_membership=key.created_by,
            people=[ParsedPerson(p.email, p.first_name, p.last_name) for p in payload.users],
            seat_type=payload.seat_type,
            access=AccessChoice(
                mode=payload.access.mode,
                template=payload.access.template,
                permissions=payload.access.permissions,
            ),
            send_email=payload.send_email,
            now=now,
            commit_with=answer_keep,
        )
        return answers[0]

    with acting_through_api_key(key.name):
        answer = idempotent(
            key=key,
            idempotency_key=idempotency_key,
            operation="POST /users",
            request_body=json.dumps(body, sort_keys=True).encode(),
            act=act,
        )
    return Status(answer.status, answer.body)


# --- Seats ------------------------------------------------------------------------------------


@api.get(
    "/seats",
    response={200: SeatsOut, **ERRORS},
    **_needs(ApiScope.BILLING_READ),
    summary="Seat counts",
    tags=["seats"],
)
def seats_list(request):
    """Each paid seat type: assigned, available, purchased now and at renewal, included,
    pending removal, and the renewal date (as Users & Teams → Seats shows them)."""
    account = request.auth.account
    subscription = subscription_live_get(account=account)
    renewal = timezone.localdate(subscription.current_period_end) if subscription else None
    return {
        "renewal_date": renewal,
        "seats": [
            {
                "seat_type": pool.seat_type,
                "label": pool.label,
                "assigned": pool.assigned,
                "available": pool.available,
                "included": pool.included,
                "purchased": pool.purchased,
                "purchased_at_renewal": pool.purchased - pool.pending_removal,
                "pending_removal": pool.pending_removal,
                "total": pool.total,
                "total_at_renewal": pool.total_at_renewal,
                "renewal_date": renewal,
            }
            for pool in seat_pool_summaries(account=account)
        ],
    }


# The JSON API checks its own key on every operation: for seatmgr's page middleware, each of its
# views is public (no sign-in redirect, no session needed) and says so.
def urls():
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback = public(pattern.callback)
    return patterns, app_name, namespace
