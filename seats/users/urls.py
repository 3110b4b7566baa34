"""The Users tab of Users & Teams and a user's page (namespace "seats")."""

from django.urls import path

from seats.users import views

urlpatterns = [
    path("settings/users/", views.users, name="users"),
    path("settings/users/export.csv", views.users_export, name="users_export"),
    path("settings/users/bulk/", views.users_bulk, name="users_bulk"),
    path("settings/users/<int:membership_id>/", views.user_detail, name="user"),
    path("settings/users/<int:membership_id>/history/", views.user_history, name="user_history"),
    path("settings/users/<int:membership_id>/access/", views.user_access, name="user_access"),
    path("settings/users/<int:membership_id>/teams/", views.user_teams, name="user_teams"),
    path(
        "settings/users/<int:membership_id>/actions/<str:action>/",
        views.user_action,
        name="user_action",
    ),
]
