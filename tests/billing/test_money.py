"""billing.money.money_format: the one way amounts (integer cents) are written for people, by
templates (the `cents` filter) and, through their JSON, by the page scripts."""

import pytest
from django.template import Context, Template
from django.utils import translation

from billing.money import money_format


@pytest.mark.parametrize(
    ("cents", "currency", "shown"),
    [
        (80000, "usd", "$800"),
        (123456, "usd", "$1,234.56"),
        (2550, "usd", "$25.50"),
        (5, "usd", "$0.05"),
        (0, "usd", "$0"),
        (1200000, "eur", "€12,000"),
        (999, "GBP", "£9.99"),
        (150000, "sek", "SEK\u00a01,500"),
        (-2550, "usd", "-$25.50"),
    ],
)
def test_an_amount_reads_as_money(cents, currency, shown):
    assert money_format(cents, currency) == shown


@pytest.mark.parametrize(
    ("cents", "currency", "shown"),
    [
        # CLDR's French (Babel): narrow no-break space between thousands, a decimal comma, the
        # symbol after the amount, and "$US" for the dollar; cents always written.
        (177500, "usd", "1\u202f775,00\u00a0$US"),
        (123456, "usd", "1\u202f234,56\u00a0$US"),
        (2550, "eur", "25,50\u00a0€"),
        (150000, "sek", "1\u202f500,00\u00a0SEK"),
        (-2550, "usd", "-25,50\u00a0$US"),
    ],
)
def test_an_amount_reads_as_money_in_french(cents, currency, shown):
    with translation.override("fr"):
        assert money_format(cents, currency) == shown


def test_the_template_filter_writes_the_same():
    template = Template('{% load money %}{{ amount|cents }} {{ amount|cents:"eur" }}')
    assert template.render(Context({"amount": 123456})) == "$1,234.56 €1,234.56"
