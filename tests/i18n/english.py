"""What "a page in French" means for the tests: its visible text holds none of the English labels
of seatmgr's catalogue.

`english_labels()` reads locale/fr/LC_MESSAGES/django.po: every msgid (singular and plural) whose
French differs from it gives its literal pieces (the text between placeholders and tags) of two
words or more, plus the product's one-word labels (ONE_WORD_LABELS). A piece that French itself
uses outside quotes (a name such as "Entra ID" kept as is in some msgstr) is left out, as are
product names; the page's « quoted » words are another product's, written as that product does.

`visible_text(html)` is what a person reads or hears: the text outside scripts and styles, the
page's title, and the `title`, `aria-label`, `placeholder` and `alt` attributes, the `value` of
buttons and the `data-*` words a page script shows later; `<option>` text is text.
"""

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import polib

PO = Path(__file__).resolve().parents[2] / "locale" / "fr" / "LC_MESSAGES" / "django.po"

# One-word labels that are English only (the catalogue's other one-word msgids are too often
# the same word in French, or a word French texts use, to look for on their own).
ONE_WORD_LABELS = {
    "Seats",
    "Users",
    "Teams",
    "Save",
    "Cancel",
    "Never",
    "Next",
    "Back",
    "Search",
    "Settings",
    "Invoices",
    "Remove",
    "Delete",
    "Edit",
    "Close",
    "Invited",
    "Deactivated",
    "Assigned",
    "Available",
    "Unassigned",
    "Language",
    "Password",
    "Email",
    "Name",
    "Status",
    "Team",
    "Seat",
    "Yes",
    "No",
    "Approve",
    "Deny",
    "Revoke",
    "Resend",
    "Filters",
    "Previous",
    "Total",
}
# Product names a French page writes as they are.
PRODUCT_NAMES = {"seatmgr", "HubSpot", "Stripe", "SCIM", "CSV", "API", "Salesforce"}

_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{[^}]*\}|<[^>]+>|\[[^\]]*\]")
# Sentence punctuation splits a msgid into the phrases one could find on their own.
_SEPARATORS = re.compile(r"[.:;!?()\"“”«»…,/·—–]|\s-\s|\n")
# French quotes another product's own English words as they are: « First name », « Users ».
_QUOTED = re.compile(r"«[^»]*»")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|&")


def _pieces(msgid: str) -> list[str]:
    pieces = []
    for chunk in _PLACEHOLDER.split(msgid):
        for piece in _SEPARATORS.split(chunk):
            piece = " ".join(piece.split()).strip(" '-")
            if piece:
                pieces.append(piece)
    return pieces


def _is_label(piece: str) -> bool:
    words = piece.split()
    if not all(_WORD.fullmatch(word) for word in words):
        return False  # numbers, symbols, a fragment of markup
    if all(word in PRODUCT_NAMES for word in words):
        return False
    return len(words) >= 2 or piece in ONE_WORD_LABELS


def phrase_pattern(phrases) -> re.Pattern:
    """One pattern finding any of `phrases` as a whole phrase (not inside a longer word)."""
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<![\w'’-])(?:{alternatives})(?![\w'’-])")


@cache
def english_labels() -> frozenset[str]:
    catalogue = polib.pofile(str(PO))
    pairs = []
    for entry in catalogue:
        if entry.obsolete or entry.fuzzy:
            continue
        if entry.msgid_plural:
            forms = list(entry.msgstr_plural.values())
            pairs += [(entry.msgid, forms[0]), (entry.msgid_plural, forms[-1])]
        else:
            pairs.append((entry.msgid, entry.msgstr))
    french = _QUOTED.sub("\n", "\n".join(msgstr for _, msgstr in pairs))
    labels = {
        piece
        for msgid, msgstr in pairs
        if msgstr and msgstr != msgid
        for piece in _pieces(msgid)
        if _is_label(piece)
    }
    used_by_french = set(phrase_pattern(labels).findall(french))
    return frozenset(labels - used_by_french)


class _VisibleText(HTMLParser):
    SKIP = {"script", "style", "template"}
    ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
    BUTTON_TYPES = {"submit", "button", "reset"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skipping: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag in self.SKIP:
            self.skipping.append(tag)
        self.chunks += [attrs[name] for name in self.ATTRIBUTES if attrs.get(name)]
        # Words a page script shows later ("Copied", "Remove __N__ seats") wait in data-*.
        self.chunks += [
            value
            for name, value in attrs.items()
            if name.startswith("data-") and value and not value.startswith(("/", "http", "{"))
        ]
        if tag == "input" and (attrs.get("type") or "").lower() in self.BUTTON_TYPES:
            self.chunks.append(attrs.get("value") or "")
        self.chunks.append("\n")  # an element boundary: phrases do not run across

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()
        self.chunks.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.chunks.append(data)


def visible_text(html: str) -> tuple[str, str | None]:
    """The text a person sees or hears on the page, and the page's `<html lang>`."""
    parser = _VisibleText()
    parser.feed(html)
    return "".join(parser.chunks), parser.lang


def english_found(text: str, *, allowed: list[str]) -> list[str]:
    """The English labels in `text`, once `allowed` (names from the data) are taken out."""
    if allowed:
        text = phrase_pattern(allowed).sub("\n", text)
    text = _QUOTED.sub("\n", text)
    text = re.sub(r"[ \t\u00a0\u202f]+", " ", text)
    return sorted(set(phrase_pattern(english_labels()).findall(text)))
