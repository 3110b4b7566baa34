"""The Teams tab of Users & Teams (namespace "accounts")."""

from django.urls import path

from accounts.teams import views

urlpatterns = [
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
]
