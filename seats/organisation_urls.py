"""URLs of the Teams, Presets, Permission sets and Audit log pages (namespace "seats")."""

from django.urls import path

from seats import organisation_views as views

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
    path("settings/presets/", views.presets, name="presets"),
    path("settings/presets/new/", views.preset_create_view, name="preset_create"),
    path("settings/presets/<int:preset_id>/", views.preset_edit, name="preset"),
    path(
        "settings/presets/<int:preset_id>/delete/", views.preset_delete_view, name="preset_delete"
    ),
    path("settings/presets/<int:preset_id>/apply/", views.preset_apply_view, name="preset_apply"),
    # Permission sets
    path("settings/permission-sets/", views.permission_sets, name="permission_sets"),
    path(
        "settings/permission-sets/new/",
        views.permission_set_create_view,
        name="permission_set_create",
    ),
    path(
        "settings/permission-sets/built-in/<slug:code>/",
        views.permission_set_builtin,
        name="permission_set_builtin",
    ),
    path(
        "settings/permission-sets/built-in/<slug:code>/copy/",
        views.permission_set_copy_view,
        name="permission_set_copy",
    ),
    path(
        "settings/permission-sets/<int:set_id>/",
        views.permission_set_edit,
        name="permission_set",
    ),
    path(
        "settings/permission-sets/<int:set_id>/users/",
        views.permission_set_users,
        name="permission_set_users",
    ),
    path(
        "settings/permission-sets/<int:set_id>/delete/",
        views.permission_set_delete_view,
        name="permission_set_delete",
    ),
    # Audit log
    path("settings/audit-log/", views.audit_log, name="audit_log"),
    path("settings/audit-log/export.csv", views.audit_log_export, name="audit_log_export"),
]
