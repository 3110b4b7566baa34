from django.urls import path

from billing import payment_views, plan_views, views, webhook_views

app_name = "billing"

urlpatterns = [
    path("billing/stripe/webhook/", webhook_views.stripe_webhook, name="stripe_webhook"),
    path("settings/seats/", views.seats, name="seats"),
    path("settings/seats/<str:seat_type>/add/", views.seats_add, name="seats_add"),
    path("settings/seats/<str:seat_type>/quote/", views.seats_quote, name="seats_quote"),
    path("settings/billing/", views.account, name="account"),
    path("settings/billing/seats/<str:seat_type>/remove/", views.seats_remove, name="seats_remove"),
    path(
        "settings/billing/seats/<str:seat_type>/remove/quote/",
        views.seats_remove_quote,
        name="seats_remove_quote",
    ),
    path(
        "settings/billing/seats/<str:seat_type>/remove/cancel/",
        views.seats_remove_cancel,
        name="seats_remove_cancel",
    ),
    path("settings/billing/card/", views.card, name="card"),
    path("settings/billing/invoices/", views.invoices, name="invoices"),
    path("settings/billing/invoices/<int:invoice_id>/", views.invoice, name="invoice"),
    path(
        "settings/billing/invoices/<int:invoice_id>/authenticate/",
        payment_views.invoice_authenticate,
        name="invoice_authenticate",
    ),
    path("settings/billing/contact/", views.contact, name="contact"),
    path("settings/pricing/", views.pricing, name="pricing"),
    path("settings/pricing/bundle/", plan_views.bundle, name="bundle"),
    path("settings/pricing/bundle/total/", plan_views.bundle_total, name="bundle_total"),
    path("settings/pricing/checkout/", plan_views.checkout, name="checkout"),
    path("settings/pricing/talk-to-sales/", plan_views.talk_to_sales, name="talk_to_sales"),
    path(
        "settings/pricing/talk-to-sales/sent/",
        plan_views.talk_to_sales_done,
        name="talk_to_sales_done",
    ),
    path("settings/billing/plan/", plan_views.plan, name="plan"),
    path(
        "settings/billing/plan/changes/<int:item_id>/cancel/",
        plan_views.change_cancel,
        name="change_cancel",
    ),
    path("settings/billing/plan/interval/", plan_views.interval, name="interval"),
    path("settings/billing/plan/auto-renewal/", plan_views.auto_renewal, name="auto_renewal"),
]
