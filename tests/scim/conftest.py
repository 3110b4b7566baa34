"""SCIM's world: Initech (tests/api's: 4 Core seats, the super admin holds one) with a key of
scope "scim", and a client that sends it."""

import json

import pytest
from django.test import Client

from api.services import api_key_create
from tests.api import conftest as api_world

# tests/api's fixtures, for this directory's tests too.
account = api_world.account
admin = api_world.admin

SCIM = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
EXTENSION = "urn:ietf:params:scim:schemas:extension:seatmgr:2.0:User"


def scim_token(owner, name: str = "Okta") -> str:
    return api_key_create(actor_membership=owner, name=name, scopes=["scim"], expires_on=None).token


class ScimClient:
    """Django's test client speaking SCIM: JSON bodies as application/scim+json."""

    def __init__(self, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = Client(headers=headers)

    def get(self, path: str, **params):
        return self.client.get(f"/scim/v2/{path}", params)

    def send(self, method: str, path: str, body=None):
        data = json.dumps(body) if body is not None else ""
        return getattr(self.client, method)(f"/scim/v2/{path}", data, content_type=SCIM)

    def post(self, path, body):
        return self.send("post", path, body)

    def put(self, path, body):
        return self.send("put", path, body)

    def patch(self, path, body):
        return self.send("patch", path, body)

    def delete(self, path):
        return self.send("delete", path)


@pytest.fixture
def token(admin) -> str:
    return scim_token(admin)


@pytest.fixture
def scim(token) -> ScimClient:
    return ScimClient(token)


def user_body(email: str, **extra) -> dict:
    body = {
        "schemas": [USER_SCHEMA],
        "userName": email,
        "name": {"givenName": "Grace", "familyName": "Hopper"},
        "emails": [{"value": email, "type": "work", "primary": True}],
        "active": True,
    }
    return body | extra


def patch_body(*operations: dict) -> dict:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}
