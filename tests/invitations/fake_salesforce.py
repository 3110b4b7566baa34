"""A local stand-in for Salesforce's REST query API, for the import tests and the browser tests.

It answers what simple-salesforce asks when it runs `query_all_iter(soql)`:

    GET /services/data/v59.0/query/?q=SELECT+...            first page
    GET /services/data/v59.0/query/01gFAKE00000000001-2000  the `nextRecordsUrl` of the page before

with Salesforce's JSON shapes: `{"totalSize", "done", "nextRecordsUrl" (only when not done),
"records": [{"attributes": {"type", "url"}, <selected fields>}]}`, and errors as a list
`[{"message", "errorCode"}]` (401 INVALID_SESSION_ID for a wrong or expired token, 400
MALFORMED_QUERY, INVALID_QUERY_LOCATOR, 404 NOT_FOUND). Only the SOQL the importer sends is
understood: the selected fields, `FROM User`, `WHERE IsActive = true` and `ORDER BY Email`.

Stdlib only, so it imports without pytest or Django:

    with FakeSalesforce(users=[{"Email": "ada@example.com", "FirstName": "Ada"}]) as fake:
        salesforce_users_fetch(instance_url=fake.url, access_token=fake.token)
"""

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

FAKE_SALESFORCE_TOKEN = "00DFAKE0000000001!AQfake.access.token"

# The data of the `fake_salesforce` fixture: five active users, one of them without an email (the
# import skips it), and one inactive user (the query leaves it out). Four people get imported.
FAKE_SALESFORCE_USERS: list[dict[str, Any]] = [
    {"Email": "Ada.Lovelace@Example.com ", "FirstName": "Ada", "LastName": "Lovelace"},
    {"Email": "grace.hopper@example.com", "FirstName": "Grace", "LastName": "Hopper"},
    {"Email": None, "FirstName": "Integration", "LastName": "User"},
    {"Email": "alan.turing@example.com", "FirstName": "Alan", "LastName": "Turing"},
    {"Email": "katherine.johnson@example.com", "FirstName": "Katherine", "LastName": "Johnson"},
    {"Email": "old.timer@example.com", "FirstName": "Old", "LastName": "Timer", "IsActive": False},
]

_QUERY_PATH = re.compile(r"^/services/data/v(?P<version>\d+\.\d)/query/?$")
_MORE_PATH = re.compile(
    r"^/services/data/v(?P<version>\d+\.\d)/query/(?P<locator>01g[0-9A-Za-z]+)-(?P<offset>\d+)$"
)
_SOQL = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+User\b(?P<rest>.*)$", re.IGNORECASE | re.DOTALL
)


@dataclass(frozen=True)
class FakeRequest:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]

    @property
    def soql(self) -> str | None:
        return self.query.get("q", [None])[0]


