"""Widgets drawn in Python where Django's templates cost a page most of its time.

Django draws a <select> with one template for the list and another, included, for each of its
options: the Users tab's filters (about 60 options) took about as long to draw as its 50 rows.
"""

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


def _attrs_html(attrs: dict) -> SafeString:
    """django/forms/widgets/attrs.html: ` name="value"` each, a True value as the bare name,
    a False one left out."""
    return format_html_join(
        "",
        " {}{}",
        (
            (name, "" if value is True else format_html('="{}"', value))
            for name, value in attrs.items()
            if value is not False
        ),
    )


class PlainSelect(forms.Select):
    """forms.Select drawn without templates, character for character as
    django/forms/widgets/select.html and select_option.html draw it
    (tests/test_form_renderer.py compares the two)."""

    def _render(self, template_name, context, _renderer=None):  # Widget.render passes all three
        widget = context["widget"]
        groups = []
        for group_name, options, _index in widget["optgroups"]:
            drawn = format_html_join(
                "",
                # select_option.html ends with a line break, which each option keeps.
                '\n  <option value="{}"{}>{}</option>\n',
                ((o["value"], _attrs_html(o["attrs"]), o["label"]) for o in options),
            )
            if group_name:
                drawn = format_html('\n  <optgroup label="{}">{}\n  </optgroup>', group_name, drawn)
            groups.append(drawn)
        return format_html(
            '<select name="{}"{}>{}\n</select>',
            widget["name"],
            _attrs_html(widget["attrs"]),
            format_html_join("", "{}", ((group,) for group in groups)),
        )
