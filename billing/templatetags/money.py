from django import template

register = template.Library()


@register.filter
def cents(value: int, currency: str = "usd") -> str:
    """Integer cents as money for display: 123456 → "$1,234.56"; whole amounts lose the cents."""
    symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get(currency.lower(), currency.upper() + " ")
    units, rest = divmod(int(value), 100)
    text = f"{units:,}" if rest == 0 else f"{units:,}.{rest:02d}"
    return f"{symbol}{text}"
