"""Reading an account's people from Salesforce, for "Create user" → "Import from Salesforce".

Only the REST query endpoint is used, with a saved access token (no OAuth dance here). Whatever goes
wrong is raised as one of the `SalesforceError` subclasses of invitations.errors, whose message
tells the super admin what to do; the precise reason goes to the log. The token is never logged.
"""

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
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

# Plain http is only for a server on this machine (the tests' fake Salesforce).
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
_DETAIL_MAX = 200
_NOT_THE_API = _("the answer did not come from its API. Check the instance URL.")


@dataclass(frozen=True)
class SalesforcePerson:
    """One active Salesforce user, as "Create user" receives it. `email` is normalised."""

    email: str
    first_name: str
    last_name: str


class _InstanceAdapter(HTTPAdapter):
    """Gives every request a timeout and, for a local http instance, its real scheme.

    requests has no session-wide timeout and simple-salesforce sets none, so it is applied here,
    where every request of the session passes. simple-salesforce also builds every URL as
    `https://<host>`, so a local http server would be unreachable without the rewrite.
    """

    def __init__(self, *, timeout: float, rewrite: tuple[str, str] | None = None) -> None:
        super().__init__()
        self.timeout = timeout
        self.rewrite = rewrite

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        if self.rewrite is not None and request.url and request.url.startswith(self.rewrite[0]):
            request.url = self.rewrite[1] + request.url.removeprefix(self.rewrite[0])
            kwargs["proxies"] = {}  # a server on this machine is never behind a proxy
        return super().send(request, **kwargs)


def _adapter_mount(*, client: Salesforce, instance_url: str, timeout: float) -> None:
    built_origin = f"https://{client.sf_instance}/"
    real_origin = instance_url.rstrip("/") + "/"
    rewrite = None if built_origin == real_origin else (built_origin, real_origin)
    adapter = _InstanceAdapter(timeout=timeout, rewrite=rewrite)
    client.session.mount("https://", adapter)
    client.session.mount("http://", adapter)


def _error_detail(error: sf_exceptions.SalesforceError) -> str:
    # Salesforce answers errors as [{"errorCode": ..., "message": ...}, ...]; anything else (an
    # HTML page from something that is not Salesforce) is summed up by its status, not echoed.
    content = error.content
    if isinstance(content, dict):
        content = [content]
    parts = []
    for item in content if isinstance(content, list) else []:
        if isinstance(item, dict):
            said = [str(item[key]) for key in ("errorCode", "message") if item.get(key)]
            if said:
                parts.append(": ".join(said))
    detail = "; ".join(parts) or f"HTTP {error.status}"
    if len(detail) > _DETAIL_MAX:
        detail = detail[: _DETAIL_MAX - 1] + "…"
    return detail


def _is_invalid_session(error: sf_exceptions.SalesforceError) -> bool:
    if isinstance(error, sf_exceptions.SalesforceExpiredSession):
        return True
    content = error.content if isinstance(error.content, list) else [error.content]
    return any(isinstance(i, dict) and i.get("errorCode") == "INVALID_SESSION_ID" for i in content)


def salesforce_users_fetch(
    *, instance_url: str, access_token: str, timeout: float = 15
) -> list[SalesforcePerson]:
    """Every active Salesforce user with an email address, first record kept per address.

    Follows Salesforce's pages (`nextRecordsUrl`) to the end; `timeout` applies to each request.
    """
    client = Salesforce(
        instance_url=instance_url,
        session_id=access_token,
        version=SALESFORCE_API_VERSION,
        session=requests.Session(),
    )
    _adapter_mount(client=client, instance_url=instance_url, timeout=timeout)
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
        if _is_invalid_session(error):
            raise SalesforceSessionExpired() from error
        raise SalesforceApiError(detail=_error_detail(error)) from error
    except requests.exceptions.InvalidHeader as error:
        # The saved token has characters no HTTP header may carry: no session can come of it.
        logger.warning("Salesforce token for %s cannot be sent: %r", instance_url, error)
        raise SalesforceSessionExpired() from error
    except (requests.exceptions.InvalidJSONError, KeyError) as error:
        # Not JSON, or JSON without "records"/"done": whatever answered is not Salesforce's API.
        logger.warning("Salesforce at %s answered unexpectedly: %r", instance_url, error)
        raise SalesforceApiError(detail=_NOT_THE_API) from error
    except requests.RequestException as error:
        # Refused connections, unknown hosts, TLS failures and timeouts alike.
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
    """The instance URL as stored: `https://host[:port]`, no path, no trailing slash.

    Plain http is accepted only for 127.0.0.1 and localhost, where tests run a fake Salesforce.
    """
    value = (value or "").strip()
    invalid = ValidationError(
        _("Enter your Salesforce instance URL, such as https://yourcompany.my.salesforce.com."),
        code="invalid",
    )
    try:
        URLValidator(schemes=["https", "http"])(value)
        parts = urlsplit(value)
        hostname, _port = parts.hostname, parts.port  # .port raises ValueError when out of range
    except (ValidationError, ValueError):
        raise invalid from None
    if not hostname or parts.username is not None or parts.password is not None:
        raise invalid
    scheme = parts.scheme.lower()
    if scheme != "https" and hostname not in _LOCAL_HOSTS:
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
    return f"{scheme}://{parts.netloc.lower()}"
