from django.urls import path

from invitations import accept_views, views

app_name = "invitations"

urlpatterns = [
    path("settings/users/new/", views.create_user, name="create_user"),
    path(
        "settings/users/new/salesforce/",
        views.create_user_salesforce,
        name="create_user_salesforce",
    ),
    path(
        "settings/users/new/salesforce/connect/",
        views.salesforce_connect,
        name="salesforce_connect",
    ),
    path("settings/users/new/access/", views.create_user_access, name="create_user_access"),
    path("settings/users/new/review/", views.create_user_review, name="create_user_review"),
    path("settings/users/added/", views.created_users, name="created_users"),
    path(
        "settings/users/<int:membership_id>/invite-link/",
        views.invite_link_copy,
        name="invite_link_copy",
    ),
    path(
        "settings/users/<int:membership_id>/resend-invite/",
        views.invite_resend,
        name="invite_resend",
    ),
    path(
        "settings/users/<int:membership_id>/revoke-invite/",
        views.invite_revoke,
        name="invite_revoke",
    ),
    path("invite/<str:token>/", accept_views.open_link, name="open"),
    path("invite/", accept_views.accept, name="accept"),
    path("invite-switch-user/", accept_views.switch_user, name="switch_user"),
]
