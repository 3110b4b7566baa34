"""The authorisation matrix: who may open every URL of seatmgr, and what everyone else gets.

MATRIX is the table as plain data, {"namespace:name": {role: outcome}}, one row per URL name
and one column per role (ROLES). ENDPOINTS says how to request each URL: its arguments, the
methods to exercise, a plausible form body. tests/security/test_authorization_matrix.py checks
that every URL the resolver knows is here, and that each cell holds.

Outcomes:
- "allowed": the page answers (200, or a 302 that is not to the sign-in page). Where an allowed
  cell redirects somewhere specific, ENDPOINTS[name].redirects names the page.
- "403": refused (PermissionDenied, or the "no access" page of a deactivated member).
- "404": the URL names an object outside the requester's current account.
- "login": a 302 to the sign-in page with ?next= the requested path.

The roles are people of Acme (this account) except one:
- "other_account_super_admin" is the super admin of Globex, with no membership in Acme. Their
  current account is Globex, so a page without object ids shows Globex ("allowed" where a super
  admin may open it, which is everywhere), while a page given the id of an Acme object answers
  404: the objects are looked up inside the current account only.
- the "*_holder" roles are Core members holding one administrative toggle of the catalogue's
  Account tab ("Add and edit users", "Add and edit teams", "Edit billing") and nothing else of it.
  Nobody but a super admin holds "Presets" ("account.presets"), so the Presets pages are super
  admins' only.

Object ids (ENDPOINTS[name].kwargs / .data) are always those of the account handed to the
builder: Acme's in the matrix, so that every role but the other account's super admin asks about
objects of their own account; Globex's in the cross-account test.

Django admin (the "admin:" namespace) is out of scope: it guards itself (staff only), outside
accounts.access, and DenyByDefaultMiddleware leaves it alone.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.factories import PASSWORD

if TYPE_CHECKING:
    from tests.security.world import AccountWorld

# --- Roles (the columns) -----------------------------------------------------------------------

ANONYMOUS = "anonymous"
OTHER_ACCOUNT_SUPER_ADMIN = "other_account_super_admin"
DEACTIVATED = "deactivated_member"
VIEW_ONLY = "view_only_member"
PARTNER = "partner_member"
CORE = "core_member"  # a Core seat, no administrative permission
USERS_HOLDER = "users_holder"  # "Add and edit users"
TEAMS_HOLDER = "teams_holder"  # "Add and edit teams"
BILLING_HOLDER = "billing_holder"  # "Edit billing"
SUPER_ADMIN = "super_admin"

ROLES = (
    ANONYMOUS,
    OTHER_ACCOUNT_SUPER_ADMIN,
    DEACTIVATED,
    VIEW_ONLY,
    PARTNER,
    CORE,
    USERS_HOLDER,
    TEAMS_HOLDER,
    BILLING_HOLDER,
    SUPER_ADMIN,
)
SIGNED_IN_ROLES = ROLES[1:]

ALLOWED = "allowed"
FORBIDDEN = "403"
NOT_FOUND = "404"
LOGIN = "login"
# Only for a GET of a require_POST URL, once past the access check (see Endpoint.expected_get).
METHOD_NOT_ALLOWED = "405"
# A public URL that checks its own credential (the payment provider's webhook signature): a
# request without one is refused with 400 and writes nothing.
BAD_REQUEST = "400"
OUTCOMES = (ALLOWED, FORBIDDEN, NOT_FOUND, LOGIN, BAD_REQUEST)

# --- Rows shared by many URLs ------------------------------------------------------------------

# public: sign-in, password reset, invitation links.
PUBLIC = {
    ANONYMOUS: ALLOWED,
    OTHER_ACCOUNT_SUPER_ADMIN: ALLOWED,
    DEACTIVATED: ALLOWED,
    VIEW_ONLY: ALLOWED,
    PARTNER: ALLOWED,
    CORE: ALLOWED,
    USERS_HOLDER: ALLOWED,
    TEAMS_HOLDER: ALLOWED,
    BILLING_HOLDER: ALLOWED,
    SUPER_ADMIN: ALLOWED,
}

# signed_in, whatever the memberships: the account chooser.
SIGNED_IN = {**PUBLIC, ANONYMOUS: LOGIN}

# member_required() and the home page: any active member of the current account.
MEMBER = {**SIGNED_IN, DEACTIVATED: FORBIDDEN}

# member_required(AccountPermission.USERS), a page without object ids.
USERS_PAGE = {
    ANONYMOUS: LOGIN,
    OTHER_ACCOUNT_SUPER_ADMIN: ALLOWED,
    DEACTIVATED: FORBIDDEN,
    VIEW_ONLY: FORBIDDEN,
    PARTNER: FORBIDDEN,
    CORE: FORBIDDEN,
    USERS_HOLDER: ALLOWED,
    TEAMS_HOLDER: FORBIDDEN,
    BILLING_HOLDER: FORBIDDEN,
    SUPER_ADMIN: ALLOWED,
}

# member_required(AccountPermission.TEAMS), a page without object ids.
TEAMS_PAGE = {
    ANONYMOUS: LOGIN,
    OTHER_ACCOUNT_SUPER_ADMIN: ALLOWED,
    DEACTIVATED: FORBIDDEN,
    VIEW_ONLY: FORBIDDEN,
    PARTNER: FORBIDDEN,
    CORE: FORBIDDEN,
    USERS_HOLDER: FORBIDDEN,
    TEAMS_HOLDER: ALLOWED,
    BILLING_HOLDER: FORBIDDEN,
    SUPER_ADMIN: ALLOWED,
}

# member_required(AccountPermission.BILLING), a page without object ids.
BILLING_PAGE = {
    ANONYMOUS: LOGIN,
    OTHER_ACCOUNT_SUPER_ADMIN: ALLOWED,
    DEACTIVATED: FORBIDDEN,
    VIEW_ONLY: FORBIDDEN,
    PARTNER: FORBIDDEN,
    CORE: FORBIDDEN,
    USERS_HOLDER: FORBIDDEN,
    TEAMS_HOLDER: FORBIDDEN,
    BILLING_HOLDER: ALLOWED,
    SUPER_ADMIN: ALLOWED,
}

# member_required(SUPER_ADMIN), and member_required(AccountPermission.PRESETS), which no role
# but a super admin holds.
SUPER_ADMIN_PAGE = {
    ANONYMOUS: LOGIN,
    OTHER_ACCOUNT_SUPER_ADMIN: ALLOWED,
    DEACTIVATED: FORBIDDEN,
    VIEW_ONLY: FORBIDDEN,
    PARTNER: FORBIDDEN,
    CORE: FORBIDDEN,
    USERS_HOLDER: FORBIDDEN,
    TEAMS_HOLDER: FORBIDDEN,
    BILLING_HOLDER: FORBIDDEN,
    SUPER_ADMIN: ALLOWED,
}

# The same pages given the id of an Acme object: the other account's super admin gets a 404.
USERS_OBJECT = {**USERS_PAGE, OTHER_ACCOUNT_SUPER_ADMIN: NOT_FOUND}
TEAMS_OBJECT = {**TEAMS_PAGE, OTHER_ACCOUNT_SUPER_ADMIN: NOT_FOUND}
BILLING_OBJECT = {**BILLING_PAGE, OTHER_ACCOUNT_SUPER_ADMIN: NOT_FOUND}
SUPER_ADMIN_OBJECT = {**SUPER_ADMIN_PAGE, OTHER_ACCOUNT_SUPER_ADMIN: NOT_FOUND}

# --- How to request each URL -------------------------------------------------------------------

GET = ("GET",)
GET_POST = ("GET", "POST")
POST = ("POST",)  # require_POST: a GET that gets past the access check is a 405

Builder = Callable[["AccountWorld"], dict]


def _nothing(_objects: "AccountWorld") -> dict:
    return {}


# The landing page each role's home redirects to (accounts.views.landing_url).
_LANDING = {
    OTHER_ACCOUNT_SUPER_ADMIN: "seats:users",
    VIEW_ONLY: "accounts:profile",
    PARTNER: "accounts:profile",
    CORE: "accounts:profile",
    USERS_HOLDER: "seats:users",
    TEAMS_HOLDER: "accounts:profile",
    BILLING_HOLDER: "billing:account",
    SUPER_ADMIN: "seats:users",
}


@dataclass(frozen=True)
class Endpoint:
    """How the matrix requests one URL name.

    `kwargs`, `query` and `data` build the URL's arguments, its query string and the POST body
    from one account's objects.
    `account_objects`: the arguments (or the body) name objects of that account, so another
    account's ids must give 404. `prepare` names a step run first with the same client
    (tests/security/probe.PREPARE). `redirects` is {method: {role: URL name, or a function of
    the account's objects giving the path}}: the exact page an allowed cell redirects to, where
    that is part of the contract.

    A URL that takes only POST (require_POST) answers a GET with 405 as soon as the access check
    lets it through, before anything is looked up: "allowed" and "404" cells become 405 for a
    GET, the same answer for any id. `get_expected` replaces that rule where the view checks
    more after require_POST.
    """

    expected: dict[str, str]
    methods: tuple[str, ...] = GET
    kwargs: Builder = _nothing
    data: Builder = _nothing
    query: Builder = _nothing
    account_objects: bool = False
    prepare: str | None = None
    redirects: dict[str, dict[str, str | Callable[["AccountWorld"], str]]] = field(
        default_factory=dict
    )
    get_expected: dict[str, str] | None = None

    def redirect_path(self, method: str, role: str, objects: "AccountWorld") -> str | None:
        target = self.redirects.get(method, {}).get(role)
        if target is None:
            return None
        return target(objects) if callable(target) else reverse(target)

    @property
    def expected_get(self) -> dict[str, str]:
        if "GET" in self.methods:
            return self.expected
        if self.get_expected is not None:
            return self.get_expected
        past_the_check = (ALLOWED, NOT_FOUND, BAD_REQUEST)
        return {
            role: METHOD_NOT_ALLOWED if outcome in past_the_check else outcome
            for role, outcome in self.expected.items()
        }


def _member(objects) -> dict:
    return {"membership_id": objects.target.pk}


def _invited(objects) -> dict:
    return {"membership_id": objects.invited.pk}


def _team(objects) -> dict:
    return {"team_id": objects.team.pk}


def _preset(objects) -> dict:
    return {"preset_id": objects.preset.pk}


def _set(objects) -> dict:
    return {"set_id": objects.permission_set.pk}


def _seat_request(objects) -> dict:
    return {"request_id": objects.seat_request.pk}


def _core(_objects) -> dict:
    return {"seat_type": "core"}


# Marketing Hub up to Enterprise, Sales Hub kept: a bundle that costs something today.
_UPGRADE = {
    "interval": "monthly",
    "hub_marketing": "on",
    "tier_marketing": "enterprise",
    "hub_sales": "on",
    "tier_sales": "professional",
}


def _password_reset_link(objects) -> dict:
    user = objects.target.user
    return {
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }


def _password_reset_form(objects) -> str:
    kwargs = {**_password_reset_link(objects), "token": "set-password"}
    return reverse("accounts:password_reset_confirm", kwargs=kwargs)


ENDPOINTS: dict[str, Endpoint] = {
    # --- accounts ------------------------------------------------------------------------------
    "accounts:home": Endpoint(MEMBER, redirects={"GET": _LANDING}),
    "accounts:login": Endpoint(
        PUBLIC,
        GET_POST,
        data=lambda o: {"username": o.target.user.email, "password": PASSWORD},
        # Signed-in people are sent home instead of seeing the form again; a right password
        # signs in and goes home too.
        redirects={
            "GET": dict.fromkeys(SIGNED_IN_ROLES, "accounts:home"),
            "POST": dict.fromkeys(ROLES, "accounts:home"),
        },
    ),
    "accounts:logout": Endpoint(
        PUBLIC, POST, redirects={"POST": dict.fromkeys(ROLES, "accounts:login")}
    ),
    # The signed-out pages' language switcher: a cookie, then back (to sign-in without a page).
    "accounts:language": Endpoint(
        PUBLIC,
        POST,
        data=lambda o: {"language": "fr"},
        redirects={"POST": dict.fromkeys(ROLES, "accounts:login")},
    ),
    "accounts:password_reset": Endpoint(
        PUBLIC,
        GET_POST,
        data=lambda o: {"email": o.target.user.email},
        redirects={"POST": dict.fromkeys(ROLES, "accounts:password_reset_done")},
    ),
    "accounts:password_reset_done": Endpoint(PUBLIC),
    # A valid link moves its token to the session and redirects to the token-free form.
    "accounts:password_reset_confirm": Endpoint(
        PUBLIC,
        GET_POST,
        kwargs=_password_reset_link,
        data=lambda o: {"new_password1": "Another-horse-9", "new_password2": "Another-horse-9"},
        redirects={
            "GET": dict.fromkeys(ROLES, _password_reset_form),
            "POST": dict.fromkeys(ROLES, _password_reset_form),
        },
    ),
    "accounts:password_reset_complete": Endpoint(PUBLIC),
    "accounts:choose_account": Endpoint(SIGNED_IN),
    # The body names an account; the other account's super admin is no member of Acme.
    "accounts:switch_account": Endpoint(
        {**MEMBER, OTHER_ACCOUNT_SUPER_ADMIN: NOT_FOUND},
        POST,
        data=lambda o: {"account": o.account.pk},
        account_objects=True,
        redirects={"POST": {r: p for r, p in _LANDING.items() if r != OTHER_ACCOUNT_SUPER_ADMIN}},
        # signed_in declares the access; require_POST answers before the view's own checks.
        get_expected={ANONYMOUS: LOGIN, **dict.fromkeys(SIGNED_IN_ROLES, METHOD_NOT_ALLOWED)},
    ),
    "accounts:profile": Endpoint(
        MEMBER,
        GET_POST,
        data=lambda o: {"first_name": "Mallory", "last_name": "Intruder", "language": "en"},
    ),
    # Settings → Account defaults: super admins and holders of "Edit account defaults".
    "accounts:account_defaults": Endpoint(
        SUPER_ADMIN_PAGE, GET_POST, data=lambda o: {"default_language": "fr"}
    ),
    "accounts:notifications": Endpoint(MEMBER, GET_POST),
    "accounts:notifications_read": Endpoint(MEMBER, POST),
    # --- seats: Your seat and Seat requests -------------------------------------------------------
    # Every member may ask (a member who isn't on a View-only seat is told so on the form).
    "seats:my_seat": Endpoint(
        MEMBER, GET_POST, data=lambda o: {"seat_type": "core", "reason": "To edit deals"}
    ),
    # Only the requester cancels their own request: anyone else's id is a 404, whoever asks.
    "seats:seat_request_cancel": Endpoint(
        {**MEMBER, **dict.fromkeys(SIGNED_IN_ROLES, NOT_FOUND), DEACTIVATED: FORBIDDEN},
        POST,
        kwargs=_seat_request,
        account_objects=True,
    ),
    "seats:seat_requests": Endpoint(USERS_PAGE),
    "seats:seat_request_approve": Endpoint(
        USERS_OBJECT, POST, kwargs=_seat_request, account_objects=True
    ),
    "seats:seat_request_deny": Endpoint(
        USERS_OBJECT,
        GET_POST,
        kwargs=_seat_request,
        data=lambda o: {"note": "Not this quarter"},
        account_objects=True,
    ),
    # --- seats: Users ----------------------------------------------------------------------------
    "seats:users": Endpoint(USERS_PAGE),
    "seats:users_export": Endpoint(USERS_PAGE),
    # Bulk edit names the selected users in the query string (review) or the body (apply).
    "seats:users_bulk": Endpoint(
        USERS_OBJECT,
        GET_POST,
        query=lambda o: {"members": [o.target.pk], "action": "deactivate"},
        data=lambda o: {"members": [o.target.pk], "action": "deactivate", "release_seats": "on"},
        account_objects=True,
    ),
    "seats:user": Endpoint(
        USERS_OBJECT,
        GET_POST,
        kwargs=_member,
        data=lambda o: {"seat_type": "view_only", "confirmed": "on"},
        account_objects=True,
    ),
    "seats:user_history": Endpoint(USERS_OBJECT, kwargs=_member, account_objects=True),
    "seats:user_access": Endpoint(
        USERS_OBJECT,
        GET_POST,
        kwargs=_member,
        data=lambda o: {"mode": "scratch", "confirmed": "1"},
        account_objects=True,
    ),
    "seats:user_teams": Endpoint(
        USERS_OBJECT,
        GET_POST,
        kwargs=_member,
        data=lambda o: {"main_team": o.parent_team.pk},
        account_objects=True,
    ),
    # The Actions menu, exercised with "Deactivate user" (every action: the matrix test's
    # test_every_user_action_follows_the_user_action_row).
    "seats:user_action": Endpoint(
        USERS_OBJECT,
        GET_POST,
        kwargs=lambda o: {"membership_id": o.target.pk, "action": "deactivate"},
        data=lambda o: {"seat": "release", "note": "matrix"},
        account_objects=True,
    ),
    # --- seats: Teams ----------------------------------------------------------------------------
    "accounts:teams": Endpoint(TEAMS_PAGE, GET_POST, data=lambda o: {"name": "Intruders"}),
    "accounts:team": Endpoint(TEAMS_OBJECT, kwargs=_team, account_objects=True),
    "accounts:team_rename": Endpoint(
        TEAMS_OBJECT, POST, kwargs=_team, data=lambda o: {"name": "Renamed"}, account_objects=True
    ),
    "accounts:team_parent": Endpoint(
        TEAMS_OBJECT, POST, kwargs=_team, data=lambda o: {"parent": ""}, account_objects=True
    ),
    "accounts:team_delete": Endpoint(
        TEAMS_OBJECT,
        GET_POST,
        kwargs=_team,
        data=lambda o: {"members": "remove"},
        account_objects=True,
    ),
    "accounts:team_member_add": Endpoint(
        TEAMS_OBJECT,
        POST,
        kwargs=_team,
        data=lambda o: {"member": o.super_admin.pk, "role": "extra"},
        account_objects=True,
    ),
    "accounts:team_member_remove": Endpoint(
        TEAMS_OBJECT,
        POST,
        kwargs=lambda o: {"team_id": o.team.pk, "membership_id": o.target.pk},
        account_objects=True,
    ),
    # --- seats: Presets (AccountPermission.PRESETS; applying also needs USERS) -------------------
    "seats:presets": Endpoint(SUPER_ADMIN_PAGE),
    "seats:preset_create": Endpoint(
        SUPER_ADMIN_PAGE,
        GET_POST,
        data=lambda o: {"name": "Intruder preset", "default_language": "en"},
    ),
    "seats:preset": Endpoint(
        SUPER_ADMIN_OBJECT,
        GET_POST,
        kwargs=_preset,
        data=lambda o: {"name": "Renamed preset", "default_language": "en"},
        account_objects=True,
    ),
    "seats:preset_delete": Endpoint(
        SUPER_ADMIN_OBJECT, GET_POST, kwargs=_preset, account_objects=True
    ),
    "seats:preset_apply": Endpoint(
        SUPER_ADMIN_OBJECT,
        GET_POST,
        kwargs=_preset,
        data=lambda o: {"members": [o.target.pk]},
        account_objects=True,
    ),
    # --- seats: Permission sets (AccountPermission.USERS) ----------------------------------------
    "seats:permission_sets": Endpoint(USERS_PAGE),
    "seats:permission_set_create": Endpoint(
        USERS_PAGE, GET_POST, data=lambda o: {"name": "Intruder set"}
    ),
    # Built-in sets are the catalogue's, the same in every account: no object of Acme.
    "seats:permission_set_builtin": Endpoint(USERS_PAGE, kwargs=lambda o: {"code": "marketer"}),
    "seats:permission_set_copy": Endpoint(
        USERS_PAGE,
        GET_POST,
        kwargs=lambda o: {"code": "marketer"},
        data=lambda o: {"name": "Intruder copy"},
    ),
    "seats:permission_set": Endpoint(
        USERS_OBJECT,
        GET_POST,
        kwargs=_set,
        data=lambda o: {"name": "Renamed set", "confirmed": "on"},
        account_objects=True,
    ),
    "seats:permission_set_users": Endpoint(
        USERS_OBJECT,
        GET_POST,
        kwargs=_set,
        data=lambda o: {"members": [o.super_admin.pk]},
        account_objects=True,
    ),
    "seats:permission_set_delete": Endpoint(
        USERS_OBJECT, GET_POST, kwargs=_set, account_objects=True
    ),
    # --- seats: Audit log (super admins) ---------------------------------------------------------
    "seats:audit_log": Endpoint(SUPER_ADMIN_PAGE),
    # --- seats: inactive paid seats (USERS) and the reclaim policy (super admins) -------------
    # The body names members, but only those listed for the current account can be ticked:
    # another account's ids are refused by the form (200, nothing moved), never looked up.
    "seats:inactive_move": Endpoint(
        USERS_PAGE,
        GET_POST,
        kwargs=lambda o: {"seat_type": "core"},
        data=lambda o: {"days": "30", "members": [o.target.pk]},
    ),
    "seats:reclaim_policy": Endpoint(
        SUPER_ADMIN_PAGE, GET_POST, data=lambda o: {"inactive_days": "90", "warning_days": "7"}
    ),
    "seats:audit_log_export": Endpoint(SUPER_ADMIN_PAGE),
    # --- api: Settings → API keys (super admins). The JSON API itself (namespace "api_v1")
    # takes no session: its key × scope matrix is tests/api/test_authorization.py. ------------
    "api:api_keys": Endpoint(SUPER_ADMIN_PAGE),
    "api:api_key_create": Endpoint(
        SUPER_ADMIN_PAGE,
        GET_POST,
        data=lambda o: {"name": "Intruder key", "scopes": ["users:read"]},
    ),
    "api:api_key_revoke": Endpoint(
        SUPER_ADMIN_OBJECT,
        GET_POST,
        kwargs=lambda o: {"key_id": o.api_key.pk},
        account_objects=True,
    ),
    # --- scim: Settings → "Provisioning (SCIM)" (super admins). The SCIM service provider itself
    # (/scim/v2/) takes no session: a key of scope "scim" (tests/scim/test_authorization.py).
    # A rule's team is looked up in the current account: another account's is a field error,
    # not a 404. -----------------------------------------------------------------------------
    "scim:settings": Endpoint(SUPER_ADMIN_PAGE),
    "scim:settings_save": Endpoint(
        SUPER_ADMIN_PAGE,
        POST,
        data=lambda o: {"default_seat": "core", "fallback_seat": "view_only"},
    ),
    "scim:key_create": Endpoint(SUPER_ADMIN_PAGE, POST, data=lambda o: {"name": "Intruder IdP"}),
    "scim:key_revoke": Endpoint(
        SUPER_ADMIN_OBJECT,
        GET_POST,
        kwargs=lambda o: {"key_id": o.scim_key.pk},
        account_objects=True,
    ),
    "scim:rule_add": Endpoint(
        SUPER_ADMIN_PAGE, POST, data=lambda o: {"team": o.team.pk, "seat_type": "core"}
    ),
    "scim:rule_remove": Endpoint(
        SUPER_ADMIN_OBJECT,
        GET_POST,
        kwargs=lambda o: {"rule_id": o.scim_rule.pk},
        account_objects=True,
    ),
    # --- billing: the payment provider's webhook (public; its signature is the credential) ---
    "billing:stripe_webhook": Endpoint(dict.fromkeys(ROLES, BAD_REQUEST), POST),
    # --- billing (AccountPermission.BILLING). A seat type is the catalogue's, not an object. ----
    "billing:seats": Endpoint(BILLING_PAGE),
    "billing:seats_add": Endpoint(
        BILLING_PAGE,
        GET_POST,
        kwargs=_core,
        data=lambda o: {"quantity": "1", "idempotency_key": "matrix-1"},
    ),
    "billing:seats_quote": Endpoint(BILLING_PAGE, kwargs=_core, query=lambda o: {"quantity": 1}),
    "billing:account": Endpoint(BILLING_PAGE),
    "billing:seats_remove": Endpoint(
        BILLING_PAGE, GET_POST, kwargs=_core, data=lambda o: {"quantity": "1"}
    ),
    "billing:seats_remove_cancel": Endpoint(BILLING_PAGE, GET_POST, kwargs=_core),
    # Acme has no Core seat to remove (its members hold them all), and Sales seats to remove.
    "billing:seats_remove_quote": Endpoint(
        BILLING_PAGE, kwargs=lambda o: {"seat_type": "sales"}, query=lambda o: {"quantity": 1}
    ),
    "billing:card": Endpoint(
        BILLING_PAGE,
        GET_POST,
        data=lambda o: {
            "number": "5555 5555 5555 4444",
            "exp_month": "11",
            "exp_year": "2036",
            "cvc": "123",
        },
    ),
    "billing:invoices": Endpoint(BILLING_PAGE),
    "billing:invoice": Endpoint(
        BILLING_OBJECT, kwargs=lambda o: {"invoice_id": o.invoice.pk}, account_objects=True
    ),
    # An invoice with nothing waiting for the bank: the page sends back to the invoice.
    "billing:invoice_authenticate": Endpoint(
        BILLING_OBJECT,
        GET_POST,
        kwargs=lambda o: {"invoice_id": o.invoice.pk},
        account_objects=True,
    ),
    "billing:contact": Endpoint(
        BILLING_PAGE,
        GET_POST,
        data=lambda o: {"form": "contact", "name": "Mallory", "email": "mallory@evil.example"},
    ),
    "billing:pricing": Endpoint(BILLING_PAGE),
    # --- billing: plans (billing/plan_views.py, AccountPermission.BILLING) -----------------------
    "billing:bundle": Endpoint(BILLING_PAGE, query=lambda o: _UPGRADE),
    "billing:bundle_total": Endpoint(BILLING_PAGE, query=lambda o: _UPGRADE),
    "billing:checkout": Endpoint(
        BILLING_PAGE,
        GET_POST,
        query=lambda o: _UPGRADE,
        data=lambda o: {**_UPGRADE, "payment": "card_on_file", "idempotency_key": "matrix-2"},
    ),
    "billing:talk_to_sales": Endpoint(
        BILLING_PAGE,
        GET_POST,
        data=lambda o: {"message": "Call me", "phone": "+1 555 0100", "preferred_time": "noon"},
    ),
    "billing:talk_to_sales_done": Endpoint(BILLING_PAGE),
    "billing:plan": Endpoint(BILLING_PAGE),
    # A line of the account's subscription with a pending downgrade.
    "billing:change_cancel": Endpoint(
        BILLING_OBJECT,
        POST,
        kwargs=lambda o: {"item_id": o.pending_change.pk},
        account_objects=True,
    ),
    "billing:interval": Endpoint(BILLING_PAGE, POST, data=lambda o: {"interval": "annual"}),
    "billing:auto_renewal": Endpoint(BILLING_PAGE, GET_POST, data=lambda o: {"action": "resume"}),
    # --- invitations: Create user (AccountPermission.USERS) --------------------------------------
    "invitations:create_user": Endpoint(
        USERS_PAGE,
        GET_POST,
        data=lambda o: {"source": "typed", "emails": "new.person@acme.example"},
    ),
    "invitations:create_user_salesforce": Endpoint(USERS_PAGE, GET_POST),
    "invitations:salesforce_connect": Endpoint(
        SUPER_ADMIN_PAGE,
        GET_POST,
        data=lambda o: {
            "instance_url": "https://intruder.my.salesforce.com",
            "access_token": "00Dintruder!token",
        },
    ),
    # The wizard's state is in the session ("create_user_started"): the last step would create
    # the member if the request got through.
    "invitations:create_user_access": Endpoint(
        USERS_PAGE,
        GET_POST,
        data=lambda o: {"seat_type": "core", "mode": "defaults"},
        prepare="create_user_started",
    ),
    "invitations:create_user_review": Endpoint(USERS_PAGE, GET_POST, prepare="create_user_started"),
    "invitations:created_users": Endpoint(
        USERS_PAGE,
        GET_POST,
        data=lambda o: {"main_team": o.parent_team.pk},
        prepare="users_created",
    ),
    "invitations:invite_link_copy": Endpoint(
        USERS_OBJECT, POST, kwargs=_invited, account_objects=True
    ),
    "invitations:invite_resend": Endpoint(
        USERS_OBJECT, POST, kwargs=_invited, account_objects=True
    ),
    "invitations:invite_revoke": Endpoint(
        USERS_OBJECT, GET_POST, kwargs=_invited, account_objects=True
    ),
    # --- invitations: the invitee's side (public) ------------------------------------------------
    # Whoever holds the link may open it: the token moves to the session, then to the join page.
    "invitations:open": Endpoint(
        PUBLIC,
        kwargs=lambda o: {"token": o.invite_token},
        redirects={"GET": dict.fromkeys(ROLES, "invitations:accept")},
    ),
    # After opening the link: the invitee's form when signed out ("Join" with the invitee's
    # password signs them in and goes home), "signed in as someone else" otherwise.
    "invitations:accept": Endpoint(
        PUBLIC,
        GET_POST,
        data=lambda o: {"password": PASSWORD},
        prepare="invitation_opened",
        redirects={"POST": {ANONYMOUS: "accounts:home"}},
    ),
    "invitations:switch_user": Endpoint(
        PUBLIC,
        POST,
        prepare="invitation_opened",
        redirects={"POST": dict.fromkeys(ROLES, "invitations:accept")},
    ),
}

# The table itself, as plain data.
MATRIX: dict[str, dict[str, str]] = {name: e.expected for name, e in ENDPOINTS.items()}
