from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jamana.core.errors import JamanaError
from jamana.pki.actions import do_revoke_certificate
from jamana.pki.models import RevocationReason


class Command(BaseCommand):
    help = "Revoke a certificate from the operator console (key ceremony, incident response)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="certificate name, e.g. seal-ml-cec-bko-c3")
        parser.add_argument("--reason", required=True, choices=RevocationReason.values)
        parser.add_argument(
            "--compromised-at",
            help="ISO 8601 time from which the key is untrusted (key_compromise only); "
            "documents sealed from then on verify as invalid",
        )

    def handle(
        self, *args: Any, name: str, reason: str, compromised_at: str | None, **options: Any
    ) -> None:
        when = None
        if compromised_at:
            try:
                when = dt.datetime.fromisoformat(compromised_at)
            except ValueError:
                raise CommandError("--compromised-at must be an ISO 8601 time") from None
            if when.tzinfo is None:
                raise CommandError("--compromised-at needs a time zone (e.g. 2026-11-28T10:00Z)")
        try:
            record = do_revoke_certificate(
                agent=None, name=name, reason=reason, compromised_at=when
            )
        except JamanaError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(f"Revoked {record.name} ({reason})"))
