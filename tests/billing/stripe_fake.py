"""A local stand-in for the part of Stripe's REST API that seatmgr calls.

A small threaded HTTP server on 127.0.0.1 that speaks as Stripe does: form-encoded requests
(`metadata[key]=value`, `expand[0]=...`), JSON answers with an `object` field, 402 card errors,
and the Idempotency-Key header (a key seen before gets the first answer again, so a charge
retried with the same key is taken once). Tests script what each card does:

    fake = StripeFake()  # the `stripe_fake` fixture starts it and points the gateway at it
    pm = fake.card_add(outcome="authentication_required")
    fake.drop_next()  # the next request is processed, then the connection dropped unanswered

Outcomes: "success", "card_declined", "authentication_required" (with the card holder there a
PaymentIntent answers `requires_action` until `/confirm`; off session a 402
`authentication_required`). `taken` lists the charges that took money; `requests` every request.

It also serves a stand-in for Stripe.js at /v3/ (tests/e2e) that mounts a plain card field and
confirms SetupIntents and PaymentIntents against this server.
"""

import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

STRIPE_JS = Path(__file__).with_name("stripe_fake.js")
OUTCOMES = ("success", "card_declined", "authentication_required")
# The numbers the Stripe.js stand-in may type (Stripe's own test cards): brand and outcome.
TEST_NUMBERS = {
    "4242424242424242": ("visa", "success"),
    "5555555555554444": ("mastercard", "success"),
    "4000000000000002": ("visa", "card_declined"),
    "4000002760003184": ("visa", "authentication_required"),
}


def form_decode(body: str) -> dict[str, Any]:
    """Stripe's form encoding as nested values: a[b]=1 → {"a": {"b": "1"}}, a[0]=x → {"a": ["x"]}"""
    result: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node: Any = result
        for part, following in zip(parts, [*parts[1:], None], strict=True):
            if following is None:
                if isinstance(node, list):
                    node.append(value)
                else:
                    node[part] = value
            else:
                child = [] if following.isdigit() else {}
                if isinstance(node, list):
                    node.append(child)
                    node = child
                else:
                    node = node.setdefault(part, child)
    return result


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


class _Error(Exception):
    def __init__(self, status: int, error: dict) -> None:
        super().__init__(error.get("message", ""))
        self.status, self.error = status, error


