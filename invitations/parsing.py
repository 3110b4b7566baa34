"""Reading the people of a "Create user" batch from typed text or an uploaded CSV file.

Pure functions, no database: they turn what a person typed or uploaded into normalised, valid,
de-duplicated addresses (first occurrence wins, in order) plus a report of what could not be
read, written for the person on the screen. Whether an address is already in the account, or
may hold the seat, is for the batch service to decide.

Typed text (`emails_parse`) accepts:
- addresses separated by commas, semicolons, new lines, spaces or tabs (any whitespace);
- the forms mail programs copy, `Jane Doe <jane@example.com>` and `"Doe, Jane" <jane@...>`,
  and Outlook's unquoted `Doe, Jane <jane@example.com>`; the display name is ignored. Such an
  entry ends at the next comma, semicolon or new line;
- an address wrapped in `<>`, quotes or brackets, or prefixed with `mailto:`.

A CSV file (`csv_parse`) is UTF-8 with or without a BOM, comma-, semicolon- or tab-separated
(whichever makes the first row hold an "Email" column; an Excel `sep=;` first line is honoured),
with standard quoting and CRLF or LF line ends. Its first non-blank row names the columns.
"""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from accounts.models import email_normalise
from invitations.errors import FileRefused

MAX_FILE_BYTES = 1_000_000
MAX_FILE_PEOPLE = 100  # And of one batch however chosen: typed, from a file or from Salesforce.
MAX_EMAIL_LENGTH = 254  # What fits a path in SMTP (RFC 5321 errata), and User.email's max_length.
MAX_NAME_LENGTH = 150  # User.first_name / last_name.
MAX_VALUE_SHOWN = 100


@dataclass(frozen=True)
class ParsedPerson:
    email: str
    first_name: str = ""
    last_name: str = ""


@dataclass(frozen=True)
class ParseProblem:
    """One entry that could not be read: where it was, what was there, and why.

    `where` is "address 3" (typed) or "row 4" (CSV, counted as a spreadsheet shows rows, header
    included); it is empty when the problem concerns the whole input.
    """

    where: str
    value: str
    message: str


@dataclass(frozen=True)
class ParseResult:
    people: tuple[ParsedPerson, ...]
    problems: tuple[ParseProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.people)


# --- Addresses -----------------------------------------------------------------------------------


def _shown(value: str) -> str:
    return value if len(value) <= MAX_VALUE_SHOWN else value[: MAX_VALUE_SHOWN - 1] + "…"


def _email_clean(candidate: str) -> tuple[str, str | None]:
    """The stored form of one address, or the reason it isn't one (a message for the user)."""
    email = email_normalise(candidate)
    if not email:
        return "", str(_("The email address is missing."))
    if len(email) > MAX_EMAIL_LENGTH:
        return "", str(_("An email address can be at most 254 characters long."))
    # Django's validator allows spaces and control characters inside a quoted local part; no
    # real person's address needs them, and they would only confuse every later screen.
    if not email.isprintable() or " " in email:
        return "", str(_("This isn't a valid email address."))
    if email.rpartition("@")[2].startswith("["):
        # An address literal (`ip@[127.0.0.1]`) names a host, not a mail domain: no invitee has
        # one, and mail sent there would go to whatever machine the address points at.
        return "", str(_("Use an address at a domain name, not at an IP address in brackets."))
    try:
        validate_email(email)
    except (ValidationError, ValueError):  # ValueError: a domain the IDNA codec can't encode.
        return "", str(_("This isn't a valid email address."))
    return email, None


_WRAPPERS = {("<", ">"), ('"', '"'), ("'", "'"), ("(", ")"), ("[", "]")}
_QUOTED = re.compile(r'"[^"]*"')


def _unwrap(token: str) -> str:
    """`<a@x.com>`, `"a@x.com"`, `mailto:a@x.com` → `a@x.com`."""
    token = token.strip()
    for _layer in range(3):  # Bounded: each layer copies the token.
        if len(token) < 2 or (token[0], token[-1]) not in _WRAPPERS:
            break
        token = token[1:-1].strip()
    if token[:7].lower() == "mailto:":
        token = token[7:].strip()
    return token


def _named_address(entry: str) -> str | None:
    """The address of `Display Name <address>`, or None when `entry` isn't of that form.

    A display name holding an `@` outside quotes is more likely a forgotten separator
    (`a@x.com <b@x.com>`) than a name, so that is not taken as this form.
    """
    entry = entry.strip()
    if not entry.endswith(">") or entry.count("<") != 1 or entry.count(">") != 1:
        return None
    name, _lt, address = entry[:-1].partition("<")
    if "@" in _QUOTED.sub("", name):
        return None
    return address.strip()


