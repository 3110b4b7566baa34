"""{{ form.x.as_field_group }} through seatmgr.form_renderer (templates/forms/field.html): the
label, the help text and the errors, tied to the widget for assistive technology."""

from html.parser import HTMLParser

import pytest
from django import forms
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from accounts.widgets import PlainNumberInput, PlainSelect, PlainTextInput
from seats.users.forms import DirectoryForm


class Profile(forms.Form):
    nickname = forms.CharField(label="Nickname", max_length=5, help_text="What colleagues see.")
    city = forms.CharField(label="City", required=False)
    billing = forms.ChoiceField(
        label="Billing",
        choices=[("monthly", "Monthly"), ("annual", "Annual")],
        widget=forms.RadioSelect,
        help_text="From the renewal date.",
    )


class Elements(HTMLParser):
    """Every element's attributes and text, in order; `by_id` finds one."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[dict] = []
        self.open: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, **dict(attrs), "text": ""}
        self.elements.append(element)
        if tag not in {"input", "br", "wbr"}:
            self.open.append(element)

    def handle_endtag(self, tag):
        while self.open and self.open.pop()["tag"] != tag:
            pass

    def handle_data(self, data):
        for element in self.open:
            element["text"] += data

    def by_id(self, element_id: str) -> dict:
        (found,) = [e for e in self.elements if e.get("id") == element_id]
        return found

    def first(self, tag: str) -> dict:
        return next(e for e in self.elements if e["tag"] == tag)


def test_a_field_with_an_error_is_marked_invalid_and_described_by_its_help_and_error():
    form = Profile(data={"nickname": "far too long", "billing": "monthly"})
    html = Elements(form["nickname"].as_field_group())

    group, label, field = html.first("div"), html.first("label"), html.by_id("id_nickname")
    assert group["class"] == "field has-error"
    assert (label["for"], label["text"]) == ("id_nickname", "Nickname")
    assert field["aria-invalid"] == "true"
    assert field["aria-describedby"] == "id_nickname_helptext id_nickname_error"
    help_text = html.by_id("id_nickname_helptext")
    assert (help_text["class"], help_text["text"]) == ("help", "What colleagues see.")
    error = html.by_id("id_nickname_error")
    assert "Ensure this value has at most 5 characters (it has 12)." in error["text"]
    (message,) = [e for e in html.elements if e.get("class") == "field-error"]
    assert message["role"] == "alert"


def test_a_valid_field_is_neither_invalid_nor_described_by_an_error():
    form = Profile(data={"nickname": "Ada", "billing": "monthly"})
    html = Elements(form["nickname"].as_field_group())

    assert html.first("div")["class"] == "field"
    field = html.by_id("id_nickname")
    assert "aria-invalid" not in field
    assert field["aria-describedby"] == "id_nickname_helptext"
    assert not [e for e in html.elements if e.get("class") == "field-error"]


def test_a_field_without_help_text_is_described_by_its_error_only():
    form = Profile(data={"nickname": "Ada", "city": "x" * 200})
    form.add_error("city", "Choose a city we know.")
    html = Elements(form["city"].as_field_group())

    assert html.by_id("id_city")["aria-describedby"] == "id_city_error"
    assert html.by_id("id_city_error")["text"] == "Choose a city we know."
    assert not [e for e in html.elements if e.get("class") == "help"]


def test_a_group_of_radios_is_a_fieldset_named_by_its_legend():
    form = Profile(data={"nickname": "Ada"})
    html = Elements(form["billing"].as_field_group())

    fieldset, legend = html.first("fieldset"), html.first("legend")
    assert fieldset["class"] == "field has-error"
    assert legend["text"] == "Billing"
    assert fieldset["aria-describedby"] == "id_billing_helptext id_billing_error"
    assert html.by_id("id_billing_error")["text"] == "This field is required."
    assert not [e for e in html.elements if e["tag"] == "label" and e.get("for") == ""]


def test_a_widget_drawn_on_its_own_is_not_described_by_ids_nobody_wrote():
    # A template that lays out {{ form.x }} itself draws no "<id>_helptext" or "<id>_error".
    form = Profile(data={"nickname": "far too long", "billing": "monthly"})
    html = Elements(str(form["nickname"]))

    field = html.by_id("id_nickname")
    assert "aria-describedby" not in field
    assert field["aria-invalid"] == "true"


def test_help_that_is_a_list_is_valid_html():
    # Django's password help is a <ul>; a <p> cannot hold it (the browser would split it).
    class Password(forms.Form):
        password = forms.CharField(help_text=mark_safe("<ul><li>At least 8 characters.</li></ul>"))

    html = Elements(Password()["password"].as_field_group())

    help_text = html.by_id("id_password_helptext")
    assert help_text["tag"] == "div"
    assert help_text["text"] == "At least 8 characters."


class SignUp(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autofocus": True}))
    nickname = forms.CharField(max_length=5)
    city = forms.CharField(max_length=5)


def test_after_a_failed_submit_the_first_invalid_field_alone_has_autofocus():
    form = SignUp(data={"email": "ada@example.com", "nickname": "far too long", "city": "much too"})

    assert "autofocus" not in Elements(str(form["email"])).by_id("id_email")
    assert "autofocus" in Elements(form["nickname"].as_field_group()).by_id("id_nickname")
    assert "autofocus" not in Elements(form["city"].as_field_group()).by_id("id_city")


def test_a_form_not_yet_submitted_keeps_its_own_autofocus():
    form = SignUp()

    assert "autofocus" in Elements(str(form["email"])).by_id("id_email")
    assert "autofocus" not in Elements(str(form["nickname"])).by_id("id_nickname")


CHOICES = [
    ("", "All teams"),
    (7, 'R&D <"Labs">'),
    ("a'b", "Quotes 'single'"),
    ("Group <1>", [("x", "Ex"), ("y", "Why")]),
    # Labels that are not plain strings: already safe HTML, a lazy translation.
    ("safe", mark_safe("<b>Bold</b> &amp; safe")),
    ("lazy", gettext_lazy("Custom")),
    (None, "No value"),
]


@pytest.mark.parametrize("value", [None, "", 7, "7", "a'b", "y", ["x", 7]])
@pytest.mark.parametrize(
    "attrs",
    [None, {"id": "id_team", "aria-describedby": "team_help", "disabled": True, "hidden": False}],
)
@pytest.mark.parametrize("multiple", [False, True])
def test_a_plain_select_draws_what_djangos_select_template_draws(value, attrs, multiple):
    django_widget = (forms.SelectMultiple if multiple else forms.Select)(choices=CHOICES)
    plain = PlainSelect(choices=CHOICES)
    plain.allow_multiple_selected = multiple

    assert plain.render("team", value, attrs) == django_widget.render("team", value, attrs)


@pytest.mark.parametrize("value", [None, "", "ada & <bob>", '"quoted"', mark_safe("&amp;")])
@pytest.mark.parametrize(
    "attrs",
    [None, {"id": "id_q", "maxlength": "200", "required": True, "disabled": False}],
)
@pytest.mark.parametrize(
    ("plain_class", "django_class"),
    [(PlainTextInput, forms.TextInput), (PlainNumberInput, forms.NumberInput)],
)
def test_a_plain_input_draws_what_djangos_input_template_draws(
    value, attrs, plain_class, django_class
):
    assert plain_class().render("q", value, attrs) == django_class().render("q", value, attrs)


def test_the_users_filters_are_drawn_as_django_draws_them():
    form = DirectoryForm(
        {"q": "Ada <&>", "seat": "core", "team": "3", "status": "active", "inactive_days": "30"},
        teams=[(3, "Sales & <Ops>"), (4, "Art")],
        access_choices=[("custom", "Custom"), ("set:9", 'Set "nine"')],
    )
    django_widgets = {"q": forms.TextInput, "inactive_days": forms.NumberInput}
    for name in ("q", "seat", "team", "status", "invitation", "access", "inactive_days"):
        field = form[name]
        drawn = str(field)
        if name in django_widgets:
            field.field.widget = django_widgets[name](attrs=field.field.widget.attrs)
        else:
            field.field.widget = forms.Select(choices=field.field.choices)
        assert drawn == str(form[name])
