"""/scim/v2/: the SCIM 2.0 service provider (RFC 7643, RFC 7644) for the account of the API key
(scope "scim") a request carries. Resources are scim2-models objects (scim.resources); the
writes are scim.services; every error is a SCIM Error message (`status` a string, `scimType`
where RFC 7644 §3.12 has one):

    400 invalidSyntax   a body that is not JSON, or not a SCIM message
    400 invalidValue    a value the product refuses (seatType unknown, a name too long...)
    400 invalidFilter   a filter it can't read or doesn't support
    400 invalidPath / noTarget   a PATCH path it can't follow
    400 mutability      a change of userName (people are global), of a read-only attribute
    401                 no live API key (WWW-Authenticate: Bearer)
    403                 a live API key without the scope "scim"
    404                 an id not of this account
    405                 a method the endpoint doesn't answer (Allow: those it does)
    409 uniqueness      userName, or a group's displayName, already taken
    409 (no scimType)   no seat of the type is left (not "uniqueness": identity providers read
                        that as "exists already, link it"), or another state conflict
    413                 a body over DATA_UPLOAD_MAX_MEMORY_SIZE
"""

import json
import re
from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError
from scim2_models import (
    Context,
    Error,
    Group,
    InvalidSyntaxException,
    InvalidValueException,
    ListResponse,
    NotFoundException,
    PatchOp,
    ResourceType,
    ResponseParameters,
    Schema,
    SCIMException,
)

from accounts.access import own_methods, public
from accounts.errors import DomainError, TeamNameTaken
from accounts.models import Membership, Team
from api.models import ApiScope
from api.problems import CONFLICTS
from api.selectors import api_key_for_token
from api.services import api_key_used
from api.v1.base import Caller
from scim.errors import UserExists, UserNameImmutable
from scim.filters import filter_q
from scim.resources import (
    EXTENSION_URN,
    MAX_RESULTS,
    ScimUser,
    SeatmgrUser,
    group_resource,
    resource_types,
    schemas,
    service_provider_config,
    user_resource,
)
from scim.selectors import (
    member_teams,
    scim_group_get,
    scim_group_members,
    scim_groups,
    scim_user_get,
    scim_users,
)
from scim.services import (
    UserFields,
    scim_group_create,
    scim_group_delete,
    scim_group_update,
    scim_user_create,
    scim_user_delete,
    scim_user_update,
)
from seats.errors import NotEnoughSeats

CONTENT_TYPE = "application/scim+json"
CORE_USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"


# --- Answers --------------------------------------------------------------------------------


def _json(payload: Any, status: int = 200, location: str | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(payload), status=status, content_type=CONTENT_TYPE)
    if location:
        response["Location"] = location
    return response


