"""accounts/exports.py, the CSV cell rule every export follows (the Users tab's, the Audit log's):
a cell a spreadsheet would read as a formula starts with an apostrophe (CSV injection)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.exports import csv_cell

# What a spreadsheet reads as the start of a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like_or_any_text():
    return st.one_of(
        st.text(),
        st.builds(lambda start, rest: start + rest, st.sampled_from(FORMULA_STARTS), st.text()),
    )


@given(formula_like_or_any_text())
def test_a_csv_cell_never_starts_like_a_formula(text):
    assert not csv_cell(text).startswith(FORMULA_STARTS)


@given(formula_like_or_any_text())
def test_removing_one_leading_apostrophe_from_a_neutralised_cell_gives_the_original(text):
    cell = csv_cell(text)

    if text.startswith(FORMULA_STARTS):
        assert cell == "'" + text
        assert cell.removeprefix("'") == text
    else:
        assert cell == text


def test_a_missing_value_is_an_empty_cell():
    assert (csv_cell(None), csv_cell(42), csv_cell(-3)) == ("", "42", "'-3")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised(start):
    assert csv_cell(f"{start}1+1") == f"'{start}1+1"


def test_plain_cells_are_left_alone():
    assert csv_cell("ada@acme.example") == "ada@acme.example"
    assert csv_cell(None) == ""
