"""URLs of the Teams, Presets, Permission sets and Audit log pages (namespace "seats"); their
views are in organisation_views (Teams, Audit log), preset_views and permission_set_views."""

from django.urls import path

from seats import organisation_views as views
from seats import permission_set_views, preset_views

urlpatterns = [
    # Teams
    path("settings/teams/", views.teams, name="teams"),
    path("settings/teams/<int:team_id>/", views.team_detail, name="team"),
    path("settings/teams/<int:team_id>/rename/", views.team_rename_view, name="team_rename"),
    path("settings/teams/<int:team_id>/parent/", views.team_parent_view, name="team_parent"),
    path("settings/teams/<int:team_id>/delete/", views.team_delete_view, name="team_delete"),
    path(
        "settings/teams/<int:team_id>/members/add/",
        views.team_member_add_view,
        name="team_member_add",
    ),
    path(
        "settings/teams/<int:team_id>/members/<int:membership_id>/remove/",
        views.team_member_remove_view,
        name="team_member_remove",
    ),
    # Presets
    path("settings/presets/", preset_views.presets, name="presets"),
    path("settings/presets/new/", preset_views.preset_create_view, name="preset_create"),
    path("settings/presets/<int:preset_id>/", preset_views.preset_edit, name="preset"),
    path(
        "settings/presets/<int:preset_id>/delete/",
        preset_views.preset_delete_view,
        name="preset_delete",
    ),
    path(
        "settings/presets/<int:preset_id>/apply/",
        preset_views.preset_apply_view,
        name="preset_apply",
    ),
    # Permission sets
    path("settings/permission-sets/", permission_set_views.permission_sets, name="permission_sets"),
    path(
        "settings/permission-sets/new/",
        permission_set_views.permission_set_create_view,
        name="permission_set_create",
    ),
    path(
        "settings/permission-sets/built-in/<slug:code>/",
        permission_set_views.permission_set_builtin,
        name="permission_set_builtin",
    ),
    path(
        "settings/permission-sets/built-in/<slug:code>/copy/",
        permission_set_views.permission_set_copy_view,
        name="permission_set_copy",
    ),
    path(
        "settings/permission-sets/<int:set_id>/",
        permission_set_views.permission_set_edit,
        name="permission_set",
    ),
    path(
        "settings/permission-sets/<int:set_id>/users/",
        permission_set_views.permission_set_users,
        name="permission_set_users",
    ),
    path(
        "settings/permission-sets/<int:set_id>/delete/",
        permission_set_views.permission_set_delete_view,
        name="permission_set_delete",
    ),
    # Audit log
    path("settings/audit-log/", views.audit_log, name="audit_log"),
    path("settings/audit-log/export.csv", views.audit_log_export, name="audit_log_export"),
]
