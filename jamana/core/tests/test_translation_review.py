"""``manage.py translation_review`` rebuilds the list of Bambara entries to review in
docs/translations-review.md from the catalogue's ``REVIEW`` comments, and keeps the rest."""

from __future__ import annotations

import io

import polib
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jamana.core.management.commands.translation_review import MARKER, review_document

HEAD = """# Bambara translations to review

Hand-written introduction. 2 of the 3 entries are marked.

## Recurring terms (decide them once)

| English | Proposed | Note |
|---|---|---|
| request | ɲinini | lit. “seeking” |
"""


def catalogue() -> polib.POFile:
    po = polib.POFile()
    po.metadata = {"Language": "bm", "Plural-Forms": "nplurals=1; plural=0;"}
    po.append(
        polib.POEntry(
            msgid="My requests",
            msgstr="N ka ɲininiw",
            tcomment=(
                "REVIEW: doubtful — term “ɲinini” (request, lit. seeking);\nalternatives delili"
            ),
            occurrences=[("jamana/templates/base.html", "12")],
        )
    )
    po.append(polib.POEntry(msgid="Mali", msgstr="Mali"))
    po.append(
        polib.POEntry(
            msgid="This field is required.",
            msgstr="Nin yɔrɔ in ka kan ka fa.",
            tcomment=(
                "Django’s own message (no bm catalogue in Django): see the list in\n"
                "jamana/core/tests/test_translations.py.\n"
                "REVIEW: doubtful — “ka fa” (be filled)\n"
                "REVIEW: doubtful — drafted without a native speaker"
            ),
        )
    )
    po.append(
        polib.POEntry(
            msgctxt="payment status",
            msgid="%(n)s day",
            msgid_plural="%(n)s days",
            msgstr_plural={0: "tile %(n)s"},
            tcomment="REVIEW: doubtful — word order",
        )
    )
    po.append(
        polib.POEntry(
            msgid="Remaining: <strong>%(x)s</strong> | %(y)s",
            msgstr="Min tora: <strong>%(x)s</strong> | %(y)s",
            tcomment="REVIEW: doubtful — “min tora” (what remains)",
        )
    )
    po.append(
        polib.POEntry(
            msgid="Gone", msgstr="A tɛ yen", tcomment="REVIEW: doubtful — old", obsolete=True
        )
    )
    return po


EXPECTED_ROWS = [
    "| My requests | N ka ɲininiw | term “ɲinini” (request, lit. seeking); alternatives delili "
    "| Jamana |",
    "| This field is required. | Nin yɔrɔ in ka kan ka fa. | “ka fa” (be filled); drafted "
    "without a native speaker | Django |",
    "| [payment status] %(n)s day / %(n)s days | tile %(n)s | word order | Jamana |",
    "| Remaining: &lt;strong&gt;%(x)s&lt;/strong&gt; \\| %(y)s | Min tora: "
    "&lt;strong&gt;%(x)s&lt;/strong&gt; \\| %(y)s | “min tora” (what remains) | Jamana |",
]


def test_the_list_is_generated_below_the_marker_and_the_head_is_kept():
    document = review_document(HEAD, catalogue())
    head, generated = document.split(MARKER + "\n")
    assert head == HEAD.replace("2 of the 3 entries", "4 of the 5 entries") + "\n"
    lines = generated.strip().splitlines()
    assert lines[0] == "## Entries to review"
    assert lines[-4:] == EXPECTED_ROWS
    assert document.count(MARKER) == 1
    # Running it again changes nothing.
    assert review_document(document, catalogue()) == document


def test_an_old_document_without_marker_keeps_everything_above_its_list():
    old = HEAD + "\n## Entries to review\n\n| msgid | proposed bm | doubt | origin |\n"
    old += "|---|---|---|---|\n| Stale | row | gone | Jamana |\n"
    document = review_document(old, catalogue())
    assert document.startswith(HEAD.replace("2 of the 3", "4 of the 5") + "\n" + MARKER + "\n")
    assert "Stale" not in document
    assert document.count("## Entries to review") == 1


def test_check_fails_on_a_stale_document_and_the_command_brings_it_up_to_date(tmp_path):
    document, po = tmp_path / "review.md", tmp_path / "django.po"
    document.write_text(HEAD, encoding="utf-8")
    catalogue().save(str(po))
    paths = ["--document", str(document), "--catalogue", str(po)]
    with pytest.raises(CommandError, match="out of date") as stale:
        call_command("translation_review", "--check", *paths, stdout=io.StringIO())
    assert stale.value.returncode == 1
    assert document.read_text(encoding="utf-8") == HEAD

    call_command("translation_review", *paths, stdout=io.StringIO())
    assert document.read_text(encoding="utf-8") == review_document(HEAD, polib.pofile(str(po)))
    call_command("translation_review", "--check", *paths, stdout=io.StringIO())


def test_the_review_document_is_up_to_date():
    """After editing the Bambara catalogue, run ``manage.py translation_review``."""
    call_command("translation_review", "--check", stdout=io.StringIO())
