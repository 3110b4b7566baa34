"""Every operation of /api/v1/, as the authorisation matrix and schemathesis call it: its method,
path, scope, the status it answers when allowed, and how to make what its path names and the
body it sends. A module per part of the API; test_authorization checks the list is the schema's.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.test import Client

from accounts.models import Membership
from api.models import ApiScope


def no_ids(admin: Membership) -> dict[str, int]:
    return {}


@dataclass(frozen=True)
class Operation:
    method: str
    # Placeholders ("{user}") are filled by `ids`, which makes what they name, fresh, in the
    # account of the member it is given (so another account's ids are made the same way).
    path: str
    scope: ApiScope
    ok: int
    ids: Callable[[Membership], dict[str, int]] = no_ids
    # The JSON body, given a number no other call used (for unique addresses and names).
    body: Callable[[int], Any] | None = None
    idempotent: bool = False  # sends a fresh Idempotency-Key
    query: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def names_objects(self) -> bool:
        return "{" in self.path


_numbers = itertools.count()


def call(client: Client, operation: Operation, owner: Membership, *, ids=None):
    """Sends the operation, naming objects made in `owner`'s account (or `ids` when given)."""
    ids = operation.ids(owner) if ids is None else ids
    path = operation.path.format(**ids)
    n = next(_numbers)
    headers = {"Idempotency-Key": f"matrix-{n}"} if operation.idempotent else {}
    kwargs: dict[str, Any] = {"headers": headers}
    if operation.body is not None:
        kwargs |= {"data": operation.body(n), "content_type": "application/json"}
    elif operation.query:
        kwargs["data"] = operation.query
    return getattr(client, operation.method.lower())(path, **kwargs)


def operations() -> list[Operation]:
    from tests.api.operations import audit, billing, teams, users

    return [*users.OPERATIONS, *teams.OPERATIONS, *billing.OPERATIONS, *audit.OPERATIONS]