class FakeSalesforce:
    """Salesforce's query API on 127.0.0.1 and a free port; `.url` is the instance URL to save.

    `users` are dicts of User fields (`Email`, `FirstName`, `LastName`, optional `IsActive`,
    default true). Pages hold `page_size` records. Use as a context manager, or `start()`/`stop()`.
    """

    def __init__(
        self,
        users: list[dict[str, Any]] | None = None,
        token: str = FAKE_SALESFORCE_TOKEN,
        page_size: int = 2,
    ) -> None:
        self.users = [dict(user) for user in (users or [])]
        self.token = token
        self.page_size = page_size
        self.requests: list[FakeRequest] = []
        self.delay = 0.0  # seconds to wait before answering, to exercise timeouts
        self._expired = False
        self._failure: tuple[int, str, str] | None = None
        self._cursors: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Control -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSalesforce is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def expire_token(self) -> None:
        """From now on every request answers 401 INVALID_SESSION_ID, as after a session timeout."""
        self._expired = True

    def renew_token(self, token: str) -> None:
        """Accept `token` (and only it) from now on, as after the admin fetched a fresh one."""
        self.token = token
        self._expired = False

    def fail_with(self, status: int, error_code: str, message: str) -> None:
        """From now on every authorised request answers `status` with this Salesforce error."""
        self._failure = (status, error_code, message)

    def recover(self) -> None:
        """Stop failing (undoes `fail_with`)."""
        self._failure = None

    def start(self) -> "FakeSalesforce":
        fake = self

        class Handler(_Handler):
            salesforce = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long stop() waits at most
            name="fake-salesforce",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> "FakeSalesforce":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Answers -------------------------------------------------------------------------------

    def answer(self, request: FakeRequest) -> tuple[int, Any]:
        with self._lock:
            self.requests.append(request)
        authorization = request.headers.get("authorization", "")
        if self._expired or authorization != f"Bearer {self.token}":
            return 401, _errors("INVALID_SESSION_ID", "Session expired or invalid")
        if self._failure is not None:
            status, error_code, message = self._failure
            return status, _errors(error_code, message)
        if request.method != "GET":
            return 405, _errors("METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed")
        if match := _QUERY_PATH.match(request.path):
            return self._first_page(match["version"], request.soql)
        if match := _MORE_PATH.match(request.path):
            return self._next_page(match["version"], match["locator"], int(match["offset"]))
        return 404, _errors("NOT_FOUND", "The requested resource does not exist")

    def _first_page(self, version: str, soql: str | None) -> tuple[int, Any]:
        match = _SOQL.match(soql or "")
        if match is None:
            return 400, _errors("MALFORMED_QUERY", f"unexpected token: {soql!r}")
        fields = [field.strip() for field in match["fields"].split(",")]
        rest = " ".join(match["rest"].split()).lower()
        users = [
            {**user, "Id": _user_id(index)}
            for index, user in enumerate(self.users)
            if "isactive = true" not in rest or user.get("IsActive", True)
        ]
        if "order by email" in rest:
            # Salesforce sorts text case-insensitively, nulls first.
            users.sort(
                key=lambda user: (user.get("Email") is not None, (user.get("Email") or "").lower())
            )
        rows = [_record(version, user, fields) for user in users]
        with self._lock:
            locator = f"01gFAKE{len(self._cursors) + 1:011d}"
            self._cursors[locator] = rows
        return self._page(version, locator, 0)

    def _next_page(self, version: str, locator: str, offset: int) -> tuple[int, Any]:
        if locator not in self._cursors:
            return 400, _errors("INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(version, locator, offset)

    def _page(self, version: str, locator: str, offset: int) -> tuple[int, Any]:
        rows = self._cursors[locator]
        end = offset + self.page_size
        body: dict[str, Any] = {
            "totalSize": len(rows),
            "done": end >= len(rows),
            "records": rows[offset:end],
        }
        if not body["done"]:
            body["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{end}"
        return 200, body


def _errors(error_code: str, message: str) -> list[dict[str, str]]:
    return [{"message": message, "errorCode": error_code}]


def _user_id(index: int) -> str:
    return f"005FAKE{index:08d}AAA"  # 18 characters, User key prefix 005, like a real Id


def _record(version: str, user: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    record: dict[str, Any] = {
        "attributes": {
            "type": "User",
            "url": f"/services/data/v{version}/sobjects/User/{user['Id']}",
        }
    }
    for field in fields:
        record[field] = True if field == "IsActive" and "IsActive" not in user else user.get(field)
    return record


class _Handler(BaseHTTPRequestHandler):
    salesforce: FakeSalesforce
    server_version = "SFDC"

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        request = FakeRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={name.lower(): value for name, value in self.headers.items()},
        )
        if self.salesforce.delay:
            threading.Event().wait(self.salesforce.delay)
        status, body = self.salesforce.answer(request)
        payload = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            if status == 401:
                self.send_header("WWW-Authenticate", "Token")
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer to

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet
