"""``manage.py calls_remind_drafts``: 48 hours before a call closes, one SMS to each applicant
whose application is still a draft. Run hourly; each call is reminded once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jamana.calls.actions import do_send_draft_reminders


class Command(BaseCommand):
    help = "Remind applicants with an unsubmitted application 48 hours before closing."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = do_send_draft_reminders()
        self.stdout.write(f"{sent} reminder(s) queued")
