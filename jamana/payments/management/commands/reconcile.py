from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jamana.payments.reconciliation import do_reconcile


class Command(BaseCommand):
    help = "Reconcile the providers' statements with the ledger for a day (default: yesterday)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", help="YYYY-MM-DD (UTC)")
        parser.add_argument("--provider", action="append", help="limit to these providers")

    def handle(
        self, *args: Any, day: str | None, provider: list[str] | None, **options: Any
    ) -> None:
        try:
            when = dt.date.fromisoformat(day) if day else dt.date.today() - dt.timedelta(days=1)
        except ValueError:
            raise CommandError("--day must be YYYY-MM-DD") from None
        for code in provider or list(settings.PAYMENT_PROVIDERS):
            run = do_reconcile(code, when)
            self.stdout.write(
                f"{code} {when}: {run.statement_lines} line(s), {run.matched} matched, "
                f"{run.differences.count()} difference(s), fees {run.fees_xof} XOF"
            )
