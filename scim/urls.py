"""/scim/v2/ (the SCIM service provider) and Settings → "Provisioning (SCIM)" (namespace
"scim")."""

from django.urls import path

from scim import pages, views

app_name = "scim"

urlpatterns = [
    path("scim/v2/", views.root, name="root"),
    path(
        "scim/v2/ServiceProviderConfig",
        views.service_provider_config_view,
        name="service_provider_config",
    ),
    path("scim/v2/ResourceTypes", views.resource_types_view, name="resource_types"),
    path("scim/v2/ResourceTypes/<str:name>", views.resource_types_view, name="resource_type"),
    path("scim/v2/Schemas", views.schemas_view, name="schemas"),
    path("scim/v2/Schemas/<str:schema_id>", views.schemas_view, name="schema"),
    path("scim/v2/Users", views.users, name="users"),
    path("scim/v2/Users/<str:member_id>", views.user, name="user"),
    path("scim/v2/Groups", views.groups, name="groups"),
    path("scim/v2/Groups/<str:team_id>", views.group, name="group"),
    path("settings/provisioning/", pages.scim_settings, name="settings"),
    path("settings/provisioning/seats/", pages.scim_settings_save_view, name="settings_save"),
    path("settings/provisioning/keys/new/", pages.scim_key_create_view, name="key_create"),
    path(
        "settings/provisioning/keys/<int:key_id>/revoke/",
        pages.scim_key_revoke_view,
        name="key_revoke",
    ),
    path("settings/provisioning/rules/new/", pages.scim_seat_rule_add_view, name="rule_add"),
    path(
        "settings/provisioning/rules/<int:rule_id>/remove/",
        pages.scim_seat_rule_remove_view,
        name="rule_remove",
    ),
]
