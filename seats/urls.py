from django.urls import path

from seats import views

app_name = "seats"

urlpatterns = [
    path("settings/users/", views.users, name="users"),
    path("settings/users/<int:membership_id>/", views.user_detail, name="user"),
]
