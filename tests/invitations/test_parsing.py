"""Reading a "Create user" batch from typed text or a CSV file (DOMAIN.md section 4)."""

import csv
import io

import pytest
from django.core.validators import validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from invitations.errors import FileRefused
from invitations.parsing import (
    MAX_FILE_BYTES,
    MAX_FILE_PEOPLE,
    ParsedPerson,
    ParseProblem,
    ParseResult,
    csv_parse,
    emails_parse,
)


def emails_of(result: ParseResult) -> list[str]:
    return [person.email for person in result.people]


def csv_bytes(lines: list[str], *, newline: str = "\n", bom: bool = False) -> bytes:
    return (("\ufeff" if bom else "") + newline.join(lines) + newline).encode()


def refusal_code(data: bytes) -> str:
    with pytest.raises(FileRefused) as refused:
        csv_parse(data)
    return refused.value.code


# --- Typed addresses -----------------------------------------------------------------------------


def test_typed_addresses_split_on_commas_spaces_semicolons_and_new_lines():
    result = emails_parse("a@example.com, b@example.com;c@example.com\nd@example.com e@example.com")

    assert emails_of(result) == [f"{c}@example.com" for c in "abcde"]
    assert result.ok


def test_typed_addresses_split_on_tabs_and_crlf_and_ignore_empty_entries():
    result = emails_parse("\r\n a@example.com\t\tb@example.com,,;\r\n\r\nc@example.com ;")

    assert emails_of(result) == ["a@example.com", "b@example.com", "c@example.com"]
    assert result.problems == ()


def test_typed_addresses_are_trimmed_and_lower_cased():
    assert emails_of(emails_parse("  Jane.Doe@Example.COM  ")) == ["jane.doe@example.com"]


def test_typed_duplicates_are_folded_case_insensitively():
    result = emails_parse("b@example.com A@example.com a@EXAMPLE.com b@example.com c@example.com")

    assert emails_of(result) == ["b@example.com", "a@example.com", "c@example.com"]
    assert result.problems == ()


def test_an_invalid_typed_address_is_reported_with_its_position():
    result = emails_parse("a@example.com, not-an-address, c@example.com")

    assert emails_of(result) == ["a@example.com", "c@example.com"]
    assert result.problems == (
        ParseProblem(
            where="address 2", value="not-an-address", message="This isn't a valid email address."
        ),
    )
    assert not result.ok


def test_a_typed_address_longer_than_254_characters_is_reported():
    address = "a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".example.com"  # 261 characters

    (problem,) = emails_parse(address).problems

    assert problem.message == "An email address can be at most 254 characters long."
    assert len(problem.value) == 100


def test_exactly_100_typed_addresses_are_accepted():
    text = ", ".join(f"user{n}@example.com" for n in range(MAX_FILE_PEOPLE))

    assert len(emails_parse(text).people) == 100


def test_more_than_100_typed_addresses_are_refused_whole():
    text = "\n".join(f"user{n}@example.com" for n in range(500))

    result = emails_parse(text)

    assert result.people == ()
    assert [p.message for p in result.problems] == [
        "You entered 500 addresses; at most 100 users can be added at once. "
        "Split them into smaller batches."
    ]
    assert not result.ok


@pytest.mark.parametrize("literal", ["ip@[127.0.0.1]", "a@[IPv6:::1]", "<ip@[10.0.0.1]>"])
def test_a_typed_address_at_an_ip_address_is_reported(literal):
    result = emails_parse(f"a@example.com, {literal}")

    assert emails_of(result) == ["a@example.com"]
    assert [(p.where, p.message) for p in result.problems] == [
        ("address 2", "Use an address at a domain name, not at an IP address in brackets.")
    ]


def test_a_csv_row_with_an_address_at_an_ip_address_is_reported():
    result = csv_parse(csv_bytes(["Email", "a@example.com", "ip@[127.0.0.1]"]))

    assert emails_of(result) == ["a@example.com"]
    assert [(p.where, p.message) for p in result.problems] == [
        ("row 3", "Use an address at a domain name, not at an IP address in brackets.")
    ]


