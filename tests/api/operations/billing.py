"""/api/v1/seats and billing in the matrix."""

from api.models import ApiScope
from tests.api.operations import Operation

OPERATIONS = [
    Operation("GET", "/api/v1/seats", ApiScope.BILLING_READ, 200),
]
