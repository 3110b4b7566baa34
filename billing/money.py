"""Money as people read it. Amounts are integer cents with a currency; this is the one place that
writes them for display: templates through the `cents` filter, page scripts through the
formatted strings that their JSON endpoints send (a page script never formats money).

The active language's CLDR rules (Babel) decide the symbol, its place, the separators and the
spaces: "$1,234.56" in English, "1 234,56 $US" in French.
"""

import re
from decimal import Decimal

from babel.numbers import format_currency

from accounts.text import babel_locale

# English pages write whole amounts without cents ("$800 a month"), as they always have; other
# languages keep CLDR's pattern as it is ("800,00 $US").
WHOLE_AMOUNTS_WITHOUT_CENTS = {"en"}


# CLDR's currencySpacing, which Babel does not apply: a symbol made of letters ("SEK") and a
# digit next to it are kept apart by a no-break space ("SEK 1,500", not "SEK1,500").
_LETTER_SYMBOL_THEN_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


def money_format(cents: int, currency: str = "usd") -> str:
    """123456 → "$1,234.56" (English) / "1 234,56 $US" (French)."""
    return _LETTER_SYMBOL_THEN_DIGIT.sub("\u00a0", _formatted(cents, currency))


def _formatted(cents: int, currency: str) -> str:
    locale = babel_locale()
    amount = Decimal(cents) / 100
    if cents % 100 == 0 and locale.language in WHOLE_AMOUNTS_WITHOUT_CENTS:
        pattern = locale.currency_formats["standard"].pattern.replace(".00", "")
        return format_currency(
            amount, currency.upper(), pattern, locale=locale, currency_digits=False
        )
    return format_currency(amount, currency.upper(), locale=locale)