# A run of text up to a comma, semicolon or line end; a double-quoted part closed on the same
# line may hold them. Each step consumes a quoted part or one character, so this is linear.
_ENTRY = re.compile(r'(?:"[^"\r\n]*"|[^,;\r\n"]|")+')


def _typed_entries(text: str) -> list[tuple[str, str]]:
    """(what was typed, the address in it) for each entry, in order."""
    runs = list(_ENTRY.finditer(text))
    entries: list[tuple[str, str]] = []
    for index, run in enumerate(runs):
        segment = run.group()
        address = _named_address(segment)
        if address is not None:
            entries.append((segment.strip(), address))
            continue
        following = runs[index + 1] if index + 1 < len(runs) else None
        if (
            following is not None
            and following.start() == run.end() + 1
            and text[run.end()] == ","
            and not any(ch in segment for ch in "@<>")
            and _named_address(following.group()) is not None
        ):
            # Outlook's `Doe, Jane <jane@x.com>`: this run is the first half of the display
            # name. Having no `@`, it could never have been an address.
            continue
        entries.extend((token, _unwrap(token)) for token in segment.split())
    return entries


def emails_parse(text: str) -> ParseResult:
    """The people of typed addresses (see the module docstring for what is accepted)."""
    entries = _typed_entries(text)
    if not entries:
        problem = ParseProblem(
            where="", value="", message=str(_("Enter at least one email address."))
        )
        return ParseResult(people=(), problems=(problem,))
    people: dict[str, ParsedPerson] = {}
    problems: list[ParseProblem] = []
    for position, (typed, candidate) in enumerate(entries, start=1):
        email, error = _email_clean(candidate)
        if error is not None:
            where = str(_("address %(position)d") % {"position": position})
            problems.append(ParseProblem(where=where, value=_shown(typed), message=error))
        elif email not in people:
            people[email] = ParsedPerson(email=email)
    if len(people) > MAX_FILE_PEOPLE:
        # The same cap as a file's: one batch is at most 100 people however they were chosen.
        message = ngettext(
            "You entered {count} address; at most {limit} users can be added at once. Split "
            "them into smaller batches.",
            "You entered {count} addresses; at most {limit} users can be added at once. Split "
            "them into smaller batches.",
            len(people),
        ).format(count=len(people), limit=MAX_FILE_PEOPLE)
        return ParseResult(people=(), problems=(ParseProblem(where="", value="", message=message),))
    return ParseResult(people=tuple(people.values()), problems=tuple(problems))


# --- CSV files -----------------------------------------------------------------------------------

_EMAIL_HEADERS = {"email", "emailaddress"}
_FIRST_NAME_HEADERS = {"firstname", "givenname", "forename"}
_LAST_NAME_HEADERS = {"lastname", "surname", "familyname"}
_DELIMITERS = (",", ";", "\t")


def _header_key(cell: str) -> str:
    """`" E-mail Address "` → `emailaddress`: case, spaces, hyphens and underscores ignored."""
    return re.sub(r"[\s_\-]+", "", cell).casefold()


@dataclass(frozen=True)
class _Columns:
    email: int
    first_name: int | None
    last_name: int | None


def _columns_find(header: list[str]) -> _Columns | None:
    keys = [_header_key(cell) for cell in header]

    def first(names: set[str]) -> int | None:
        return next((i for i, key in enumerate(keys) if key in names), None)

    email = first(_EMAIL_HEADERS)
    if email is None:
        return None
    return _Columns(
        email=email, first_name=first(_FIRST_NAME_HEADERS), last_name=first(_LAST_NAME_HEADERS)
    )


def _is_blank(cells: list[str]) -> bool:
    # Spreadsheets export empty rows as ",,,": those are blank too.
    return not any(cell.strip() for cell in cells)


def _rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(row number as a spreadsheet shows it, cells) of the non-blank rows. Raises csv.Error."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for number, cells in enumerate(reader, start=1):
        if not _is_blank(cells):
            yield number, cells


_UNREADABLE = _(
    "This file couldn't be read as CSV; a quoted value may be missing its closing quote. "
    "Save it as CSV UTF-8 and try again."
)


