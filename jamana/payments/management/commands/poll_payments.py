from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jamana.payments.actions import do_poll_pending


class Command(BaseCommand):
    help = "Query providers for pending payments and retry pending refunds (loop with --every)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, default=0, help="seconds between rounds")

    def handle(self, *args: Any, every: float, **options: Any) -> None:
        while True:
            handled = do_poll_pending()
            if handled:
                self.stdout.write(f"{handled} payment(s) or refund(s) handled")
            if not every:
                return
            time.sleep(every)
