"""Sign-in, password reset, accounts, profile, notifications, and the Teams tab (namespace
"accounts")."""

from django.urls import include, path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="login"),
    path("language/", views.language_choose, name="language"),
    path("sign-out/", views.sign_out, name="logout"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.password_reset_done, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password-reset/done/", views.password_reset_complete, name="password_reset_complete"),
    path("accounts/", views.choose_account, name="choose_account"),
    path("accounts/switch/", views.switch_account, name="switch_account"),
    path("settings/profile/", views.profile, name="profile"),
    path("settings/account-defaults/", views.account_defaults, name="account_defaults"),
    path("settings/notifications/", views.notifications, name="notifications"),
    path("settings/notifications/read/", views.notifications_read, name="notifications_read"),
    path("", include("accounts.teams.urls")),
]
