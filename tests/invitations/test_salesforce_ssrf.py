"""The Salesforce instance URL can't be turned against the server's own network (issue 13, item 2).

At save: https to Salesforce's own host names only, default port. At request time: every address
the name resolves to must be public, the connection goes to the address that was checked, and
every failure gives the same text, so the import can't be used as a port scanner. The fake
Salesforce on 127.0.0.1 works only behind SALESFORCE_ALLOW_LOOPBACK_FOR_TESTS (off by default).
"""

import socket
import ssl
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.exceptions import ValidationError
from django.urls import reverse

from invitations.crypto import secret_encrypt
from invitations.errors import SalesforceUnreachable
from invitations.forms import SalesforceConnectionForm
from invitations.models import SalesforceConnection
from invitations.salesforce import (
    _InstanceAdapter,
    salesforce_connection_users,
    salesforce_instance_url_clean,
    salesforce_users_fetch,
)
from tests.invitations.fake_salesforce import FAKE_SALESFORCE_USERS, FakeSalesforce

# A global unicast address; no test reaches it (the `connections` fixture intercepts them all).
PUBLIC = "151.101.0.1"


def neutral(instance_url: str) -> str:
    return f"Salesforce could not be reached at {instance_url}. Check the instance URL."


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def resolving_to(*addresses: str):
    """A getaddrinfo that answers `addresses` for any name (the resolver is outside the machine)."""

    def getaddrinfo(host, port, *args, **kwargs):
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
                "",
                (address, port or 443),
            )
            for address in addresses
        ]

    return getaddrinfo


@pytest.fixture
def connections(monkeypatch):
    """Every TCP connection urllib3 opens is recorded and refused: nothing leaves the machine."""
    opened: list[tuple[str, int]] = []

    def create_connection(address, *args, **kwargs):
        opened.append(address)
        raise ConnectionRefusedError("refused by the test")

    monkeypatch.setattr("urllib3.util.connection.create_connection", create_connection)
    return opened


# At the field: Salesforce's host names only


@pytest.mark.parametrize(
    "value",
    [
        "https://10.0.0.5",
        "https://192.168.1.10",
        "https://172.16.0.1",
        "https://169.254.169.254",
        "https://127.0.0.1",
        "https://[::1]",
        "https://[fd00::1]",
        "https://0.0.0.0",
        "https://8.8.8.8",
    ],
)
def test_an_ip_address_is_refused_at_the_field(value):
    with pytest.raises(ValidationError) as raised:
        salesforce_instance_url_clean(value)

    assert raised.value.code == "not_salesforce"


@pytest.mark.parametrize(
    "value",
    [
        "https://intranet",
        "https://localhost",
        "https://metadata.google.internal",
        "https://db.corp.example",
        "https://salesforce.com.evil.example",
        "https://evilsalesforce.com",
        "https://my.salesforce.com.attacker.net",
        "https://notforce.com",
        "https://salesforce.com",
        "https://force.com",
    ],
)
def test_a_name_that_is_not_salesforces_is_refused_at_the_field(value):
    with pytest.raises(ValidationError) as raised:
        salesforce_instance_url_clean(value)

    assert raised.value.code in {"not_salesforce", "invalid"}  # "intranet" has no dot at all


@pytest.mark.parametrize(
    "value",
    [
        "https://acme.my.salesforce.com:8443",
        "https://acme.my.salesforce.com:22",
        "https://acme--uat.sandbox.my.salesforce.com:8080",
    ],
)
def test_a_port_other_than_https_default_is_refused_at_the_field(value):
    with pytest.raises(ValidationError) as raised:
        salesforce_instance_url_clean(value)

    assert raised.value.code == "not_salesforce"


@pytest.mark.parametrize(
    "value", ["http://127.0.0.1:1234", "http://localhost:8000", "http://127.0.0.1"]
)
def test_plain_http_to_loopback_is_refused_without_the_test_setting(value, settings):
    assert settings.SALESFORCE_ALLOW_LOOPBACK_FOR_TESTS is False  # the shipped default

    with pytest.raises(ValidationError) as raised:
        salesforce_instance_url_clean(value)

    assert raised.value.code == "insecure_scheme"


