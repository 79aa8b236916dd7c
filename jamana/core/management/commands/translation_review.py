"""Rewrite the list of Bambara entries to review in docs/translations-review.md.

The document's head (introduction, recurring terms, notes) is written by hand and kept as is;
only its count sentence ("N of the M entries are marked") is updated. Below the marker line
comes the list, generated from the Bambara catalogue: every entry whose translator comment
carries ``REVIEW: doubtful — <why>``, in catalogue order.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polib  # type: ignore[import-untyped]
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

MARKER = "<!-- generated below: manage.py translation_review -->"
REVIEW = re.compile(r"^REVIEW: doubtful\s*(?:—|-+)\s*", re.MULTILINE)
COUNT = re.compile(r"\d+ of the \d+ entries are marked")
# Where the list goes when a document has no marker yet.
HEADING = "## Entries to review"
# The file listing Django's own messages for extraction (see the module's docstring there),
# and the translator comment their entries carry.
DJANGO_LIST = "jamana/core/tests/test_translations.py"
DJANGO_COMMENT = "Django’s own message"

LIST_HEAD = f"""{HEADING}

Origin “Django”: Django’s own messages (form errors, password rules, dates), which Django does not translate into Bambara; they are listed for extraction in `{DJANGO_LIST}`. HTML tags of a message are shown as text.

| msgid | proposed bm | doubt | origin |
|---|---|---|---|
"""  # noqa: E501 (one Markdown paragraph per line)


def default_document() -> Path:
    return Path(settings.BASE_DIR) / "docs" / "translations-review.md"


def default_catalogue() -> Path:
    return Path(settings.LOCALE_PATHS[0]) / "bm" / "LC_MESSAGES" / "django.po"


def doubt(entry: polib.POEntry) -> str | None:
    """The reasons given in the entry's ``REVIEW`` comments, or None when it has none."""
    comment = entry.tcomment or ""
    starts = list(REVIEW.finditer(comment))
    if not starts:
        return None
    ends = [match.start() for match in starts[1:]] + [len(comment)]
    reasons = (
        " ".join(comment[m.end() : end].split()) for m, end in zip(starts, ends, strict=True)
    )
    return "; ".join(reason for reason in reasons if reason)


def cell(text: str) -> str:
    """``text`` as a Markdown table cell, shown exactly (tags as text, pipes escaped)."""
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|")


def review_rows(catalogue: polib.POFile) -> list[str]:
    """One table row per entry to review, in catalogue order."""
    return [
        row(entry, reason)
        for entry in catalogue
        if not entry.obsolete and (reason := doubt(entry)) is not None
    ]


def row(entry: polib.POEntry, reason: str) -> str:
    msgid = entry.msgid if not entry.msgid_plural else f"{entry.msgid} / {entry.msgid_plural}"
    if entry.msgctxt:
        msgid = f"[{entry.msgctxt}] {msgid}"
    proposed = entry.msgstr_plural[min(entry.msgstr_plural)] if entry.msgid_plural else entry.msgstr
    origin = "Django" if DJANGO_COMMENT in (entry.tcomment or "") else "Jamana"
    return f"| {cell(msgid)} | {cell(proposed)} | {cell(reason)} | {origin} |"


def review_document(document: str, catalogue: polib.POFile) -> str:
    """``document`` with its generated part rebuilt from the Bambara ``catalogue``."""
    rows = review_rows(catalogue)
    total = sum(1 for entry in catalogue if not entry.obsolete)
    if MARKER in document:
        head = document[: document.index(MARKER)]
    elif f"\n{HEADING}\n" in document:
        head = document[: document.index(f"\n{HEADING}\n") + 1]
    else:
        head = document.rstrip("\n") + "\n\n"
    head = COUNT.sub(f"{len(rows)} of the {total} entries are marked", head, count=1)
    body = LIST_HEAD + "".join(f"{line}\n" for line in rows)
    return f"{head}{MARKER}\n\n{body}"


class Command(BaseCommand):
    help = (
        "Rewrite the generated list of Bambara entries to review (REVIEW comments) in "
        "docs/translations-review.md; with --check, only tell whether it is up to date."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="write nothing; fail (exit status 1) if the document is out of date",
        )
        parser.add_argument("--document", type=Path, default=None, help="the Markdown file")
        parser.add_argument("--catalogue", type=Path, default=None, help="the Bambara .po file")

    def handle(self, *args: Any, **options: Any) -> None:
        document_path: Path = options["document"] or default_document()
        catalogue_path: Path = options["catalogue"] or default_catalogue()
        try:
            current = document_path.read_text(encoding="utf-8")
            catalogue = polib.pofile(str(catalogue_path))
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        updated = review_document(current, catalogue)
        marked = len(review_rows(catalogue))
        if options["check"]:
            if updated != current:
                raise CommandError(
                    f"{document_path} is out of date: run `manage.py translation_review`.",
                    returncode=1,
                )
            self.stdout.write(f"{document_path} is up to date ({marked} entries to review).")
            return
        if updated == current:
            self.stdout.write(
                f"{document_path} was already up to date ({marked} entries to review)."
            )
            return
        document_path.write_text(updated, encoding="utf-8")
        self.stdout.write(
            self.style.SUCCESS(f"{document_path} rewritten ({marked} entries to review).")
        )
