"""Reading an account's people from Salesforce, for "Create user" → "Import from Salesforce".

Only the REST query endpoint is used, with a saved access token (no OAuth dance here). Whatever goes
wrong is raised as one of the `SalesforceError` subclasses of invitations.errors, whose message
tells the super admin what to do; the precise reason goes to the log. The token is never logged.

The instance URL can't point the server at its own network (server-side request forgery): it must
be https to one of Salesforce's own host names on the default port (`salesforce_instance_url_clean`,
at save and again before every fetch), and right before each request the name is resolved, every
address it resolves to must be public, and the connection goes to the address that was checked
(`_InstanceAdapter`), so a name re-pointed between the check and the connection (DNS rebinding)
reaches nothing new. Whatever fails on the way there gives one neutral text
(`SalesforceUnreachable`), the same for a refused, closed, slow or non-Salesforce answer, so the
import can't be used to probe ports.
"""

import ipaddress
import logging
import re
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce
from simple_salesforce import exceptions as sf_exceptions

from accounts.models import email_normalise
from invitations.crypto import SecretUnreadable, secret_decrypt
from invitations.errors import (
    SalesforceApiError,
    SalesforceNotConnected,
    SalesforceSessionExpired,
    SalesforceTokenUnreadable,
    SalesforceUnreachable,
)
from invitations.models import SalesforceConnection

logger = logging.getLogger(__name__)

# Pinned so a simple-salesforce upgrade cannot silently change what we ask Salesforce for.
SALESFORCE_API_VERSION = "59.0"

USERS_SOQL = (
    "SELECT Email, FirstName, LastName, IsActive FROM User WHERE IsActive = true ORDER BY Email"
)

# Salesforce's own host names: production and Developer Edition `<name>.my.salesforce.com`,
# sandboxes and scratch orgs `<name>--<sandbox>.sandbox.my.salesforce.com`, instanced
# `<instance>.salesforce.com`, and `*.force.com`. At least one label before the suffix; an IP
# address never matches. `*.my.salesforce-setup.com` is left out: not found in the Salesforce
# documentation consulted for the REST API, which is served from the My Domain host.
_SALESFORCE_HOST = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:salesforce\.com|force\.com)"
)
# Plain http, to these hosts only, is for the tests' fake Salesforce, and only while the test-only
# setting SALESFORCE_ALLOW_LOOPBACK_FOR_TESTS is on (seatmgr/settings.py).
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
_DETAIL_MAX = 200


def _loopback_allowed() -> bool:
    return getattr(settings, "SALESFORCE_ALLOW_LOOPBACK_FOR_TESTS", False) is True


class _AddressRefused(requests.exceptions.ConnectionError):
    """The request would leave for an address or origin we don't send tokens to."""


