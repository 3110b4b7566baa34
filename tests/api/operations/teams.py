"""/api/v1/ teams operations in the matrix."""

from tests.api.operations import Operation

OPERATIONS: list[Operation] = []
