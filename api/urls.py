"""Settings → "API keys" (namespace "api")."""

from django.urls import path

from api import views

app_name = "api"

urlpatterns = [
    path("settings/api-keys/", views.api_keys, name="api_keys"),
    path("settings/api-keys/new/", views.api_key_create_view, name="api_key_create"),
    path(
        "settings/api-keys/<int:key_id>/revoke/", views.api_key_revoke_view, name="api_key_revoke"
    ),
]
