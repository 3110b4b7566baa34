"""billing.money.money_format: the one way amounts (integer cents) are written for people, by
templates (the `cents` filter) and, through their JSON, by the page scripts."""

import pytest
from django.template import Context, Template

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
        (150000, "sek", "SEK 1,500"),
        (-2550, "usd", "-$25.50"),
    ],
)
def test_an_amount_reads_as_money(cents, currency, shown):
    assert money_format(cents, currency) == shown


def test_the_template_filter_writes_the_same():
    template = Template('{% load money %}{{ amount|cents }} {{ amount|cents:"eur" }}')
    assert template.render(Context({"amount": 123456})) == "$1,234.56 €1,234.56"
