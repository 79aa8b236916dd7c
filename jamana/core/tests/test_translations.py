"""The translation catalogues (jamana/locale/<lang>/LC_MESSAGES/django.po) are complete,
well-formed, and really served at run time.

Django ships no Bambara catalogue, so the Django messages a Bambara reader meets (form errors,
password rules, month and day names used by the date filters) are marked below for
``makemessages`` to extract them into ours, where they get their Bambara translation. The list
lives here because ``makemessages`` never looks inside a ``locale`` directory: marked there, the
strings would be dropped by the next ``makemessages --no-obsolete``.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import polib
import pytest
from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings
from django.utils import dates, formats, translation
from django.utils.translation import gettext_noop, ngettext_lazy, pgettext_lazy

LANGUAGES = ("fr", "bm", "en")
BAMBARA_LETTERS = set("ɛɔɲŋƐƆƝŊ")
# Legacy (pre-1982) spellings: è for ɛ, ò for ɔ, ñ for ɲ.
LEGACY_LETTERS = set("èòñÈÒÑ")

# Django's own messages, marked for extraction into our catalogues (see the module docstring).
DJANGO_MESSAGES = (
    # Form fields: the label suffix (French puts a no-break space before it), then errors.
    gettext_noop(":"),
    gettext_noop("This field is required."),
    gettext_noop("Enter a valid date."),
    gettext_noop("Enter a valid value."),
    gettext_noop("Enter a whole number."),
    gettext_noop("Enter a number."),
    gettext_noop("Select a valid choice. %(value)s is not one of the available choices."),
    gettext_noop("Null characters are not allowed."),
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
    ),
    ngettext_lazy(
        "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
    ),
    # Password validators (AUTH_PASSWORD_VALIDATORS): errors and help texts.
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
    ),
    gettext_noop("This password is too common."),
    gettext_noop("This password is entirely numeric."),
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
    ),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("Your password can’t be entirely numeric."),
    # Date formats: F (and E, "alt. month"), M/b, N ("abbrev. month"), l and D.
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
    pgettext_lazy("alt. month", "January"),
    pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"),
    pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"),
    pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"),
    pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"),
    pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"),
    pgettext_lazy("alt. month", "December"),
    gettext_noop("jan"),
    gettext_noop("feb"),
    gettext_noop("mar"),
    gettext_noop("apr"),
    gettext_noop("may"),
    gettext_noop("jun"),
    gettext_noop("jul"),
    gettext_noop("aug"),
    gettext_noop("sep"),
    gettext_noop("oct"),
    gettext_noop("nov"),
    gettext_noop("dec"),
    pgettext_lazy("abbrev. month", "Jan."),
    pgettext_lazy("abbrev. month", "Feb."),
    pgettext_lazy("abbrev. month", "March"),
    pgettext_lazy("abbrev. month", "April"),
    pgettext_lazy("abbrev. month", "May"),
    pgettext_lazy("abbrev. month", "June"),
    pgettext_lazy("abbrev. month", "July"),
    pgettext_lazy("abbrev. month", "Aug."),
    pgettext_lazy("abbrev. month", "Sept."),
    pgettext_lazy("abbrev. month", "Oct."),
    pgettext_lazy("abbrev. month", "Nov."),
    pgettext_lazy("abbrev. month", "Dec."),
    gettext_noop("Monday"),
    gettext_noop("Tuesday"),
    gettext_noop("Wednesday"),
    gettext_noop("Thursday"),
    gettext_noop("Friday"),
    gettext_noop("Saturday"),
    gettext_noop("Sunday"),
    gettext_noop("Mon"),
    gettext_noop("Tue"),
    gettext_noop("Wed"),
    gettext_noop("Thu"),
    gettext_noop("Fri"),
    gettext_noop("Sat"),
    gettext_noop("Sun"),
)

# printf-style placeholders (%(name)s, %d, %s) and str.format ones ({name}, {0}, {}).
PRINTF = re.compile(r"%(?:\((\w+)\))?[#0\- +]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa])")
BRACES = re.compile(r"(?<!\{)\{(\w*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")


def po_path(language: str) -> Path:
    return Path(settings.LOCALE_PATHS[0]) / language / "LC_MESSAGES" / "django.po"


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(po_path(language)))


def translations(language: str) -> dict[tuple[str | None, str], polib.POEntry]:
    return {(entry.msgctxt, entry.msgid): entry for entry in catalogue(language)}


def msgstrs(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def placeholders(text: str) -> tuple[tuple[str, ...], ...]:
    """Named printf placeholders (sorted), positional ones (in order), and brace fields."""
    text = text.replace("%%", "")
    printf = PRINTF.findall(text)
    named = tuple(sorted(f"{name}:{conv}" for name, conv in printf if name))
    positional = tuple(conv for name, conv in printf if not name)
    return named, positional, tuple(sorted(BRACES.findall(text)))


def label(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt}|{entry.msgid}" if entry.msgctxt else entry.msgid


@pytest.fixture(scope="module")
def compiled():
    """Compile the .po files, then make Django reload its catalogues."""
    call_command("compile_translations", stdout=io.StringIO())
    # Changing LOCALE_PATHS (even to itself) clears Django's cached translations.
    with override_settings(LOCALE_PATHS=list(settings.LOCALE_PATHS)):
        yield


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    po = catalogue(language)
    assert len(po) > 0
    nplurals = int(re.search(r"nplurals=(\d+)", po.metadata["Plural-Forms"]).group(1))
    problems = []
    for entry in po:
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {label(entry)}")
        if entry.obsolete:
            problems.append(f"obsolete: {label(entry)}")
        if entry.msgid_plural and len(entry.msgstr_plural) != nplurals:
            forms_count = len(entry.msgstr_plural)
            problems.append(f"{forms_count} plural forms, not {nplurals}: {label(entry)}")
        if not all(text.strip() for text in msgstrs(entry)):
            problems.append(f"untranslated: {label(entry)}")
    assert not problems, "\n".join(problems)


def test_the_three_catalogues_have_the_same_entries():
    keys = {language: set(translations(language)) for language in LANGUAGES}
    assert keys["fr"] == keys["bm"] == keys["en"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_are_kept(language):
    problems = []
    for entry in catalogue(language):
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        expected = {placeholders(source) for source in sources}
        for text in msgstrs(entry):
            if placeholders(text) not in expected:
                problems.append(f"{label(entry)!r} → {text!r}")
    assert not problems, "\n".join(problems)


def test_bambara_is_written_in_the_official_orthography():
    texts = [text for entry in catalogue("bm") for text in msgstrs(entry)]
    assert BAMBARA_LETTERS & set("".join(texts)), "no ɛ, ɔ, ɲ or ŋ in the Bambara catalogue"
    legacy = [text for text in texts if LEGACY_LETTERS & set(text)]
    assert not legacy, f"legacy spellings (è/ò/ñ for ɛ/ɔ/ɲ): {legacy}"


def test_bambara_header_declares_a_single_plural_form():
    metadata = catalogue("bm").metadata
    assert metadata["Language"] == "bm"
    assert metadata["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"


def test_django_messages_are_in_our_catalogues():
    bm = translations("bm")
    missing = [
        message
        for message in DJANGO_MESSAGES
        if isinstance(message, str) and (None, message) not in bm
    ]
    assert not missing
    for context in ("abbrev. month", "alt. month"):
        assert sum(1 for ctx, _ in bm if ctx == context) == 12, context


def test_bambara_is_served_at_run_time(compiled):
    expected = translations("bm")[(None, "My requests")].msgstr
    with translation.override("bm"):
        assert translation.gettext("My requests") == expected
    assert expected != "My requests" and BAMBARA_LETTERS & set(expected)


def test_french_is_served_at_run_time(compiled):
    with translation.override("fr"):
        assert translation.gettext("My requests") == "Mes démarches"
        assert translation.gettext("Who accessed my data") == "Qui a consulté mes données"


def test_dates_are_written_in_bambara(compiled):
    bm = translations("bm")
    with translation.override("en"):
        english = {
            "F": {m: str(name) for m, name in dates.MONTHS.items()},
            "M": {m: str(name) for m, name in dates.MONTHS_3.items()},
            "N": {m: str(name) for m, name in dates.MONTHS_AP.items()},
            "l": {d: str(name) for d, name in dates.WEEKDAYS.items()},
        }
    with translation.override("bm"):
        for month in range(1, 13):
            day = dt.date(2026, month, 5)
            name = bm[(None, english["F"][month])].msgstr
            assert formats.date_format(day, "j F Y") == f"5 {name} 2026"
            assert formats.date_format(day, "F Y") == f"{name} 2026"
            assert formats.date_format(day, "E") == bm[("alt. month", english["F"][month])].msgstr
            short = bm[(None, english["M"][month])].msgstr
            assert formats.date_format(day, "j M Y") == f"5 {short.title()} 2026"
            abbreviated = bm[("abbrev. month", english["N"][month])].msgstr
            assert formats.date_format(day, "N") == abbreviated
        monday = dt.date(2026, 11, 30)
        assert formats.date_format(monday, "l") == bm[(None, english["l"][0])].msgstr


def test_form_and_password_errors_are_in_bambara(compiled):
    bm = translations("bm")
    with translation.override("bm"):
        with pytest.raises(ValidationError) as required:
            forms.CharField().clean("")
        assert required.value.messages == [bm[(None, "This field is required.")].msgstr]
        with pytest.raises(ValidationError) as bad_date:
            forms.DateField().clean("32/13/2026")
        assert bad_date.value.messages == [bm[(None, "Enter a valid date.")].msgstr]

        with pytest.raises(ValidationError) as short:
            validate_password("4821")
        too_short = bm[(None, "This password is too short. It must contain at least %d character.")]
        assert too_short.msgstr_plural[0] % 8 in short.value.messages
        assert bm[(None, "This password is entirely numeric.")].msgstr in short.value.messages

        with pytest.raises(ValidationError) as common:
            validate_password("password")
        assert common.value.messages == [bm[(None, "This password is too common.")].msgstr]
