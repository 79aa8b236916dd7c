"""``manage.py import_birth_register FILE.csv --centre CODE [--by PHONE] [--dry-run]``: load acts
typed from an old paper register into a centre's register, all or nothing
(docs/civil/register-import.md). Exit status 0 when imported, 1 when refused."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext, ngettext
from tqdm import tqdm

from jamana.civil.imports import check_import_register, describe_error
from jamana.civil.models import ImportStatus, RegisterImport, RegistryCentre
from jamana.core.errors import JamanaError
from jamana.core.phones import InvalidPhoneNumber, normalize_phone
from jamana.identity.models import Account


class ProgressBars:
    """One tqdm bar per step of the import, on stderr (silent when it is not a terminal)."""

    def __init__(self) -> None:
        self.step = ""
        self.bar: tqdm[Any] | None = None

    def __call__(self, step: str, done: int, total: int) -> None:
        if step != self.step:
            self.close()
            self.step = step
            labels = {
                "check": gettext("Checking rows"),
                "match": gettext("Looking for duplicates"),
                "write": gettext("Writing acts"),
            }
            self.bar = tqdm(
                total=total,
                desc=labels.get(step, step),
                unit=gettext("row"),
                file=sys.stderr,
                disable=None,  # silent when stderr is not a terminal (cron, logs, tests)
            )
        if self.bar is not None:
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Command(BaseCommand):
    help = (
        "Import a CSV file of birth acts typed from a paper register into a centre's register. "
        "Every row is checked first; if any is refused, nothing is imported."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the CSV file (UTF-8, ';' or ',')")
        parser.add_argument("--centre", required=True, help="the centre's organisation code")
        parser.add_argument("--by", default="", help="phone number of the registrar importing")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, write nothing"
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help="language of the report (default: LANGUAGE_CODE)",
        )

    def handle(
        self,
        *args: Any,
        file: Path,
        centre: str,
        by: str,
        dry_run: bool,
        language: str | None,
        **options: Any,
    ) -> None:
        with translation.override(language or translation.get_language()):
            self._import(file, centre, by, dry_run)

    def _import(self, path: Path, code: str, phone: str, dry_run: bool) -> None:
        registry = (
            RegistryCentre.objects.select_related("organisation", "commune")
            .filter(organisation__code=code.strip())
            .first()
        )
        if registry is None:
            raise CommandError(
                gettext("No registry centre has the code %(code)s.") % {"code": code}
            )
        actor = None
        if phone:
            try:
                actor = Account.objects.filter(phone=normalize_phone(phone)).first()
            except InvalidPhoneNumber:
                actor = None
            if actor is None:
                raise CommandError(
                    gettext("No account has the phone number %(phone)s.") % {"phone": phone}
                )
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                gettext("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror}
            ) from None
        bars = ProgressBars()
        try:
            record = check_import_register(
                centre=registry,
                file_name=path.name,
                data=data,
                actor=actor,
                progress=bars,
                dry_run=dry_run,
            )
        except JamanaError as exc:
            raise CommandError(exc.message) from None
        finally:
            bars.close()
        self._report(record, dry_run=dry_run)
        if record.status != ImportStatus.IMPORTED:
            raise CommandError(gettext("Refused: nothing was imported."))

    def _report(self, record: RegisterImport, *, dry_run: bool) -> None:
        out = self.stdout
        out.write(
            gettext("File: %(name)s (SHA-256 %(sha256)s)")
            % {"name": record.file_name, "sha256": record.file_sha256}
        )
        out.write(gettext("Register: %(centre)s") % {"centre": record.centre})
        out.write(gettext("Rows read: %(count)s") % {"count": record.rows})
        if record.status == ImportStatus.IMPORTED:
            if dry_run:
                out.write(gettext("Dry run: nothing was written."))
                imported = ngettext(
                    "%(count)s act would be imported.",
                    "%(count)s acts would be imported.",
                    record.imported,
                )
            else:
                imported = ngettext(
                    "%(count)s act imported.", "%(count)s acts imported.", record.imported
                )
            out.write(imported % {"count": record.imported})
            out.write(
                ngettext(
                    "%(count)s probable duplicate queued for the registrar (never merged "
                    "automatically).",
                    "%(count)s probable duplicates queued for the registrar (never merged "
                    "automatically).",
                    record.duplicates_found,
                )
                % {"count": record.duplicates_found}
            )
            return
        problems = len(record.errors)
        out.write(
            ngettext(
                "Refused: nothing was imported. %(count)s problem:",
                "Refused: nothing was imported. %(count)s problems:",
                problems,
            )
            % {"count": problems}
        )
        for error in record.errors:
            message = describe_error(error)
            if error.get("line") and error.get("column"):
                line = gettext("line %(line)s, %(column)s: %(message)s") % {
                    "line": error["line"],
                    "column": error["column"],
                    "message": message,
                }
            elif error.get("line"):
                line = gettext("line %(line)s: %(message)s") % {
                    "line": error["line"],
                    "message": message,
                }
            else:
                line = message
            out.write(f"  {line}")
