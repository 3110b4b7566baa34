from django import template

from billing.money import money_format

register = template.Library()


@register.filter
def cents(value: int, currency: str = "usd") -> str:
    """Integer cents as money for display: {{ 123456|cents:"usd" }} → "$1,234.56"."""
    return money_format(int(value), currency)
