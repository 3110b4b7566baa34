"""The Presets tab of Users & Teams (namespace "seats")."""

from django.urls import path

from seats.presets import views

urlpatterns = [
    path("settings/presets/", views.presets, name="presets"),
    path("settings/presets/new/", views.preset_create_view, name="preset_create"),
    path("settings/presets/<int:preset_id>/", views.preset_edit, name="preset"),
    path(
        "settings/presets/<int:preset_id>/delete/", views.preset_delete_view, name="preset_delete"
    ),
    path("settings/presets/<int:preset_id>/apply/", views.preset_apply_view, name="preset_apply"),
]
