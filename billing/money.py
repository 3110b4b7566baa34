"""Money as people read it. Amounts are integer cents with a currency; this is the one place that
writes them for display: templates through the `cents` filter, page scripts through the
formatted strings that their JSON endpoints send (a page script never formats money)."""

SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}


def money_format(cents: int, currency: str = "usd") -> str:
    """123456 → "$1,234.56"; whole amounts lose the cents ("$800"); a currency without a symbol
    here is written as its code ("SEK 1,200")."""
    symbol = SYMBOLS.get(currency.lower(), currency.upper() + " ")
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    text = f"{units:,}" if rest == 0 else f"{units:,}.{rest:02d}"
    return f"{sign}{symbol}{text}"
