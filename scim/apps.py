from django.apps import AppConfig


class ScimConfig(AppConfig):
    name = "scim"
    verbose_name = "SCIM provisioning"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The change formatter (floor 2) learns SCIM's keys.
        from scim.audit import audit_keys_register

        audit_keys_register()
