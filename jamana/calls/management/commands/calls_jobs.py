"""``manage.py calls_jobs --every 30``: the calls' periodic work in one loop, for a single
machine (``make run``): close calls past their closing second, remind drafts 48 hours before
closing, scan uploads the virus scanner could not take. Each step is idempotent; in
production they may run as separate cron jobs (calls_close, calls_remind_drafts,
calls_scan_pending — docs/operator.md)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jamana.calls.actions import do_scan_pending_documents, do_send_draft_reminders
from jamana.calls.review import do_close_due_calls


class Command(BaseCommand):
    help = "Close due calls, remind drafts, scan pending uploads (loop with --every)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, default=0, help="seconds between rounds")

    def handle(self, *args: Any, every: float, **options: Any) -> None:
        while True:
            closed = do_close_due_calls()
            reminded = do_send_draft_reminders()
            scanned, waiting = do_scan_pending_documents()
            if closed or reminded or scanned or waiting:
                self.stdout.write(
                    f"calls closed: {closed}, reminders: {reminded}, "
                    f"uploads scanned: {scanned} (waiting: {waiting})"
                )
            if not every:
                return
            time.sleep(every)
