"""accounts/exports.py, the CSV cell rule every export follows (the Users tab's, the Audit log's):
a cell a spreadsheet would read as a formula starts with an apostrophe (CSV injection)."""

import re

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
def test_neutralising_only_ever_adds_apostrophes(text):
    assert csv_cell(text).replace("'", "") == text.replace("'", "")


def _parts(cell: str) -> list[str]:
    """The cells a spreadsheet splitting on `;`, `,` or tab makes of one cell, spaces trimmed."""
    return [part.lstrip(" ") for part in re.split(r"[;,\t]", cell)]


@given(
    st.lists(formula_like_or_any_text(), min_size=1, max_size=4),
    st.sampled_from([";", ",", "\t"]),
)
def test_no_part_of_a_cell_split_on_a_separator_starts_like_a_formula(parts, separator):
    cell = csv_cell(separator.join(parts))

    assert [part for part in _parts(cell) if part.startswith(FORMULA_STARTS)] == []


@pytest.mark.parametrize("value", ["x;=1+1", "x,=1+1", "x\t=1+1", "x; @SUM(A1)", "a,b;-2"])
def test_a_formula_after_a_separator_is_neutralised(value):
    assert [part for part in _parts(csv_cell(value)) if part.startswith(FORMULA_STARTS)] == []


def test_a_missing_value_is_an_empty_cell():
    assert (csv_cell(None), csv_cell(42), csv_cell(-3)) == ("", "42", "'-3")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised(start):
    assert csv_cell(f"{start}1+1") == f"'{start}1+1"


def test_plain_cells_are_left_alone():
    assert csv_cell("ada@acme.example") == "ada@acme.example"
    assert csv_cell("ann-marie@acme.example") == "ann-marie@acme.example"
    assert csv_cell("Doe, Jane; Sales") == "Doe, Jane; Sales"
    assert csv_cell(None) == ""
