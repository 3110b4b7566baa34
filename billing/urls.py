from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("settings/seats/", views.seats, name="seats"),
    path("settings/seats/<str:seat_type>/add/", views.seats_add, name="seats_add"),
    path("settings/seats/<str:seat_type>/quote/", views.seats_quote, name="seats_quote"),
    path("settings/billing/", views.account, name="account"),
    path("settings/billing/seats/<str:seat_type>/remove/", views.seats_remove, name="seats_remove"),
    path(
        "settings/billing/seats/<str:seat_type>/remove/cancel/",
        views.seats_remove_cancel,
        name="seats_remove_cancel",
    ),
    path("settings/billing/card/", views.card, name="card"),
    path("settings/billing/invoices/", views.invoices, name="invoices"),
    path("settings/billing/invoices/<int:invoice_id>/", views.invoice, name="invoice"),
    path("settings/billing/contact/", views.contact, name="contact"),
    path("settings/pricing/", views.pricing, name="pricing"),
]
