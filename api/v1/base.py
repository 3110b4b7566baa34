"""The API object of /api/v1/, who may call it (an API key or the signed-in session), how fast,
and its errors as problem details (api.problems)."""

import json
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from ninja import NinjaAPI, Status
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.openapi.docs import DocsBase
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder
from ninja.security import APIKeyCookie, HttpBearer
from ninja.throttling import SimpleRateThrottle
from ninja.utils import check_csrf

from accounts.access import SUPER_ADMIN
from accounts.errors import DomainError
from accounts.models import Account, Membership, acting_through_api_key
from accounts.policy import AccountPermission, membership_can, membership_is_super_admin
from api.models import ApiKey, ApiScope
from api.problems import PROBLEM_CONTENT_TYPE, Problem, domain_problem, problem_response
from api.problems import validation_problem as _validation_problem
from api.selectors import api_key_for_token
from api.services import Answer, api_key_used, idempotent


@dataclass(frozen=True)
class Caller:
    """Who is calling: an API key of the account, or a member signed in to it (`key` None).
    `membership` is whose rights the services check: the key's maker, or the member."""

    account: Account
    membership: Membership
    key: ApiKey | None = None

    def __str__(self) -> str:  # the rate limit's bucket (CallerRateThrottle)
        return f"key:{self.key.pk}" if self.key else f"member:{self.membership.pk}"

    def attributed(self) -> AbstractContextManager[None]:
        """Changes made inside the block are the key's in the Audit log."""
        return acting_through_api_key(self.key.name) if self.key else nullcontext()


class ScopeMissing(Exception):
    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


class CsrfFailed(Exception):
    pass


class KeyAuth(HttpBearer):
    """`Authorization: Bearer smk_...`: a live key of the account holding `scope`."""

    def __init__(self, scope: ApiScope) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        now = timezone.now()
        key = api_key_for_token(token, now=now)
        if key is None:
            return None
        if self.scope not in key.scopes:
            raise ScopeMissing(self.scope)
        api_key_used(key=key, now=now)
        return Caller(account=key.account, membership=key.created_by, key=key)


# What a signed-in member needs for each scope: the page's own rule for the same thing.
SCOPE_RIGHTS: dict[ApiScope, AccountPermission | str] = {
    ApiScope.USERS_READ: AccountPermission.USERS,
    ApiScope.USERS_WRITE: AccountPermission.USERS,
    ApiScope.TEAMS_WRITE: AccountPermission.TEAMS,
    ApiScope.BILLING_READ: AccountPermission.BILLING,
    ApiScope.BILLING_WRITE: AccountPermission.BILLING,
    ApiScope.AUDIT_READ: SUPER_ADMIN,
}


class SessionAuth(APIKeyCookie):
    """The signed-in session, for the same-origin pages' scripts: the member's own rights in the
    current account, a write only with the CSRF token (X-CSRFToken). A request that sends an
    Authorization header is the key's alone."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self, scope: ApiScope) -> None:
        super().__init__(csrf=False)
        self.scope = scope

    def __call__(self, request: HttpRequest) -> Caller | None:
        if "Authorization" in request.headers or not request.user.is_authenticated:
            return None
        membership = getattr(request, "membership", None)
        if membership is None:
            return None
        if check_csrf(request) is not None:
            raise CsrfFailed
        right = SCOPE_RIGHTS[self.scope]
        allowed = (
            membership_is_super_admin(membership)
            if right == SUPER_ADMIN
            else membership_can(membership, AccountPermission(right))
        )
        if not allowed:
            raise ScopeMissing(self.scope)
        return Caller(account=membership.account, membership=membership)

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        return None  # __call__ decides (ninja's abstract hook)


class CallerRateThrottle(SimpleRateThrottle):
    """At most SEATMGR_API_RATE calls per caller (a key, or a signed-in member) in each window,
    counted with the default cache's atomic increment: Redis INCR when CACHE_URL names Redis,
    so every web process and thread shares one count.

    Not ninja's own SimpleRateThrottle algorithm, whose rate format this reuses: that one reads a
    list of timestamps, appends and writes it back (two concurrent calls both pass), and keeps
    the request's state on the one throttle object every thread shares.
    """

    scope = "api"

    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()

    def get_rate(self) -> str:
        return settings.SEATMGR_API_RATE

    def allow_request(self, request: HttpRequest) -> bool:
        caller = getattr(request, "auth", None)
        if caller is None:
            return True
        limit, window = self.parse_rate(self.get_rate())  # read per call: settings may change
        now = self.timer()
        start = int(now // window) * window
        key = f"api-rate:{caller}:{start}"
        # Counting first: only a window's first call (or one after an eviction) also creates
        # the count, so a call costs the cache one increment rather than an add and one.
        try:
            count = cache.incr(key)
        except ValueError:  # or another call created it meanwhile: then it counts on
            count = 1 if cache.add(key, 1, timeout=window + 1) else cache.incr(key)
        self._local.retry_after = start + window - now
        return count <= limit

    def wait(self) -> float:
        return self._local.retry_after


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


class _Encoder(NinjaJSONEncoder):
    """Ninja's encoder, with a moment written first, as Django's encoder writes it: the value an
    answer most often holds that JSON has no type for (two a user). Ninja's own checks (models,
    URLs, addresses, enums) went before it and were most of the cost of a page of users."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            return DjangoJSONEncoder.default(self, o)
        return super().default(o)