@pytest.mark.parametrize(
    ("value", "cleaned"),
    [
        ("https://acme.my.salesforce.com", "https://acme.my.salesforce.com"),
        ("https://Acme.My.Salesforce.com/", "https://acme.my.salesforce.com"),
        ("https://acme.my.salesforce.com:443", "https://acme.my.salesforce.com"),
        (
            "https://acme--uat.sandbox.my.salesforce.com",
            "https://acme--uat.sandbox.my.salesforce.com",
        ),
        ("https://na123.salesforce.com", "https://na123.salesforce.com"),
        ("https://acme.lightning.force.com", "https://acme.lightning.force.com"),
        ("https://acme.my.salesforce.com.", "https://acme.my.salesforce.com"),
    ],
)
def test_salesforces_own_host_names_are_accepted(value, cleaned):
    assert salesforce_instance_url_clean(value) == cleaned


def test_the_connection_form_says_what_is_wrong_at_the_field():
    form = SalesforceConnectionForm(
        data={"instance_url": "https://10.0.0.5", "access_token": "00Dxx!AQ.token"}
    )

    assert not form.is_valid()
    assert form.errors["instance_url"] == [
        "Enter your Salesforce address, such as https://yourcompany.my.salesforce.com. "
        "Only Salesforce's own addresses (ending in salesforce.com or force.com) are "
        "accepted, over https and without a port."
    ]


@pytest.mark.django_db
def test_the_connect_view_saves_nothing_for_an_internal_address(client, admin):
    client.force_login(admin.user)

    response = client.post(
        reverse("invitations:salesforce_connect"),
        {"instance_url": "https://169.254.169.254", "access_token": "00Dxx!AQ.token"},
    )

    assert response.status_code == 200
    assert not SalesforceConnection.objects.exists()


# At request time: the resolved address


@pytest.mark.parametrize(
    "addresses",
    [
        ("10.1.2.3",),
        ("169.254.169.254",),
        ("127.0.0.1",),
        ("::1",),
        ("fe80::1",),
        ("224.0.0.1",),
        ("240.0.0.1",),
        ("100.64.0.1",),
        ("::ffff:192.168.0.1",),
        (PUBLIC, "192.168.0.1"),  # one private answer among public ones is enough to refuse
    ],
)
def test_a_salesforce_name_resolving_to_a_private_address_is_refused_at_request_time(
    addresses, monkeypatch, connections
):
    monkeypatch.setattr(socket, "getaddrinfo", resolving_to(*addresses))
    url = "https://acme.my.salesforce.com"

    with pytest.raises(SalesforceUnreachable) as raised:
        salesforce_users_fetch(instance_url=url, access_token="00Dxx!AQ.token")

    assert str(raised.value) == neutral(url)
    assert connections == []  # refused before any connection, so the token went nowhere


def test_the_connection_goes_to_the_address_that_was_checked(monkeypatch, connections):
    # DNS rebinding: the first answer is public, any later one private. Only the first is used.
    answers = iter([(PUBLIC,)])

    def getaddrinfo(host, port, *args, **kwargs):
        return resolving_to(*next(answers, ("10.0.0.1",)))(host, port)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    with pytest.raises(SalesforceUnreachable):
        salesforce_users_fetch(
            instance_url="https://acme.my.salesforce.com", access_token="00Dxx!AQ.token"
        )

    assert connections and all(address == (PUBLIC, 443) for address in connections)


@pytest.mark.django_db
def test_a_url_saved_before_the_allow_list_is_refused_at_request_time(connections):
    connection = SalesforceConnection(
        instance_url="https://10.0.0.5:8443",
        access_token_encrypted=secret_encrypt("00Dxx!AQ.token"),
    )

    with pytest.raises(SalesforceUnreachable) as raised:
        salesforce_connection_users(connection)

    assert str(raised.value) == neutral("https://10.0.0.5:8443")
    assert connections == []


def test_the_fake_salesforce_is_unreachable_without_the_test_setting(settings):
    settings.SALESFORCE_ALLOW_LOOPBACK_FOR_TESTS = False
    with FakeSalesforce(users=FAKE_SALESFORCE_USERS) as fake:
        with pytest.raises(SalesforceUnreachable) as raised:
            salesforce_users_fetch(instance_url=fake.url, access_token=fake.token)

        assert str(raised.value) == neutral(fake.url)
        assert fake.requests == []  # the token was never sent


