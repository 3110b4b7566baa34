"""Inactive paid seats and the reclaim policy (namespace "seats")."""

from django.urls import path

from seats.reclaim import views

urlpatterns = [
    path("settings/users/inactive/<str:seat_type>/", views.inactive_move, name="inactive_move"),
    path("settings/reclaim-policy/", views.reclaim_policy, name="reclaim_policy"),
]