@dataclass
class StripeFake:
    """The fake's state: what Stripe would keep, and what the tests look at."""

    customers: dict[str, dict] = field(default_factory=dict)
    methods: dict[str, dict] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)  # PaymentMethod id: outcome
    setups: dict[str, dict] = field(default_factory=dict)
    intents: dict[str, dict] = field(default_factory=dict)
    refunds: dict[str, dict] = field(default_factory=dict)
    taken: list[dict] = field(default_factory=list)  # charges that took money
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, key
    answers: dict[str, tuple[int, dict]] = field(default_factory=dict)  # idempotency key: answer
    drops: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    # --- What tests call ---

    @property
    def base(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def card_add(
        self,
        *,
        outcome: str = "success",
        brand: str = "visa",
        last4: str = "4242",
        exp_month: int = 12,
        exp_year: int = 2031,
        customer: str | None = None,
    ) -> str:
        """A PaymentMethod (as Stripe.js would create it) that behaves as `outcome`; its id."""
        assert outcome in OUTCOMES, outcome
        pm = {
            "id": _id("pm"),
            "object": "payment_method",
            "type": "card",
            "customer": customer,
            "card": {"brand": brand, "last4": last4, "exp_month": exp_month, "exp_year": exp_year},
        }
        with self.lock:
            self.methods[pm["id"]] = pm
            self.outcomes[pm["id"]] = outcome
        return pm["id"]

    def drop_next(self, count: int = 1) -> None:
        """Process the next `count` requests, then drop their connections unanswered (a
        network failure after Stripe acted: only the idempotency key saves a double charge)."""
        with self.lock:
            self.drops += count

    def setup_complete(self, setup_id: str, *, payment_method: str) -> dict:
        """What Stripe.js's confirmCardSetup does: attach the card to the setup's customer."""
        with self.lock:
            return self._setup_confirm(setup_id, {"payment_method": payment_method})

    def authenticate(self, payment_id: str) -> dict:
        """The card holder passes 3-D Secure for this PaymentIntent (what Stripe.js's
        confirmCardPayment does on the page): the money is taken."""
        with self.lock:
            return self._intent_confirm(payment_id, {"off_session": "false"})

    def customer_default_set(self, customer_id: str, payment_method: str) -> dict:
        """What "Set as default" in Stripe's dashboard does: the customer's default card (attached
        to it); the customer as it is now."""
        with self.lock:
            self.methods[payment_method]["customer"] = customer_id
            self.customers[customer_id]["invoice_settings"] = {
                "default_payment_method": payment_method
            }
            return json.loads(json.dumps(self.customers[customer_id]))

    def customer_delete(self, customer_id: str) -> dict:
        """What deleting the customer in Stripe's dashboard does; what Stripe answers about it
        from then on."""
        with self.lock:
            self.customers[customer_id] = {"id": customer_id, "object": "customer", "deleted": True}
            return dict(self.customers[customer_id])

    def charges_for(self, payment_id: str) -> list[dict]:
        return [charge for charge in self.taken if charge["payment_intent"] == payment_id]

    # --- The API ---

    def handle(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        """One request's answer; the caller holds `lock` (one request at a time, like one
        idempotency key in flight at a time at Stripe)."""
        routes = [
            ("POST", r"/v1/customers", self._customer_create),
            ("GET", r"/v1/customers/(\w+)", self._customer_get),
            ("POST", r"/v1/setup_intents", self._setup_create),
            ("GET", r"/v1/setup_intents/(\w+)", self._setup_get),
            ("POST", r"/v1/setup_intents/(\w+)/confirm", self._setup_confirm),
            ("POST", r"/v1/payment_intents", self._intent_create),
            ("GET", r"/v1/payment_intents/(\w+)", self._intent_get),
            ("POST", r"/v1/payment_intents/(\w+)/confirm", self._intent_confirm),
            ("POST", r"/v1/payment_methods", self._method_create),
            ("GET", r"/v1/payment_methods/(\w+)", self._method_get),
            ("POST", r"/v1/payment_methods/(\w+)/detach", self._method_detach),
            ("POST", r"/v1/refunds", self._refund_create),
        ]
        for verb, pattern, action in routes:
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                try:
                    return 200, action(*match.groups(), params)
                except _Error as error:
                    return error.status, {"error": error.error}
        return 404, {"error": {"type": "invalid_request_error", "message": f"No route {path}"}}

    def _missing(self, kind: str, id_: str) -> _Error:
        return _Error(
            404,
            {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "message": f"No such {kind}: '{id_}'",
            },
        )

    def _customer_create(self, params: dict) -> dict:
        customer = {
            "id": _id("cus"),
            "object": "customer",
            "name": params.get("name"),
            "email": params.get("email"),
            "metadata": params.get("metadata", {}),
            "invoice_settings": {"default_payment_method": None},
        }
        self.customers[customer["id"]] = customer
        return customer

    def _customer_get(self, customer_id: str, params: dict) -> dict:
        customer = self.customers.get(customer_id)
        if customer is None:
            raise self._missing("customer", customer_id)
        default = (customer.get("invoice_settings") or {}).get("default_payment_method")
        if "invoice_settings.default_payment_method" in params.get("expand", []) and default:
            return {
                **customer,
                "invoice_settings": {"default_payment_method": self.methods[default]},
            }
        return customer

    def _setup_create(self, params: dict) -> dict:
        customer = self.customers.get(params.get("customer", ""))
        # A deleted customer is no customer to Stripe: nothing can be set up for it.
        if customer is None or customer.get("deleted"):
            raise self._missing("customer", params.get("customer", ""))
        setup_id = _id("seti")
        setup = {
            "id": setup_id,
            "object": "setup_intent",
            "customer": params["customer"],
            "client_secret": f"{setup_id}_secret_{secrets.token_hex(8)}",
            "status": "requires_payment_method",
            "payment_method": None,
            "usage": params.get("usage", "off_session"),
        }
        self.setups[setup_id] = setup
        return setup

    def _expanded(self, obj: dict, params: dict, name: str, table: dict) -> dict:
        if name in params.get("expand", []) and obj.get(name):
            return {**obj, name: table[obj[name]]}
        return obj

    def _setup_get(self, setup_id: str, params: dict) -> dict:
        if setup_id not in self.setups:
            raise self._missing("setup_intent", setup_id)
        return self._expanded(self.setups[setup_id], params, "payment_method", self.methods)

    def _setup_confirm(self, setup_id: str, params: dict) -> dict:
        setup = self.setups.get(setup_id)
        if setup is None:
            raise self._missing("setup_intent", setup_id)
        pm = self.methods.get(params.get("payment_method", ""))
        if pm is None:
            raise self._missing("payment_method", params.get("payment_method", ""))
        pm["customer"] = setup["customer"]
        setup.update(status="succeeded", payment_method=pm["id"])
        return setup

    def _method_create(self, params: dict) -> dict:
        number = (params.get("card") or {}).get("number", "").replace(" ", "")
        if number not in TEST_NUMBERS:
            raise _Error(
                402,
                {
                    "type": "card_error",
                    "code": "incorrect_number",
                    "message": "Your card number is incorrect.",
                },
            )
        brand, outcome = TEST_NUMBERS[number]
        pm = {
            "id": _id("pm"),
            "object": "payment_method",
            "type": "card",
            "customer": None,
            "card": {"brand": brand, "last4": number[-4:], "exp_month": 12, "exp_year": 2031},
        }
        self.methods[pm["id"]] = pm
        self.outcomes[pm["id"]] = outcome
        return pm

    def _method_get(self, pm_id: str, params: dict) -> dict:
        if pm_id not in self.methods:
            raise self._missing("payment_method", pm_id)
        return self.methods[pm_id]

    def _method_detach(self, pm_id: str, params: dict) -> dict:
        pm = self.methods.get(pm_id)
        if pm is None or pm["customer"] is None:
            raise self._missing("payment_method", pm_id)
        pm["customer"] = None
        return pm

    def _intent_create(self, params: dict) -> dict:
        pm = self.methods.get(params.get("payment_method", ""))
        if pm is None:
            raise self._missing("payment_method", params.get("payment_method", ""))
        if pm["customer"] != params.get("customer"):
            raise _Error(
                400,
                {
                    "type": "invalid_request_error",
                    "message": "The provided PaymentMethod belongs to another customer.",
                },
            )
        intent_id = _id("pi")
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": int(params["amount"]),
            "currency": params["currency"],
            "customer": params.get("customer"),
            "payment_method": pm["id"],
            "description": params.get("description"),
            "metadata": params.get("metadata", {}),
            "client_secret": f"{intent_id}_secret_{secrets.token_hex(8)}",
            "status": "requires_confirmation",
            "latest_charge": None,
            "next_action": None,
            "off_session": params.get("off_session") == "true",
        }
        self.intents[intent_id] = intent
        if params.get("confirm") == "true":
            self._intent_attempt(intent)
        return self._expanded(intent, params, "latest_charge", self._charges())

    def _charges(self) -> dict:
        return {charge["id"]: charge for charge in self.taken}

    def _intent_attempt(self, intent: dict) -> None:
        outcome = self.outcomes[intent["payment_method"]]
        if outcome == "card_declined":
            intent["status"] = "requires_payment_method"
            raise self._card_error(intent, "card_declined", "Your card was declined.")
        if outcome == "authentication_required":
            if intent["off_session"]:
                intent["status"] = "requires_payment_method"
                raise self._card_error(
                    intent,
                    "authentication_required",
                    "This payment requires authentication.",
                )
            intent["status"] = "requires_action"
            intent["next_action"] = {"type": "use_stripe_sdk"}
            return
        self._take(intent)

    def _card_error(self, intent: dict, code: str, message: str) -> _Error:
        return _Error(
            402,
            {
                "type": "card_error",
                "code": code,
                "decline_code": "generic_decline" if code == "card_declined" else None,
                "message": message,
                "payment_intent": dict(intent),
            },
        )

    def _take(self, intent: dict) -> None:
        charge = {
            "id": _id("ch"),
            "object": "charge",
            "amount": intent["amount"],
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "paid": True,
            "refunded": False,
            "amount_refunded": 0,
            "receipt_url": f"{self.base}/receipts/{intent['id']}",
        }
        self.taken.append(charge)
        intent.update(status="succeeded", latest_charge=charge["id"], next_action=None)

    def _intent_get(self, intent_id: str, params: dict) -> dict:
        if intent_id not in self.intents:
            raise self._missing("payment_intent", intent_id)
        return self._expanded(self.intents[intent_id], params, "latest_charge", self._charges())

    def _intent_confirm(self, intent_id: str, params: dict) -> dict:
        intent = self.intents.get(intent_id)
        if intent is None:
            raise self._missing("payment_intent", intent_id)
        if params.get("payment_method"):
            intent["payment_method"] = params["payment_method"]
        present = params.get("off_session") == "false"  # Stripe.js, the card holder there
        if present:
            intent["off_session"] = False
        outcome = self.outcomes[intent["payment_method"]]
        if intent["status"] == "requires_action" or (
            present
            and intent["status"] == "requires_payment_method"
            and outcome == "authentication_required"
        ):
            # The bank's challenge passed (the stand-in for Stripe.js's 3-D Secure dialog).
            self._take(intent)
        elif intent["status"] in ("requires_confirmation", "requires_payment_method"):
            self._intent_attempt(intent)
        return self._expanded(intent, params, "latest_charge", self._charges())

    def _refund_create(self, params: dict) -> dict:
        intent = self.intents.get(params.get("payment_intent", ""))
        if intent is None or intent["status"] != "succeeded":
            raise self._missing("payment_intent", params.get("payment_intent", ""))
        charge = self._charges()[intent["latest_charge"]]
        amount = int(params.get("amount", charge["amount"] - charge["amount_refunded"]))
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        refund = {
            "id": _id("re"),
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "payment_intent": intent["id"],
            "status": "succeeded",
        }
        self.refunds[refund["id"]] = refund
        return refund

    # --- Webhook events as Stripe would send them ---

    def event(self, type_: str, obj: dict, *, event_id: str | None = None) -> bytes:
        """The body of a webhook event about `obj` (a copy of the object as it is now)."""
        return json.dumps(
            {
                "id": event_id or _id("evt"),
                "object": "event",
                "type": type_,
                "api_version": "2026-10-28.endive",
                "created": 0,
                "livemode": False,
                "data": {"object": obj},
            }
        ).encode()


class _Handler(BaseHTTPRequestHandler):
    fake: StripeFake  # set on the per-server subclass
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: pytest shows what matters

    def _answer(self, method: str) -> None:
        url = urlsplit(self.path)
        if method == "GET" and url.path.startswith("/v3"):
            body = STRIPE_JS.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(body)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        params = form_decode(url.query if method == "GET" else body)
        key = self.headers.get("Idempotency-Key") or ""
        fake = self.fake
        with fake.lock:
            fake.requests.append((method, url.path, key))
            seen = fake.answers.get(key) if key and method == "POST" else None
            if seen is not None:
                status, answer = seen
            else:
                status, answer = fake.handle(method, url.path, params)
                if key and method == "POST":
                    fake.answers[key] = (status, answer)
            drop = fake.drops > 0
            fake.drops -= 1 if drop else 0
        if drop:
            self.close_connection = True
            self.connection.shutdown(2)  # the request was processed; its answer is lost
            return
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", _id("req"))
        if key:
            self.send_header("Idempotency-Key", key)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Headers", "Authorization, Content-Type")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_OPTIONS(self) -> None:
        self.send_response(204)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Headers", "Authorization, Content-Type")
        self.send_header("Access-Control-Allow-Methods", "GET, POST")
        self.send_header("Content-Length", "0")
        self.end_headers()


def stripe_fake_start() -> StripeFake:
    """A fake on a free port of 127.0.0.1, serving from a daemon thread."""
    fake = StripeFake()
    handler = type("Handler", (_Handler,), {"fake": fake})
    fake.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    fake.server.daemon_threads = True
    threading.Thread(target=fake.server.serve_forever, daemon=True).start()
    return fake


def stripe_fake_stop(fake: StripeFake) -> None:
    assert fake.server is not None
    fake.server.shutdown()
    fake.server.server_close()
