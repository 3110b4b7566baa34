from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReclaimConfig(AppConfig):
    """Inactive paid seats and the reclaim policy: its own app label (tables and migrations of
    their own) inside floor 2."""

    name = "seats.reclaim"
    label = "reclaim"
    verbose_name = _("Seat reclaim")
