"""Widgets drawn in Python where Django's templates cost a page most of its time.

Django draws a <select> with one template for the list and another, included, for each of its
options: the Users tab's filters (about 60 options) took about as long to draw as its 50 rows.
"""

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


class PlainSelect(forms.Select):
    """forms.Select drawn without templates, character for character as
    django/forms/widgets/select.html and select_option.html draw it
    (tests/test_form_renderer.py compares the two). Plain string joins of escaped parts:
    format_html per option cost as much as the rest of the widget."""

    def _render(self, template_name, context, _renderer=None):  # Widget.render passes all three
        widget = context["widget"]
        groups = []
        for group_name, options, _index in widget["optgroups"]:
            # select_option.html ends with a line break, which each option keeps.
            drawn = "".join(
                f'\n  <option value="{conditional_escape(o["value"])}"{_attrs_html(o["attrs"])}>'
                f"{conditional_escape(o['label'])}</option>\n"
                for o in options
            )
            if group_name:
                drawn = (
                    f'\n  <optgroup label="{conditional_escape(group_name)}">{drawn}\n  </optgroup>'
                )
            groups.append(drawn)
        return mark_safe(  # noqa: S308 - every part escaped above
            f'<select name="{conditional_escape(widget["name"])}"{_attrs_html(widget["attrs"])}>'
            f"{''.join(groups)}\n</select>"
        )
