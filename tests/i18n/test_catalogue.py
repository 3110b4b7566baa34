"""The French catalogue is whole, compiled and uses the glossary's words (issue #18).

`make messages` rebuilds locale/fr/LC_MESSAGES/django.po from the marked strings and compiles the
committed django.mo; these tests fail when a string is left untranslated or fuzzy, when the .mo
is older than the .po, when a translation loses a placeholder, or when a product term strays from
locale/fr/GLOSSARY.md.
"""

import gettext
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from accounts.commands import operator_language

LOCALE = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES"
PO, MO = LOCALE / "django.po", LOCALE / "django.mo"

# Issue #18's vocabulary, as the glossary fixes it: English label → the one French label.
FIXED_TERMS = {
    "Create user": "Créer un utilisateur",
    "Assign a seat": "Attribuer un siège",
    "Seats": "Sièges",
    "Add seats": "Ajouter des sièges",
    "Buy now": "Acheter maintenant",
    "Remove unassigned seats": "Supprimer les sièges non attribués",
    "Cancel this removal": "Annuler cette suppression",
    "Copy invite link": "Copier le lien d'invitation",
    "Auto-renewal": "Renouvellement automatique",
    "Talk to sales": "Contacter le service des ventes",
    "View-only seat": "Siège en lecture seule",
    "Review access": "Vérifier l'accès",
    "Choose how to restrict access": "Choisir comment restreindre l'accès",
}
# The machine translation's other words for the same things, which the product never uses.
STRAY_WORDS = re.compile(r"\b(Affecter|affecter|affectation|places? payée?s?|Accès à l'examen)\b")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{(\w*)\}")
TAG = re.compile(r"</?([a-z][a-z0-9]*)\b")


@pytest.fixture(scope="module")
def catalogue():
    with PO.open("rb") as file:
        return read_po(file, locale="fr")


def messages(catalogue):
    return [message for message in catalogue if message.id]


def test_every_message_is_translated_and_none_is_fuzzy(catalogue):
    untranslated = [
        message.id
        for message in messages(catalogue)
        if not (all(message.string) if message.pluralizable else message.string)
    ]
    fuzzy = [message.id for message in messages(catalogue) if message.fuzzy]
    assert untranslated == [], f"{len(untranslated)} untranslated, first: {untranslated[:5]}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy, first: {fuzzy[:5]}"


def test_the_committed_mo_is_the_po_compiled():
    with MO.open("rb") as file:
        compiled = gettext.GNUTranslations(file)._catalog
    with PO.open("rb") as file:
        source = read_po(file, locale="fr")
    expected = {}
    for message in source:
        if not message.id or message.fuzzy:
            continue
        if message.pluralizable:
            singular = message.id[0]
            key = f"{message.context}\x04{singular}" if message.context else singular
            for index, text in enumerate(message.string):
                expected[(key, index)] = text
        else:
            key = f"{message.context}\x04{message.id}" if message.context else message.id
            expected[key] = message.string
    compiled = {key: text for key, text in compiled.items() if key != ""}
    assert compiled == expected, "django.mo is stale: run `make messages`"


# The other tests here read the catalogue without gettext; this one asks GNU msgfmt's own
# checks (format strings, header), so it needs the tool.
@pytest.mark.skipif(
    shutil.which("msgfmt") is None,
    reason="GNU gettext's msgfmt is not installed (apt-get install gettext)",
)
def test_gnu_msgfmt_finds_no_format_or_header_error():
    result = subprocess.run(
        ["msgfmt", "--check-format", "--check-header", "-o", "/dev/null", str(PO)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_translations_keep_the_placeholders_and_tags(catalogue):
    wrong = []
    for message in messages(catalogue):
        ids = message.id if message.pluralizable else (message.id,)
        strings = message.string if message.pluralizable else (message.string,)
        every = set(PLACEHOLDER.findall(ids[0])) | set(PLACEHOLDER.findall(ids[-1]))
        for form, text in enumerate(strings):
            # msgstr[0] says what the English singular says (it may write "un" for the count);
            # the plural form says what the English plural says.
            english = ids[0] if form == 0 else ids[-1]
            got = set(PLACEHOLDER.findall(text))
            lost = set(PLACEHOLDER.findall(english)) - got
            if not got <= every or (lost and (form > 0 or lost - {("count", ""), ("n", "")})):
                wrong.append((ids[0], text))
            if sorted(TAG.findall(text)) != sorted(TAG.findall(ids[0])):
                wrong.append((ids[0], text))
    assert wrong == []


def test_the_products_terms_are_the_glossarys(catalogue):
    found = {message.id: message.string for message in messages(catalogue)}
    for english, french in FIXED_TERMS.items():
        assert found.get(english) == french, english
    strays = [
        (message.id, message.string)
        for message in messages(catalogue)
        for text in (message.string if message.pluralizable else (message.string,))
        if STRAY_WORDS.search(text)
    ]
    assert strays == []


def test_remove_n_seats_reads_supprimer_n_sieges():
    # The Remove dialog's button (templates/billing/_remove_form.html), French plural rule: 0 and
    # 1 take the singular.
    with translation.override("fr"):
        for n, words in ((1, "Supprimer 1 siège"), (3, "Supprimer 3 sièges")):
            said = translation.ngettext("Remove %(n)s seat", "Remove %(n)s seats", n)
            assert said % {"n": n} == words


def test_a_command_answers_in_the_operators_language():
    assert operator_language({"LANG": "fr_FR.UTF-8"}) == "fr"
    assert operator_language({"LC_ALL": "fr_CA.UTF-8", "LANG": "en_US.UTF-8"}) == "fr"
    assert operator_language({"LANG": "de_DE.UTF-8"}) == settings.LANGUAGE_CODE
    assert operator_language({}) == settings.LANGUAGE_CODE


@pytest.mark.django_db
def test_reclaim_seats_speaks_french_to_a_french_shell(monkeypatch):
    out = io.StringIO()
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    call_command("reclaim_seats", "--now", "2027-01-01T00:00:00Z", stdout=out)
    assert out.getvalue().strip() == "avertis\u00a0: 0, récupérés\u00a0: 0, 0 échec"
    with pytest.raises(CommandError, match="fuseau horaire"):
        call_command("reclaim_seats", "--now", "2027-01-01T00:00:00")
