"""A member's seat and "Request a seat"; the "Seat requests" tab of Users & Teams."""

from django.urls import path

from seats.requests import views

urlpatterns = [
    path("settings/my-seat/", views.my_seat, name="my_seat"),
    path(
        "settings/my-seat/requests/<int:request_id>/cancel/",
        views.seat_request_cancel,
        name="seat_request_cancel",
    ),
    path("settings/seat-requests/", views.seat_requests, name="seat_requests"),
    path(
        "settings/seat-requests/<int:request_id>/approve/",
        views.seat_request_approve,
        name="seat_request_approve",
    ),
    path(
        "settings/seat-requests/<int:request_id>/deny/",
        views.seat_request_deny,
        name="seat_request_deny",
    ),
]