def _text_decode(data: bytes) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(
            code="too_large",
            message=_(
                "This file is larger than 1 MB, far more than 100 users need. Check that you "
                "chose the right file."
            ),
        )
    if b"\x00" in data:
        # Spreadsheets (.xlsx, .xls), UTF-16 text and other binary files all hold NUL bytes.
        raise FileRefused(
            code="binary",
            message=_(
                "This file isn't CSV text; it looks like a spreadsheet or another binary file. "
                "Save it as CSV UTF-8 and try again."
            ),
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(
            code="not_utf8",
            message=_("This file isn't UTF-8 text. Save it as CSV UTF-8 and try again."),
        ) from None
    if not text.strip():
        raise FileRefused(code="empty", message=_("This file is empty."))
    return text


def _excel_separator(text: str) -> tuple[str | None, str]:
    """Excel may write `sep=;` as the first line: the delimiter it names, and the text after it."""
    first_line, newline, rest = text.partition("\n")
    match = re.fullmatch(r"\s*sep=(.)\s*", first_line, flags=re.IGNORECASE)
    if match is None or match.group(1) not in _DELIMITERS:
        return None, text
    # Keep the line as an empty one so that row numbers still match the spreadsheet's.
    return match.group(1), newline + rest


def _header_find(text: str, delimiters: tuple[str, ...]) -> tuple[str, _Columns]:
    """The delimiter whose reading of the first non-blank row finds an Email column, and the
    columns it finds; of several such delimiters, the one splitting that row the most."""
    best: tuple[int, str, _Columns] | None = None
    unreadable = 0
    for delimiter in delimiters:
        try:
            first = next(_rows(text, delimiter), None)
        except csv.Error:
            # Nearly always a row read as one field over the csv module's size limit: a
            # delimiter that isn't this file's, or an unclosed quote.
            unreadable += 1
            continue
        if first is None:
            raise FileRefused(code="empty", message=_("This file is empty."))
        header = first[1]
        columns = _columns_find(header)
        if columns is not None and (best is None or len(header) > best[0]):
            best = (len(header), delimiter, columns)
    if best is not None:
        return best[1], best[2]
    if unreadable == len(delimiters):
        raise FileRefused(code="unreadable", message=_UNREADABLE)
    raise FileRefused(
        code="no_email_column",
        message=_(
            "This file has no “Email” column. Put the column names in the first row, with the "
            "email addresses under “Email”, and try again."
        ),
    )


def _table_read(text: str) -> tuple[_Columns, list[tuple[int, list[str]]]]:
    """The columns named by the first non-blank row, and the non-blank rows after it."""
    named, text = _excel_separator(text)
    delimiter, columns = _header_find(text, (named,) if named else _DELIMITERS)
    try:
        rows = list(_rows(text, delimiter))
    except csv.Error as error:
        raise FileRefused(code="unreadable", message=_UNREADABLE) from error
    return columns, rows[1:]


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index].strip() if index is not None and index < len(cells) else ""


def csv_parse(data: bytes) -> ParseResult:
    """The people of an uploaded CSV file (see the module docstring for what is accepted).

    Raises FileRefused when the file is refused whole; a row that can't be read is a problem
    in the result instead. Blank rows are skipped; a repeated address keeps its first row.
    """
    columns, rows = _table_read(_text_decode(data))
    if not rows:
        raise FileRefused(code="empty", message=_("This file has no users below its header row."))
    if len(rows) > MAX_FILE_PEOPLE:
        raise FileRefused(
            code="too_many_rows",
            message=ngettext_lazy(
                "This file has {count} user; at most {limit} can be added from one file. Split "
                "it into smaller files.",
                "This file has {count} users; at most {limit} can be added from one file. Split "
                "it into smaller files.",
                len(rows),
            ),
            count=len(rows),
            limit=MAX_FILE_PEOPLE,
        )
    people: dict[str, ParsedPerson] = {}
    problems: list[ParseProblem] = []
    for number, cells in rows:
        where = str(_("row %(number)d") % {"number": number})
        typed = _cell(cells, columns.email)
        first_name = _cell(cells, columns.first_name)
        last_name = _cell(cells, columns.last_name)
        named = _named_address(typed)
        email, error = _email_clean(_unwrap(typed) if named is None else named)
        if error is None and max(len(first_name), len(last_name)) > MAX_NAME_LENGTH:
            error = str(_("A first or last name can be at most 150 characters long."))
        if error is not None:
            problems.append(ParseProblem(where=where, value=_shown(typed), message=error))
        elif email not in people:
            people[email] = ParsedPerson(email=email, first_name=first_name, last_name=last_name)
    return ParseResult(people=tuple(people.values()), problems=tuple(problems))
