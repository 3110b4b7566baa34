"""How a form field is drawn: `{{ form.email.as_field_group }}` renders templates/forms/field.html
(its label, the widget, help text and errors, wired with aria-describedby and aria-invalid).
FORM_RENDERER names this class."""

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Django's renderer that reads the project's TEMPLATES (so templates/forms/ is found, and
    Django's widget templates through "django.forms" in INSTALLED_APPS), with our field group."""

    field_template_name = "forms/field.html"
