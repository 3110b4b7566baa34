"""Floor 2's pages, one package each (namespace "seats")."""

from django.urls import include, path

app_name = "seats"

urlpatterns = [
    path("", include("seats.users.urls")),
    path("", include("seats.permission_sets.urls")),
    path("", include("seats.presets.urls")),
    path("", include("seats.audit_log.urls")),
    path("", include("seats.reclaim.urls")),
    path("", include("seats.requests.urls")),
]
