"""/api/v1/: the JSON API, on django-ninja. Thin operations over the pages' own services and
selectors, a module per part of the product (users, teams, seats and billing, audit log); the
API object, its callers and its errors are in api.v1.base.

A caller is an API key (`Authorization: Bearer smk_...`, with a scope per operation) or the
signed-in session of the same-origin pages (with CSRF on every write). A key acts for its account
as the super admin who made it; every audit event written during its request names the key.
"""

from accounts.access import public
from api.v1 import audit, billing, teams, users  # noqa: F401  (each adds its operations)
from api.v1.base import api


# The JSON API checks its own callers on every operation: for seatmgr's page middleware, each of
# its views is public (no sign-in redirect) and says so.
def urls():
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback = public(pattern.callback)
    return patterns, app_name, namespace