class _Renderer(JSONRenderer):
    encoder_class = _Encoder


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
        "Users, teams, seats and billing of one seatmgr account, for scripts. Authenticate with "
        "an API key made on Settings → API keys: `Authorization: Bearer smk_...`; the signed-in "
        "session works too, with the CSRF token on writes. Errors are RFC 9457 problem details. "
        "Too many calls from one key: 429 with Retry-After."
    ),
    urls_namespace="api_v1",
    docs=SchemaPage(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    throttle=[CallerRateThrottle()],
    renderer=_Renderer(),
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
    who = "This API key" if "Authorization" in request.headers else "You"
    verb = "lacks" if who == "This API key" else "lack"
    return problem_response(
        403, code="scope_missing", detail=f"{who} {verb} the scope “{exc.scope}”."
    )


@api.exception_handler(CsrfFailed)
def _csrf_failed(request, exc):
    return problem_response(
        403,
        code="csrf_failed",
        detail="A signed-in write needs the page's CSRF token in the X-CSRFToken header.",
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


@api.exception_handler(Throttled)
def _throttled(request, exc):
    return problem_response(
        429,
        code="rate_limited",
        detail=f"Too many calls from this key: at most {settings.SEATMGR_API_RATE}. "
        "Retry after the seconds in Retry-After.",
    )


@api.exception_handler(HttpError)
def _http_error(request, exc):
    return problem_response(exc.status_code, code="http_error", detail=str(exc))


def needs(scope: ApiScope) -> dict[str, Any]:
    """An operation's caller check, and the scope in its schema (`x-required-scope`)."""
    return {
        "auth": [KeyAuth(scope), SessionAuth(scope)],
        "openapi_extra": {"x-required-scope": scope.value},
    }


# Every operation may answer these; each adds its own.
ERRORS = {401: Problem, 403: Problem, 422: Problem, 429: Problem}


def idempotent_post(
    caller: Caller,
    *,
    operation: str,
    idempotency_key: str,
    body: dict[str, Any],
    change: Callable[[Callable[[Any], None]], Any],
    answer: Callable[[Any], Answer],
) -> Status:
    """A POST that creates or charges, once per `Idempotency-Key` (api.services.idempotent).
    `change(commit_with)` calls the page's service, which calls `commit_with(result)` inside its
    own transaction; `answer(result)` is what the caller is told, and what a replay gets."""

    def act(keep) -> Answer:
        answers: list[Answer] = []

        def commit_with(result) -> None:
            answers.append(answer(result))
            keep(answers[0])

        change(commit_with)
        return answers[0]

    with caller.attributed():
        kept = idempotent(
            caller=caller,
            idempotency_key=idempotency_key,
            operation=operation,
            request_body=json.dumps(body, sort_keys=True).encode(),
            act=act,
        )
    return Status(kept.status, kept.body)
