"""The account-wide Audit log (namespace "seats")."""

from django.urls import path

from seats.audit_log import views

urlpatterns = [
    path("settings/audit-log/", views.audit_log, name="audit_log"),
    path("settings/audit-log/export.csv", views.audit_log_export, name="audit_log_export"),
]