def test_the_fake_salesforce_works_with_the_test_setting(settings):
    settings.SALESFORCE_ALLOW_LOOPBACK_FOR_TESTS = True
    with FakeSalesforce(users=FAKE_SALESFORCE_USERS) as fake:
        people = salesforce_users_fetch(instance_url=fake.url, access_token=fake.token)

    assert len(people) == 4


# One neutral text: no port scanner


class _NotSalesforce(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        body = b"<html><body>It works!</body></html>"
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        pass


def _serve(status: int) -> ThreadingHTTPServer:
    handler = type("Handler", (_NotSalesforce,), {"status": status})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return server


def _failure_text(url: str, **kwargs) -> str:
    with pytest.raises(SalesforceUnreachable) as raised:
        salesforce_users_fetch(instance_url=url, access_token="00Dxx!AQ.token", **kwargs)
    return str(raised.value).replace(url, "<url>")


def test_closed_open_slow_and_foreign_ports_all_get_the_same_text(settings):
    settings.SALESFORCE_ALLOW_LOOPBACK_FOR_TESTS = True
    texts = {"closed": _failure_text(f"http://127.0.0.1:{closed_port()}")}
    for status in (200, 404, 500):
        server = _serve(status)
        try:
            texts[f"html {status}"] = _failure_text(f"http://127.0.0.1:{server.server_port}")
        finally:
            server.shutdown()
            server.server_close()
    with FakeSalesforce(users=FAKE_SALESFORCE_USERS) as fake:
        fake.delay = 2
        texts["timeout"] = _failure_text(fake.url, timeout=0.2)

    assert set(texts.values()) == {neutral("<url>")}, texts


class _Redirect(BaseHTTPRequestHandler):
    location = ""

    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", self.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args) -> None:
        pass


def test_a_redirect_away_from_the_instance_is_not_followed(settings):
    settings.SALESFORCE_ALLOW_LOOPBACK_FOR_TESTS = True
    with FakeSalesforce(users=FAKE_SALESFORCE_USERS) as elsewhere:
        handler = type("Handler", (_Redirect,), {"location": f"{elsewhere.url}/services/data/"})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
        url = f"http://127.0.0.1:{server.server_port}"
        try:
            text = _failure_text(url)
        finally:
            server.shutdown()
            server.server_close()

        assert text == neutral("<url>")
        assert elsewhere.requests == []


# The pinned connection still checks the certificate against the host name


def _certificate(tmp_path, name: str) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


class _Hello(BaseHTTPRequestHandler):
    hosts: list[str]

    def do_GET(self) -> None:
        self.hosts.append(self.headers["Host"])
        body = b'{"hello": "from the checked address"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        pass


@pytest.mark.parametrize("certificate_for", ["acme.my.salesforce.com", "other.example"])
def test_the_pinned_connection_checks_the_certificate_for_the_host_name(
    certificate_for, tmp_path, monkeypatch
):
    cert, key = _certificate(tmp_path, certificate_for)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    hosts: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Hello,), {"hosts": hosts}))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
    port = server.server_port
    # The name resolves to the test server; loopback is let through for this adapter only.
    monkeypatch.setattr(socket, "getaddrinfo", resolving_to("127.0.0.1"))
    session = requests.Session()
    session.trust_env = False
    session.mount(
        "https://",
        _InstanceAdapter(
            timeout=5, origin=("https", "acme.my.salesforce.com", port), loopback_allowed=True
        ),
    )
    try:
        if certificate_for == "acme.my.salesforce.com":
            response = session.get(f"https://acme.my.salesforce.com:{port}/", verify=cert)
            assert response.json() == {"hello": "from the checked address"}
            assert hosts == [f"acme.my.salesforce.com:{port}"]
        else:
            with pytest.raises(requests.exceptions.SSLError):
                session.get(f"https://acme.my.salesforce.com:{port}/", verify=cert)
            assert hosts == []
    finally:
        session.close()
        server.shutdown()
        server.server_close()