def test_empty_typed_text_asks_for_at_least_one_address():
    result = emails_parse(" ,; \n\t")

    assert result.people == ()
    assert [p.message for p in result.problems] == ["Enter at least one email address."]
    assert not result.ok


def test_name_and_angle_bracket_forms_give_their_address():
    text = (
        'Jane Doe <Jane@Example.com>, "Doe, John" <john@example.com>; '
        "Doe, Ann <ann@example.com>\n<bob@example.com> mailto:eve@example.com 'kim@example.com'"
    )

    result = emails_parse(text)

    assert emails_of(result) == [
        "jane@example.com",
        "john@example.com",
        "ann@example.com",
        "bob@example.com",
        "eve@example.com",
        "kim@example.com",
    ]
    assert result.problems == ()


def test_an_address_before_an_angle_bracket_form_is_not_taken_for_a_name():
    result = emails_parse("a@example.com <b@example.com>")

    assert emails_of(result) == ["a@example.com", "b@example.com"]


def test_words_without_a_name_form_are_reported_one_by_one():
    result = emails_parse("Jane Doe, jane@example.com")

    assert [(p.where, p.value) for p in result.problems] == [
        ("address 1", "Jane"),
        ("address 2", "Doe"),
    ]
    assert emails_of(result) == ["jane@example.com"]


# --- CSV files -----------------------------------------------------------------------------------


def test_csv_with_one_email_column_is_read():
    result = csv_parse(csv_bytes(["Email", "a@example.com", "B@Example.com"]))

    assert result == ParseResult(
        people=(ParsedPerson("a@example.com"), ParsedPerson("b@example.com")), problems=()
    )


def test_csv_with_bom_and_semicolons_is_read():
    data = csv_bytes(
        ["Email;First name;Last name", "a@example.com;Ann;Lee"], newline="\r\n", bom=True
    )

    assert csv_parse(data).people == (ParsedPerson("a@example.com", "Ann", "Lee"),)


def test_csv_with_crlf_line_ends_is_read():
    data = csv_bytes(["Email,First name", "a@example.com,Ann", "b@example.com,Bo"], newline="\r\n")

    assert csv_parse(data).people == (
        ParsedPerson("a@example.com", "Ann"),
        ParsedPerson("b@example.com", "Bo"),
    )


def test_csv_with_tabs_is_read():
    data = csv_bytes(["First name\tEmail", "Ann\ta@example.com"])

    assert csv_parse(data).people == (ParsedPerson("a@example.com", "Ann"),)


def test_csv_with_an_excel_separator_line_is_read():
    data = csv_bytes(["sep=;", "Email;First name", "a@example.com;Ann", "bad;Bo"])

    result = csv_parse(data)

    assert result.people == (ParsedPerson("a@example.com", "Ann"),)
    assert [p.where for p in result.problems] == ["row 4"]


@pytest.mark.parametrize(
    "header",
    ["Email", "email", " EMAIL ", "E-mail", "e-mail", "Email address", "EMAIL_ADDRESS"],
)
def test_csv_header_is_matched_case_insensitively(header):
    data = csv_bytes([f"Name,{header},Team", "Ann,a@example.com,Sales"])

    assert emails_of(csv_parse(data)) == ["a@example.com"]


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("First name", "Last name"),
        ("First Name", "Surname"),
        ("firstname", "Family name"),
        ("Given name", "LAST NAME"),
    ],
)
def test_csv_first_and_last_names_are_kept(first, last):
    data = csv_bytes([f"{last},Email,{first}", " Lee ,a@example.com, Ann "])

    assert csv_parse(data).people == (ParsedPerson("a@example.com", "Ann", "Lee"),)


