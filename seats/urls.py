from django.urls import path

from seats import views

app_name = "seats"

urlpatterns = [
    path("settings/users/", views.users, name="users"),
]
