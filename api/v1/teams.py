"""/api/v1/: teams."""
