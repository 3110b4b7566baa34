"""Widgets drawn in Python where Django's templates cost a page most of its time.

Django draws a <select> with one template for the list and another, included, for each of its
options: the Users tab's filters (about 60 options) took about as long to draw as its 50 rows.
"""

from html import escape

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe


def _attrs_html(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: ` name="value"` each, a True value as the bare name,
    a False one left out. Escaped as format_html would (conditional_escape)."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _escaped(value) -> str:
    """conditional_escape(value), without its lookups for the plain str or int most options
    are (Django's escape is html.escape too)."""
    kind = type(value)
    if kind is str:
        return escape(value)
    if kind is int:
        return str(value)
    return conditional_escape(value)


class PlainSelect(forms.Select):
    """forms.Select drawn without templates, character for character as
    django/forms/widgets/select.html and select_option.html draw it
    (tests/test_form_renderer.py compares the two). Plain string joins of escaped parts, and
    the options drawn straight from the choices: format_html per option cost as much as the rest
    of the widget, and so did ChoiceWidget's dict of nine keys per option (optgroups)."""

    def get_context(self, name, value, attrs):
        # Select's context without ChoiceWidget's "optgroups": _render reads the choices.
        context = forms.Widget.get_context(self, name, value, attrs)
        if self.allow_multiple_selected:
            context["widget"]["attrs"]["multiple"] = True
        return context

    def _render(self, template_name, context, _renderer=None):  # Widget.render passes all three
        widget = context["widget"]
        # Which options are selected, as ChoiceWidget.optgroups decides: the first whose value
        # is among the (formatted) values, or each of them when several may be.
        values, multiple = widget["value"], self.allow_multiple_selected
        has_selected = False
        groups = []
        for option_value, option_label in self.choices:
            group_name = "" if option_value is None else option_value
            grouped = isinstance(option_label, (list, tuple))
            drawn = []
            for value, label in option_label if grouped else [(group_name, option_label)]:
                selected = (not has_selected or multiple) and str(value) in values
                has_selected |= selected
                # select_option.html ends with a line break, which each option keeps.
                drawn.append(
                    f'\n  <option value="{_escaped(value)}"'
                    f"{' selected' if selected else ''}>{_escaped(label)}</option>\n"
                )
            drawn = "".join(drawn)
            if grouped and group_name:
                drawn = (
                    f'\n  <optgroup label="{conditional_escape(group_name)}">{drawn}\n  </optgroup>'
                )
            groups.append(drawn)
        return mark_safe(  # noqa: S308 - every part escaped above
            f'<select name="{conditional_escape(widget["name"])}"{_attrs_html(widget["attrs"])}>'
            f"{''.join(groups)}\n</select>"
        )


class PlainInput:
    """An <input> drawn without templates, character for character as
    django/forms/widgets/input.html draws it (tests/test_form_renderer.py compares the two): a
    mixin ahead of Django's TextInput, NumberInput, ..."""

    def _render(self, template_name, context, _renderer=None):  # Widget.render passes all three
        widget = context["widget"]
        value = widget["value"]
        shown = "" if value is None else f' value="{conditional_escape(value)}"'
        return mark_safe(  # noqa: S308 - every part escaped
            f'<input type="{conditional_escape(widget["type"])}" '
            f'name="{conditional_escape(widget["name"])}"{shown}{_attrs_html(widget["attrs"])}>'
        )


class PlainTextInput(PlainInput, forms.TextInput):
    pass


class PlainNumberInput(PlainInput, forms.NumberInput):
    pass
