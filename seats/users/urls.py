"""The Users tab of Users & Teams and a user's page (namespace "seats")."""

from django.urls import path

from seats.users.views import directory, member

urlpatterns = [
    path("settings/users/", directory.users, name="users"),
    path("settings/users/export.csv", directory.users_export, name="users_export"),
    path("settings/users/bulk/", directory.users_bulk, name="users_bulk"),
    path("settings/users/<int:membership_id>/", member.user_detail, name="user"),
    path("settings/users/<int:membership_id>/history/", member.user_history, name="user_history"),
    path("settings/users/<int:membership_id>/access/", member.user_access, name="user_access"),
    path("settings/users/<int:membership_id>/teams/", member.user_teams, name="user_teams"),
    path(
        "settings/users/<int:membership_id>/actions/<str:action>/",
        member.user_action,
        name="user_action",
    ),
]
