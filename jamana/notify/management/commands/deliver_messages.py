from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from jamana.notify.delivery import deliver_due, query_unreported, recover_stuck
from jamana.notify.gateways import close_sms_gateways, get_sms_gateway


class Command(BaseCommand):
    help = (
        "The outbox's poller: resolve messages stuck in 'sending', deliver queued messages that "
        "are due (retries after back-off), ask the SMSC about old unreported SMS; with "
        "SMS_GATEWAY=smpp it stays bound to receive delivery reports and inbound SMS "
        "(loop with --every)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, default=0, help="seconds between rounds")

    def handle(self, *args: Any, every: float, **options: Any) -> None:
        try:
            while True:
                if settings.SMS_GATEWAY == "smpp":
                    maintain = getattr(get_sms_gateway(), "maintain", None)
                    if maintain is not None:
                        maintain()
                recovered = recover_stuck()
                tried = deliver_due()
                asked = query_unreported()
                if recovered or tried or asked:
                    self.stdout.write(
                        f"{recovered} stuck resolved, {tried} due tried, {asked} reports asked"
                    )
                if not every:
                    return
                time.sleep(every)
        finally:
            close_sms_gateways()