def _error(status: int, detail: str, scim_type: str | None = None) -> HttpResponse:
    error = Error(status=status, scim_type=scim_type, detail=detail)
    response = _json(error.model_dump(), status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="seatmgr SCIM"'
    return response


def _domain_error(error: DomainError) -> HttpResponse:
    if isinstance(error, (UserExists, TeamNameTaken)):
        return _error(409, str(error), "uniqueness")
    if isinstance(error, UserNameImmutable):
        return _error(400, str(error), "mutability")
    if isinstance(error, (NotEnoughSeats, *CONFLICTS)):
        return _error(409, str(error))
    return _error(400, str(error), "invalidValue")


class ScopeMissing(Exception):
    """A live key of the account, without the scope "scim": known, but not allowed (403)."""


def _caller(request: HttpRequest) -> Caller | None:
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    now = timezone.now()
    key = api_key_for_token(token.strip(), now=now)
    if key is None:
        return None
    if ApiScope.SCIM not in key.scopes:
        raise ScopeMissing
    api_key_used(key=key, now=now)
    return Caller(account=key.account, membership=key.created_by, key=key)


def scim_view(methods: tuple[str, ...]) -> Callable:
    """A SCIM endpoint: the key checked, the methods it answers, every refusal a SCIM Error,
    every change attributed to the key in the Audit log. Public for the page middleware (its
    own key check, no session, no CSRF token: a Bearer key is not sent by a browser)."""

    def wrap(view: Callable) -> Callable:
        @public
        @own_methods
        @csrf_exempt
        @wraps(view)
        def endpoint(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                caller = _caller(request)
            except ScopeMissing:
                return _error(403, "This API key lacks the scope “scim”: make a SCIM key.")
            if caller is None:
                return _error(401, "Send a live API key of scope “scim”: Authorization: Bearer.")
            if request.method not in methods:
                response = _error(405, f"{request.path} answers {', '.join(methods)}.")
                response["Allow"] = ", ".join(methods)
                return response
            try:
                with caller.attributed():
                    return view(request, caller, *args, **kwargs)
            except SCIMException as error:
                return _json(error.to_error().model_dump(), status=int(error.status))
            except DomainError as error:
                return _domain_error(error)
            except RequestDataTooBig:
                return _error(413, "The request body is too large.")
            except Http404:
                return _error(404, "There is no resource with this id here.")

        return endpoint

    return wrap


def _body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        raise InvalidSyntaxException(detail="The body is not JSON.") from None
    if not isinstance(body, dict):
        raise InvalidSyntaxException(detail="The body is not a SCIM message (a JSON object).")
    return body


def _patch_body(request: HttpRequest) -> dict:
    """A PatchOp body, Microsoft Entra ID's remove-by-value read as RFC 7644 writes it: Entra
    sends {"op": "Remove", "path": "members", "value": [{"value": "<id>"}]}, which scim2-models
    refuses (a remove carries no value); it is one remove per item, `members[value eq "<id>"]`."""
    body = _body(request)
    operations = body.get("Operations")
    if not isinstance(operations, list):
        return body
    out = []
    for operation in operations:
        if _is_remove_by_value(operation):
            out.extend(
                {"op": "remove", "path": f'{operation["path"]}[value eq "{item["value"]}"]'}
                for item in operation["value"]
            )
        else:
            out.append(operation)
    return {**body, "Operations": out}


# RFC 7643's User attributes seatmgr doesn't keep (scim.resources.USER_ATTRIBUTES are those it
# keeps): accepted and not kept. Microsoft Entra ID maps some by default (title, phone numbers,
# addresses) and PATCHes them with a value filter (`phoneNumbers[type eq "work"].value`), which
# scim2-models refuses (noTarget) on a resource that has none.
UNKEPT_USER_ATTRIBUTES = {
    "title",
    "phonenumbers",
    "addresses",
    "preferredlanguage",
    "locale",
    "timezone",
    "nickname",
    "profileurl",
    "usertype",
    "ims",
    "photos",
    "entitlements",
    "roles",
    "x509certificates",
    "password",
}
KNOWN_SCHEMAS = {CORE_USER_URN.lower(), EXTENSION_URN.lower()}


def _other_schema(name) -> bool:
    """Whether a key or path names another schema's extension (Entra sends the enterprise
    extension, urn:ietf:params:scim:schemas:extension:enterprise:2.0:User, by default)."""
    if not isinstance(name, str) or not name.lower().startswith("urn:"):
        return False
    return not any(name.lower().startswith(known) for known in KNOWN_SCHEMAS)


def _user_body(request: HttpRequest) -> dict:
    """A User body without other schemas' extensions: accepted and not kept."""
    body = _body(request)
    out = {k: v for k, v in body.items() if not _other_schema(k)}
    if isinstance(body.get("schemas"), list):
        out["schemas"] = [s for s in body["schemas"] if not _other_schema(s)]
    return out


def _user_patch_body(request: HttpRequest) -> dict | None:
    """A User PatchOp body without the operations on attributes seatmgr doesn't keep (None when
    nothing else is left: nothing to change)."""
    body = _patch_body(request)
    operations = body.get("Operations")
    if not isinstance(operations, list) or not operations:
        return body
    kept = []
    for operation in operations:
        path = operation.get("path") if isinstance(operation, dict) else None
        root = re.split(r"[.\[]", path, maxsplit=1)[0].lower() if isinstance(path, str) else ""
        if _other_schema(path) or root in UNKEPT_USER_ATTRIBUTES:
            continue
        value = operation.get("value") if isinstance(operation, dict) else None
        if not path and isinstance(value, dict):
            operation = {
                **operation,
                "value": {k: v for k, v in value.items() if not _other_schema(k)},
            }
        kept.append(operation)
    return {**body, "Operations": kept} if kept else None


def _is_remove_by_value(operation) -> bool:
    if not isinstance(operation, dict) or str(operation.get("op", "")).lower() != "remove":
        return False
    path, value = operation.get("path"), operation.get("value")
    return (
        isinstance(path, str)
        and path.isidentifier()
        and isinstance(value, list)
        and bool(value)
        and all(
            isinstance(item, dict)
            and isinstance(item.get("value"), str)
            and '"' not in item["value"]
            and "\\" not in item["value"]
            for item in value
        )
    )


def _parsed(model, body: dict, context: Context):
    try:
        return model.model_validate(body, scim_ctx=context)
    except SCIMException:
        raise
    except ValidationError as error:
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        detail = f"{where}: {first.get('msg', 'not valid')}"
        # scim2-models says which refusal it is (invalidPath, mutability...): keep it.
        scim_type = (first.get("ctx") or {}).get("scim_type")
        if scim_type in ("invalidPath", "noTarget", "mutability", "invalidSyntax"):
            error = Error(status=400, scim_type=scim_type, detail=detail)
            raise SCIMException.from_error(error) from None
        raise InvalidValueException(detail=detail) from None
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise InvalidSyntaxException(detail=str(error)[:300]) from None


def _parameters(request: HttpRequest) -> ResponseParameters | None:
    attributes = request.GET.get("attributes")
    excluded = request.GET.get("excludedAttributes")
    if not attributes and not excluded:
        return None
    return _parsed(
        ResponseParameters,
        {
            **({"attributes": attributes.split(",")} if attributes else {}),
            **({"excludedAttributes": excluded.split(",")} if excluded else {}),
        },
        Context.SEARCH_REQUEST,
    )


def _dump(resource, request: HttpRequest, context=Context.RESOURCE_QUERY_RESPONSE) -> dict:
    return resource.model_dump(scim_ctx=context, response_parameters=_parameters(request))


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("scim:root")).rstrip("/")


def _page(request: HttpRequest) -> tuple[int, int]:
    """startIndex (1-based) and count, as RFC 7644 §3.4.2.4 reads them: below 1 is 1, a
    negative count is 0, a count above MAX_RESULTS is MAX_RESULTS."""

    def number(name: str, default: int) -> int:
        raw = request.GET.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise InvalidValueException(detail=f"{name} must be a whole number.") from None

    start = max(number("startIndex", 1), 1)
    count = min(max(number("count", MAX_RESULTS), 0), MAX_RESULTS)
    return start, count


# --- Discovery ------------------------------------------------------------------------------


@scim_view(("GET",))
def root(request, caller):
    return _error(404, "See /ServiceProviderConfig, /ResourceTypes, /Schemas, /Users, /Groups.")


@scim_view(("GET",))
def service_provider_config_view(request, caller):
    base = _base(request)
    config = service_provider_config(
        documentation=request.build_absolute_uri(reverse("scim:settings")),
        location=f"{base}/ServiceProviderConfig",
    )
    return _json(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _listed(model, items: list) -> dict:
    return ListResponse[model](
        total_results=len(items),
        start_index=1,
        items_per_page=len(items),
        resources=items,
    ).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


@scim_view(("GET",))
def resource_types_view(request, caller, name: str | None = None):
    types = resource_types(_base(request))
    if name is None:
        return _json(_listed(ResourceType, types))
    for resource_type in types:
        if resource_type.id == name:
            return _json(resource_type.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    raise NotFoundException(detail=f"There is no resource type “{name}”.")


@scim_view(("GET",))
def schemas_view(request, caller, schema_id: str | None = None):
    found = schemas(_base(request))
    if schema_id is None:
        return _json(_listed(Schema, found))
    for schema in found:
        if schema.id == schema_id:
            return _json(schema.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    raise NotFoundException(detail=f"There is no schema “{schema_id}”.")


# --- Users ----------------------------------------------------------------------------------


def _user_location(request, member_id: int) -> str:
    return f"{_base(request)}/Users/{member_id}"


def _user_out(request, member: Membership) -> ScimUser:
    return user_resource(
        member, location=_user_location(request, member.pk), groups=member_teams(member)
    )


def _fields(resource: ScimUser, *, current: Membership | None = None) -> UserFields:
    """What a User resource asks for. Absent attributes of a replacement are cleared, as RFC
    7644 §3.5.1 says, except what seatmgr keeps of its own (the seat, super admin)."""
    if not resource.user_name:
        raise InvalidValueException(detail="userName is required.")
    extension = _extension(resource)
    name = resource.name
    return UserFields(
        email=str(resource.user_name).strip(),
        first_name=(name.given_name or "") if name else "",
        last_name=(name.family_name or "") if name else "",
        external_id=resource.external_id or "",
        active=resource.active if resource.active is not None else True,
        seat_type=extension.seat_type if extension else None,
        super_admin=extension.super_admin if extension else None,
    )


def _extension(resource: ScimUser) -> SeatmgrUser | None:
    try:
        return resource[SeatmgrUser]
    except (KeyError, TypeError):
        return None


def _names_fit(fields: UserFields) -> None:
    for label, value, limit in (
        ("userName", fields.email, 254),
        ("name.givenName", fields.first_name, 150),
        ("name.familyName", fields.last_name, 150),
        ("externalId", fields.external_id, 255),
    ):
        if len(value) > limit or "\x00" in value:
            raise InvalidValueException(detail=f"{label} is too long or holds a NUL character.")


def _user_get(caller: Caller, member_id: str) -> Membership:
    member = scim_user_get(account=caller.account, member_id=member_id)
    if member is None:
        raise NotFoundException(detail=f"There is no user “{member_id[:50]}” here.")
    return member


@scim_view(("GET", "POST"))
def users(request, caller):
    if request.method == "POST":
        resource = _parsed(ScimUser, _user_body(request), Context.RESOURCE_CREATION_REQUEST)
        fields = _fields(resource)
        _names_fit(fields)
        member = scim_user_create(account=caller.account, actor=caller.membership, fields=fields)
        member = _user_get(caller, str(member.pk))
        return _json(
            _dump(_user_out(request, member), request, Context.RESOURCE_CREATION_RESPONSE),
            status=201,
            location=_user_location(request, member.pk),
        )
    found = scim_users(account=caller.account)
    if request.GET.get("filter"):
        found = found.filter(filter_q(request.GET["filter"], resource="User"))
    start, count = _page(request)
    total = found.count()
    # A startIndex past the end reads nothing (and a huge one is no database offset).
    page = list(found[start - 1 : start - 1 + count]) if count and start <= total else []
    listing = ListResponse[ScimUser](
        total_results=total,
        start_index=start,
        items_per_page=len(page),
        resources=[_user_out(request, m) for m in page],
    )
    return _json(
        listing.model_dump(
            scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=_parameters(request)
        )
    )


@scim_view(("GET", "PUT", "PATCH", "DELETE"))
def user(request, caller, member_id: str):
    member = _user_get(caller, member_id)
    if request.method == "GET":
        return _json(_dump(_user_out(request, member), request))
    if request.method == "DELETE":
        scim_user_delete(member=member, actor=caller.membership)
        return HttpResponse(status=204)
    if request.method == "PUT":
        resource = _parsed(ScimUser, _user_body(request), Context.RESOURCE_REPLACEMENT_REQUEST)
        fields = _fields(resource)
        # seatmgr's own attributes a replacement leaves out stay as they are.
        if _extension(resource) is None:
            fields = _keep_seat(fields, member)
    else:
        body = _user_patch_body(request)
        if body is None:
            context = Context.RESOURCE_PATCH_RESPONSE
            return _json(_dump(_user_out(request, member), request, context))
        patch = _parsed(PatchOp[ScimUser], body, Context.RESOURCE_PATCH_REQUEST)
        resource = _user_out(request, member)
        try:
            patch.patch(resource)
        except SCIMException:
            raise
        except (ValueError, TypeError) as error:
            raise InvalidValueException(detail=str(error)[:300]) from None
        fields = _fields(resource)
        fields = _keep_unpatched_seat(fields, member, patch)
    _names_fit(fields)
    member = scim_user_update(member=member, actor=caller.membership, fields=fields)
    member = _user_get(caller, str(member.pk))
    context = (
        Context.RESOURCE_REPLACEMENT_RESPONSE
        if request.method == "PUT"
        else Context.RESOURCE_PATCH_RESPONSE
    )
    return _json(_dump(_user_out(request, member), request, context))


def _keep_seat(fields: UserFields, member: Membership) -> UserFields:
    scim = getattr(member, "scim", None)
    sent = scim.seat_type_sent if scim else ""
    return replace(fields, seat_type=sent or None, super_admin=None)


def _keep_unpatched_seat(fields: UserFields, member: Membership, patch) -> UserFields:
    """A PATCH that doesn't touch the extension changes no seat: the resource it was applied
    to carries the member's seat, which is not a seat the identity provider sent."""
    touched = json.dumps(patch.model_dump(scim_ctx=None), default=str).lower()
    if "seattype" in touched or "superadmin" in touched or "seatmgr" in touched:
        return fields
    return _keep_seat(fields, member)


# --- Groups ---------------------------------------------------------------------------------


def _group_location(request, team_id: int) -> str:
    return f"{_base(request)}/Groups/{team_id}"


def _group_out(request, team: Team, *, with_members: bool = True) -> Group:
    return group_resource(
        team,
        location=_group_location(request, team.pk),
        members=scim_group_members(team=team) if with_members else None,
        users_url=f"{_base(request)}/Users",
    )


def _wants_members(request) -> bool:
    excluded = request.GET.get("excludedAttributes", "").lower()
    attributes = request.GET.get("attributes", "").lower()
    return "members" not in excluded and (not attributes or "members" in attributes)


def _group_get(caller: Caller, team_id: str) -> Team:
    team = scim_group_get(account=caller.account, team_id=team_id)
    if team is None:
        raise NotFoundException(detail=f"There is no group “{team_id[:50]}” here.")
    return team


def _members_of(caller: Caller, values: list[str]) -> list[Membership]:
    ids = []
    for value in values:
        if not str(value).isdigit() or len(str(value)) > 18:
            raise InvalidValueException(
                detail=f"“{str(value)[:50]}” is not a user of this account."
            )
        ids.append(int(value))
    found = list(
        Membership.objects.filter(account=caller.account, pk__in=ids).select_related("user")
    )
    if len(found) != len(set(ids)):
        missing = sorted(set(ids) - {m.pk for m in found})
        raise InvalidValueException(detail=f"No user of this account has the id {missing[0]}.")
    return found


def _display_name(resource: Group) -> str:
    name = (resource.display_name or "").strip()
    if not name:
        raise InvalidValueException(detail="displayName is required.")
    if len(name) > 100 or "\x00" in name:
        raise InvalidValueException(detail="displayName is at most 100 characters.")
    return name


def _group_external_id(resource: Group) -> str:
    external_id = resource.external_id or ""
    if len(external_id) > 255 or "\x00" in external_id:
        raise InvalidValueException(detail="externalId is too long or holds a NUL character.")
    return external_id


@scim_view(("GET", "POST"))
def groups(request, caller):
    if request.method == "POST":
        resource = _parsed(Group, _body(request), Context.RESOURCE_CREATION_REQUEST)
        members = _members_of(caller, [m.value for m in resource.members or [] if m.value])
        team = scim_group_create(
            account=caller.account,
            actor=caller.membership,
            name=_display_name(resource),
            external_id=_group_external_id(resource),
            members=members,
        )
        team = _group_get(caller, str(team.pk))
        return _json(
            _dump(_group_out(request, team), request, Context.RESOURCE_CREATION_RESPONSE),
            status=201,
            location=_group_location(request, team.pk),
        )
    found = scim_groups(account=caller.account)
    if request.GET.get("filter"):
        found = found.filter(filter_q(request.GET["filter"], resource="Group"))
    start, count = _page(request)
    total = found.count()
    # A startIndex past the end reads nothing (and a huge one is no database offset).
    page = list(found[start - 1 : start - 1 + count]) if count and start <= total else []
    with_members = _wants_members(request)
    listing = ListResponse[Group](
        total_results=total,
        start_index=start,
        items_per_page=len(page),
        resources=[_group_out(request, t, with_members=with_members) for t in page],
    )
    return _json(
        listing.model_dump(
            scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=_parameters(request)
        )
    )


@scim_view(("GET", "PUT", "PATCH", "DELETE"))
def group(request, caller, team_id: str):
    team = _group_get(caller, team_id)
    if request.method == "GET":
        return _json(
            _dump(_group_out(request, team, with_members=_wants_members(request)), request)
        )
    if request.method == "DELETE":
        scim_group_delete(team=team, actor=caller.membership)
        return HttpResponse(status=204)
    before = scim_group_members(team=team)
    if request.method == "PUT":
        resource = _parsed(Group, _body(request), Context.RESOURCE_REPLACEMENT_REQUEST)
        context = Context.RESOURCE_REPLACEMENT_RESPONSE
    else:
        patch = _parsed(PatchOp[Group], _patch_body(request), Context.RESOURCE_PATCH_REQUEST)
        resource = _group_out(request, team)
        try:
            patch.patch(resource)
        except SCIMException:
            raise
        except (ValueError, TypeError) as error:
            raise InvalidValueException(detail=str(error)[:300]) from None
        context = Context.RESOURCE_PATCH_RESPONSE
    wanted = _members_of(caller, [m.value for m in resource.members or [] if m.value])
    wanted_ids = {m.pk for m in wanted}
    before_ids = {m.pk for m in before}
    scim_group_update(
        team=team,
        actor=caller.membership,
        name=_display_name(resource),
        external_id=_group_external_id(resource),
        add=[m for m in wanted if m.pk not in before_ids],
        remove=[m for m in before if m.pk not in wanted_ids],
    )
    team = _group_get(caller, team_id)
    return _json(_dump(_group_out(request, team), request, context))