def test_quoted_fields_with_delimiters_inside():
    data = csv_bytes(
        [
            "Email,First name,Last name",
            '"a@example.com","Ann, Marie","O\'Neil ""Junior"""',
            '"b@example.com","Multi\nline",Lee',
        ]
    )

    assert csv_parse(data).people == (
        ParsedPerson("a@example.com", "Ann, Marie", 'O\'Neil "Junior"'),
        ParsedPerson("b@example.com", "Multi\nline", "Lee"),
    )


def test_csv_blank_lines_are_ignored_and_rows_are_numbered_as_a_spreadsheet_shows_them():
    data = csv_bytes(["", "Email,First name", "a@example.com,Ann", "", ",", "nope,Bo"])

    result = csv_parse(data)

    assert emails_of(result) == ["a@example.com"]
    assert result.problems == (
        ParseProblem(where="row 6", value="nope", message="This isn't a valid email address."),
    )


def test_csv_row_with_an_empty_email_cell_is_reported():
    data = csv_bytes(["Email,First name", "a@example.com,Ann", " ,Bo", "b@example.com"])

    result = csv_parse(data)

    assert emails_of(result) == ["a@example.com", "b@example.com"]
    assert result.problems == (
        ParseProblem(where="row 3", value="", message="The email address is missing."),
    )


def test_csv_row_shorter_than_the_header_is_reported_as_missing_its_email():
    data = csv_bytes(["First name,Email", "Ann"])

    (problem,) = csv_parse(data).problems

    assert (problem.where, problem.message) == ("row 2", "The email address is missing.")


def test_csv_duplicates_are_folded_and_the_first_row_wins():
    data = csv_bytes(["Email,First name", "a@example.com,Ann", "A@EXAMPLE.COM,Other"])

    result = csv_parse(data)

    assert result.people == (ParsedPerson("a@example.com", "Ann"),)
    assert result.problems == ()


def test_csv_name_longer_than_150_characters_is_reported():
    data = csv_bytes(["Email,First name", "a@example.com," + "x" * 151])

    result = csv_parse(data)

    assert result.people == ()
    assert [p.where for p in result.problems] == ["row 2"]


def test_csv_with_exactly_100_rows_is_accepted():
    rows = [f"user{n}@example.com" for n in range(MAX_FILE_PEOPLE)]

    result = csv_parse(csv_bytes(["Email", *rows, "", ""]))

    assert len(result.people) == 100
    assert result.ok


def test_csv_with_101_rows_is_refused_whole():
    rows = [f"user{n}@example.com" for n in range(MAX_FILE_PEOPLE + 1)]

    with pytest.raises(FileRefused) as refused:
        csv_parse(csv_bytes(["Email", *rows]))

    assert refused.value.code == "too_many_rows"
    assert str(refused.value.message) == (
        "This file has 101 users; at most 100 can be added from one file. "
        "Split it into smaller files."
    )


def test_csv_without_email_column_is_refused():
    with pytest.raises(FileRefused) as refused:
        csv_parse(csv_bytes(["a@example.com", "b@example.com"]))

    assert refused.value.code == "no_email_column"
    assert str(refused.value.message).startswith("This file has no “Email” column.")


def test_csv_header_without_rows_is_refused_as_empty():
    assert refusal_code(csv_bytes(["Email,First name", "", ","])) == "empty"


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b" \r\n\n\t"])
def test_empty_file_is_refused(data):
    assert refusal_code(data) == "empty"


def test_non_utf8_csv_is_refused():
    with pytest.raises(FileRefused) as refused:
        csv_parse("Email,First name\nzoë@example.com,Zoë\n".encode("latin-1"))

    assert refused.value.code == "not_utf8"
    assert str(refused.value.message) == (
        "This file isn't UTF-8 text. Save it as CSV UTF-8 and try again."
    )


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",  # .xlsx (a zip archive)
        "Email\na@example.com\n".encode("utf-16"),
        b"Email\na@example.com\x00\n",
    ],
)
def test_binary_file_is_refused(data):
    assert refusal_code(data) == "binary"


