"""/api/v1/ audit operations in the matrix."""

from api.models import ApiScope
from tests.api.operations import Operation

OPERATIONS = [
    Operation("GET", "/api/v1/audit-events", ApiScope.AUDIT_READ, 200),
]
