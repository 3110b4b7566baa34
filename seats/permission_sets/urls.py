"""The Permission sets pages (namespace "seats")."""

from django.urls import path

from seats.permission_sets import views

urlpatterns = [
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
        "settings/permission-sets/<int:set_id>/", views.permission_set_edit, name="permission_set"
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
]
