from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("settings/billing/", views.account, name="account"),
    path("settings/pricing/", views.pricing, name="pricing"),
]
