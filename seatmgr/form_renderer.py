"""How a form field is drawn: `{{ form.email.as_field_group }}` renders templates/forms/field.html
(its label, the widget, help text and errors, wired with aria-describedby and aria-invalid).
FORM_RENDERER names this class."""

from django.forms import BoundField
from django.forms.renderers import TemplatesSetting


def first_invalid_field(form) -> str | None:
    """The name of the form's first visible field with an error, in the form's order."""
    return next(
        (
            name
            for name, field in form.fields.items()
            if name in form.errors and not field.widget.is_hidden
        ),
        None,
    )


class DescribedBoundField(BoundField):
    """A field whose aria-describedby names only what is drawn: the help text and errors that
    templates/forms/field.html writes with those ids. A widget drawn on its own (`{{ form.x }}`,
    in a template that lays out its own help and errors) gets no aria-describedby from Django,
    which would point at ids nobody wrote; a template that writes them itself draws
    `{{ form.x.as_described_widget }}`.

    After a failed submit the first invalid field has autofocus (and no other field of the form
    does), so focus lands on what to fix, without script; a form whose only errors are
    non-field ones focuses its summary (templates/partials/form_errors.html)."""

    _drawn_as_group = False

    def as_field_group(self):
        self._drawn_as_group = True
        try:
            return super().as_field_group()
        finally:
            self._drawn_as_group = False

    def as_described_widget(self):
        """The widget alone, described by "<id>_helptext" and "<id>_error" (what it has of
        the two): for a template that lays out the field itself and writes those ids."""
        self._drawn_as_group = True
        try:
            return self.as_widget()
        finally:
            self._drawn_as_group = False

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.form.is_bound and self.form.errors and not (widget or self.field.widget).is_hidden:
            attrs["autofocus"] = self.name == first_invalid_field(self.form)
        return attrs

    @property
    def aria_describedby(self):
        return super().aria_describedby if self._drawn_as_group else None


class FormRenderer(TemplatesSetting):
    """Django's renderer that reads the project's TEMPLATES (so templates/forms/ is found, and
    Django's widget templates through "django.forms" in INSTALLED_APPS), with our field group."""

    field_template_name = "forms/field.html"
    bound_field_class = DescribedBoundField
