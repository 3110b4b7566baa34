"""/api/v1/ audit operations in the matrix."""

from tests.api.operations import Operation

OPERATIONS: list[Operation] = []
