"""``manage.py calls_scan_pending``: scan again the uploaded files still waiting for the virus
scanner (it was down or overloaded when they arrived). Run every few minutes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jamana.calls.actions import do_scan_pending_documents


class Command(BaseCommand):
    help = "Scan the uploaded files that are still waiting for the virus scanner."

    def handle(self, *args: Any, **options: Any) -> None:
        done, waiting = do_scan_pending_documents()
        self.stdout.write(f"{done} scanned, {waiting} still waiting")