def _address_is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") dropped
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def _address_checked(host: str, port: int, *, loopback_allowed: bool) -> str:
    """The address to connect to for `host`: every address it resolves to must be public."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise _AddressRefused(f"{host} does not resolve: {error!r}") from error
    addresses = [str(info[4][0]) for info in found]
    if not addresses:
        raise _AddressRefused(f"{host} resolves to nothing")
    for address in addresses:
        try:
            public = _address_is_public(address)
            loopback = ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
        except ValueError as error:
            raise _AddressRefused(f"{host} resolves to {address!r}") from error
        if not public and not (loopback_allowed and loopback):
            raise _AddressRefused(f"{host} resolves to a non-public address {address}")
    return addresses[0]


@dataclass(frozen=True)
class SalesforcePerson:
    """One active Salesforce user, as "Create user" receives it. `email` is normalised."""

    email: str
    first_name: str
    last_name: str


class _InstanceAdapter(HTTPAdapter):
    """Every request of the session passes here: it goes to the instance only, at a checked address.

    - Only the instance's origin (scheme, host, port) is served; anything else, such as a redirect
      elsewhere, is refused before it leaves.
    - Right before each request the host is resolved and every address must be public (loopback
      too while the test-only setting is on, for an http://127.0.0.1 or localhost instance); the
      connection is then made to that address, with the host name kept for the Host header, TLS
      SNI and certificate check, so a second resolution can't send it elsewhere. No proxy is used
      (the session ignores the environment's): a proxy would resolve the name itself.
    - A timeout: requests has no session-wide one and simple-salesforce sets none.
    - simple-salesforce builds every URL as `https://<host>`; a local http instance gets its real
      scheme back by the rewrite.
    """

    def __init__(
        self,
        *,
        timeout: float,
        origin: tuple[str, str, int],
        loopback_allowed: bool,
        rewrite: tuple[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.timeout = timeout
        self.origin = origin
        self.loopback_allowed = loopback_allowed
        self.rewrite = rewrite
        self._address: str | None = None

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        if self.rewrite is not None and request.url and request.url.startswith(self.rewrite[0]):
            request.url = self.rewrite[1] + request.url.removeprefix(self.rewrite[0])
        parts = urlsplit(request.url or "")
        scheme, host, port = self.origin
        if (parts.scheme, parts.hostname, parts.port or (443 if scheme == "https" else 80)) != (
            scheme,
            host,
            port,
        ):
            raise _AddressRefused(
                f"a request outside the instance: {parts.scheme}://{parts.netloc}"
            )
        self._address = _address_checked(host, port, loopback_allowed=self.loopback_allowed)
        request.headers["Host"] = parts.netloc
        kwargs["proxies"] = {}
        return super().send(request, **kwargs)

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        if self._address is None:  # only send() gets here, always after the check
            raise _AddressRefused("no checked address")
        hostname = host_params["host"]
        host_params = {**host_params, "host": self._address}
        if host_params["scheme"] == "https":
            pool_kwargs = {**pool_kwargs, "server_hostname": hostname, "assert_hostname": hostname}
        return host_params, pool_kwargs


def _adapter_mount(*, client: Salesforce, instance_url: str, timeout: float) -> None:
    built_origin = f"https://{client.sf_instance}/"
    real_origin = instance_url.rstrip("/") + "/"
    rewrite = None if built_origin == real_origin else (built_origin, real_origin)
    parts = urlsplit(real_origin)
    origin = (
        parts.scheme,
        parts.hostname or "",
        parts.port or (80 if parts.scheme == "http" else 443),
    )
    adapter = _InstanceAdapter(
        timeout=timeout,
        origin=origin,
        loopback_allowed=_loopback_allowed() and origin[1] in _LOCAL_HOSTS,
        rewrite=rewrite,
    )
    client.session.trust_env = False  # no proxy from the environment: we connect where we checked
    client.session.mount("https://", adapter)
    client.session.mount("http://", adapter)


def _salesforce_errors(error: sf_exceptions.SalesforceError) -> list[dict[str, Any]]:
    # Salesforce answers errors as [{"errorCode": ..., "message": ...}, ...]. Anything else (an
    # HTML page, JSON of another shape) did not come from Salesforce: the caller answers neutrally.
    content = error.content
    if isinstance(content, dict):
        content = [content]
    return [
        item
        for item in (content if isinstance(content, list) else [])
        if isinstance(item, dict) and item.get("errorCode")
    ]


def _error_detail(errors: list[dict[str, Any]]) -> str:
    parts = [
        ": ".join(str(item[key]) for key in ("errorCode", "message") if item.get(key))
        for item in errors
    ]
    detail = "; ".join(parts)
    if len(detail) > _DETAIL_MAX:
        detail = detail[: _DETAIL_MAX - 1] + "…"
    return detail


def salesforce_users_fetch(
    *, instance_url: str, access_token: str, timeout: float = 15
) -> list[SalesforcePerson]:
    """Every active Salesforce user with an email address, first record kept per address.

    Follows Salesforce's pages (`nextRecordsUrl`) to the end; `timeout` applies to each request.
    The instance URL is checked again here (one saved before the allow-list may not pass).
    """
    try:
        checked_url = salesforce_instance_url_clean(instance_url)
    except ValidationError as error:
        logger.warning("Salesforce instance URL %s refused: %s", instance_url, error.code)
        raise SalesforceUnreachable(instance_url=instance_url) from error
    client = Salesforce(
        instance_url=checked_url,
        session_id=access_token,
        version=SALESFORCE_API_VERSION,
        session=requests.Session(),
    )
    _adapter_mount(client=client, instance_url=checked_url, timeout=timeout)
    people: dict[str, SalesforcePerson] = {}
    try:
        for record in client.query_all_iter(USERS_SOQL):
            email = email_normalise(record.get("Email") or "")
            if not email or email in people:
                continue
            people[email] = SalesforcePerson(
                email=email,
                first_name=(record.get("FirstName") or "").strip(),
                last_name=(record.get("LastName") or "").strip(),
            )
    except sf_exceptions.SalesforceError as error:
        logger.warning("Salesforce query at %s failed: %s", instance_url, error)
        errors = _salesforce_errors(error)
        if not errors:  # not Salesforce's error shape: the same answer as no answer at all
            raise SalesforceUnreachable(instance_url=instance_url) from error
        if any(item["errorCode"] == "INVALID_SESSION_ID" for item in errors):
            raise SalesforceSessionExpired() from error
        raise SalesforceApiError(detail=_error_detail(errors)) from error
    except requests.exceptions.InvalidHeader as error:
        # The saved token has characters no HTTP header may carry: no session can come of it.
        logger.warning("Salesforce token for %s cannot be sent: %r", instance_url, error)
        raise SalesforceSessionExpired() from error
    except (requests.exceptions.InvalidJSONError, KeyError) as error:
        # Not JSON, or JSON without "records"/"done": whatever answered is not Salesforce's API.
        logger.warning("Salesforce at %s answered unexpectedly: %r", instance_url, error)
        raise SalesforceUnreachable(instance_url=instance_url) from error
    except requests.RequestException as error:
        # Refused connections, unknown hosts, non-public addresses, TLS failures and timeouts.
        logger.warning("Salesforce at %s unreachable: %r", instance_url, error)
        raise SalesforceUnreachable(instance_url=instance_url) from error
    return list(people.values())


def salesforce_connection_users(connection: SalesforceConnection | None) -> list[SalesforcePerson]:
    """The users of the account's saved Salesforce connection (`None`: no connection saved)."""
    if connection is None:
        raise SalesforceNotConnected()
    try:
        access_token = secret_decrypt(connection.access_token_encrypted)
    except SecretUnreadable as error:
        logger.warning("Salesforce token of account %s is unreadable", connection.account_id)
        raise SalesforceTokenUnreadable() from error
    return salesforce_users_fetch(instance_url=connection.instance_url, access_token=access_token)


def salesforce_instance_url_clean(value: str) -> str:
    """The instance URL as stored: `https://<Salesforce host name>`, no port, path or slash.

    Only Salesforce's own host names (`_SALESFORCE_HOST`) over https on the default port. Plain
    http to 127.0.0.1 or localhost (any port) only while the test-only setting
    SALESFORCE_ALLOW_LOOPBACK_FOR_TESTS is on, for the tests' fake Salesforce.
    """
    value = (value or "").strip()
    invalid = ValidationError(
        _("Enter your Salesforce instance URL, such as https://yourcompany.my.salesforce.com."),
        code="invalid",
    )
    try:
        URLValidator(schemes=["https", "http"])(value)
        parts = urlsplit(value)
        hostname, port = parts.hostname, parts.port  # .port raises ValueError when out of range
    except (ValidationError, ValueError):
        raise invalid from None
    if not hostname or parts.username is not None or parts.password is not None:
        raise invalid
    hostname = hostname.rstrip(".")
    scheme = parts.scheme.lower()
    local = scheme == "http" and hostname in _LOCAL_HOSTS and _loopback_allowed()
    if scheme != "https" and not local:
        raise ValidationError(
            _("The instance URL must start with https://."), code="insecure_scheme"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValidationError(
            _(
                "Enter only the instance address, without a path: "
                "https://yourcompany.my.salesforce.com."
            ),
            code="has_path",
        )
    if local:
        return f"http://{hostname}" + (f":{port}" if port is not None else "")
    if port not in (None, 443) or not _SALESFORCE_HOST.fullmatch(hostname):
        raise ValidationError(
            _(
                "Enter your Salesforce address, such as https://yourcompany.my.salesforce.com. "
                "Only Salesforce's own addresses (ending in salesforce.com or force.com) are "
                "accepted, over https and without a port."
            ),
            code="not_salesforce",
        )
    return f"https://{hostname}"
