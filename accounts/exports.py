"""CSV exports, streamed row by row so that 100,000 members never sit in memory at once."""

import csv
import re
from collections.abc import Iterable, Iterator

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A spreadsheet told to split on `;`, `,` or tab makes a cell of each part of a value, and may
# trim the spaces before it: `x; =1+1` holds the formula `=1+1` (OWASP, "CSV Injection").
_SEPARATOR = re.compile(r"([;,\t])")


def _part_neutralised(part: str) -> str:
    text = part.lstrip(" ")
    if not text.startswith(FORMULA_STARTS):
        return part
    spaces = len(part) - len(text)
    return part[:spaces] + "'" + text


def csv_cell(value) -> str:
    """A cell's text, neutralised: each part of it (split on `;`, `,` or tab) that looks like a
    formula gets an apostrophe before it, and so does a cell starting with one. Plain text
    (`ann-marie@acme.example`, `Doe, Jane`) is left as it is."""
    text = "" if value is None else str(value)
    pieces = _SEPARATOR.split(text)  # parts at even indexes, separators between them
    pieces[::2] = [_part_neutralised(part) for part in pieces[::2]]
    cell = "".join(pieces)
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """CSV text line by line, for a StreamingHttpResponse."""
    writer = csv.writer(_Echo())
    yield "\ufeff"  # UTF-8 BOM: spreadsheet programs then read accents correctly.
    yield writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        yield writer.writerow([csv_cell(v) for v in row])
