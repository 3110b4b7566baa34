from django.urls import path

from invitations.views import accept, create_user, links

app_name = "invitations"

urlpatterns = [
    path("settings/users/new/", create_user.create_user, name="create_user"),
    path(
        "settings/users/new/salesforce/",
        create_user.create_user_salesforce,
        name="create_user_salesforce",
    ),
    path(
        "settings/users/new/salesforce/connect/",
        create_user.salesforce_connect,
        name="salesforce_connect",
    ),
    path("settings/users/new/access/", create_user.create_user_access, name="create_user_access"),
    path("settings/users/new/review/", create_user.create_user_review, name="create_user_review"),
    path("settings/users/added/", create_user.created_users, name="created_users"),
    path(
        "settings/users/<int:membership_id>/invite-link/",
        links.invite_link_copy,
        name="invite_link_copy",
    ),
    path(
        "settings/users/<int:membership_id>/resend-invite/",
        links.invite_resend,
        name="invite_resend",
    ),
    path(
        "settings/users/<int:membership_id>/revoke-invite/",
        links.invite_revoke,
        name="invite_revoke",
    ),
    path("invite/<str:token>/", accept.open_link, name="open"),
    path("invite/", accept.accept, name="accept"),
    path("invite-switch-user/", accept.switch_user, name="switch_user"),
]
