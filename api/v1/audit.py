"""/api/v1/: audit."""
