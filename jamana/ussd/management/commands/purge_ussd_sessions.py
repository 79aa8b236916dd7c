"""Daily job: delete USSD sessions over for a day (they hold phone numbers and screens)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jamana.ussd.actions import purge_sessions


class Command(BaseCommand):
    help = "Delete USSD sessions (and the replies kept for retries) idle for more than a day."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than-hours", type=int, default=24)

    def handle(self, *args: Any, older_than_hours: int, **options: Any) -> None:
        deleted = purge_sessions(older_than=dt.timedelta(hours=older_than_hours))
        self.stdout.write(f"{deleted} USSD session rows deleted.")