def test_oversized_file_is_refused():
    data = csv_bytes(["Email", "a@example.com"]) + b" " * MAX_FILE_BYTES

    assert refusal_code(data) == "too_large"


def test_file_of_exactly_the_size_limit_is_read():
    head = csv_bytes(["Email", "a@example.com"])
    data = head + b"\n" * (MAX_FILE_BYTES - len(head))

    assert emails_of(csv_parse(data)) == ["a@example.com"]


def test_a_row_too_long_for_one_delimiter_does_not_stop_another_from_reading_the_file():
    data = csv_bytes(
        ["Email,First name", "a@example.com,Ann", ",".join(["b@example.com"] * 20_000)]
    )

    assert emails_of(csv_parse(data)) == ["a@example.com", "b@example.com"]


def test_a_quote_that_never_closes_is_refused_as_unreadable():
    data = csv_bytes(["Email", '"a@example.com', "x" * 200_000])

    assert refusal_code(data) == "unreadable"


# --- Properties ----------------------------------------------------------------------------------


def assert_people_are_valid(result: ParseResult) -> None:
    assert isinstance(result, ParseResult)
    emails = emails_of(result)
    assert len(emails) == len(set(emails))
    for email in emails:
        validate_email(email)
        assert email == email.lower()
        assert len(email) <= 254
    for problem in result.problems:
        assert len(problem.value) <= 100
        assert isinstance(problem.message, str)


address_like = st.one_of(
    st.emails(),
    st.emails().map(str.upper),
    st.emails().map(lambda e: f"Some Name <{e}>"),
    st.text(alphabet="ab@.<>\"', ;\n\t-", max_size=20),
    st.text(max_size=20),
)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_emails_parse_never_raises_and_returns_valid_unique_lower_case_addresses(text):
    assert_people_are_valid(emails_parse(text))


@settings(max_examples=200, deadline=None)
@given(st.lists(address_like, max_size=30), st.sampled_from([",", ";", " ", "\n", ", ", "\r\n"]))
def test_emails_parse_of_address_like_text_returns_valid_unique_lower_case_addresses(parts, sep):
    result = emails_parse(sep.join(parts))

    assert_people_are_valid(result)
    assert result.people or result.problems


def parse_or_refuse(data: bytes) -> None:
    try:
        result = csv_parse(data)
    except FileRefused as refused:
        assert refused.code in {
            "too_large",
            "too_many_rows",
            "not_utf8",
            "empty",
            "no_email_column",
            "binary",
            "unreadable",
        }
        assert str(refused.message)
        return
    assert_people_are_valid(result)
    assert len(result.people) <= MAX_FILE_PEOPLE


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_csv_parse_of_any_bytes_refuses_or_returns_valid_people(data):
    parse_or_refuse(data)


@st.composite
def csv_shaped(draw) -> bytes:
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    header = draw(
        st.permutations(
            [
                draw(st.sampled_from(["Email", " e-mail ", "EMAIL ADDRESS", "Mail"])),
                draw(st.sampled_from(["First name", "firstname", "Given name"])),
                draw(st.sampled_from(["Last name", "Surname", "Family name"])),
            ]
        )
    )
    cell = st.one_of(address_like, st.just(""))
    rows = draw(
        st.lists(
            st.lists(cell, min_size=0, max_size=4),
            max_size=draw(st.sampled_from([5, 30, 110])),
        )
    )
    buffer = io.StringIO()
    if draw(st.booleans()):
        lineterminator = draw(st.sampled_from(["\n", "\r\n"]))
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator=lineterminator)
        writer.writerows([header, *rows])
    else:
        buffer.write("\n".join(delimiter.join(row) for row in [header, *rows]))
    bom = "\ufeff" if draw(st.booleans()) else ""
    return (bom + buffer.getvalue()).encode("utf-8", errors="surrogatepass")


@settings(max_examples=200, deadline=None)
@given(csv_shaped())
def test_csv_parse_of_csv_shaped_text_refuses_or_returns_valid_people(data):
    parse_or_refuse(data)
