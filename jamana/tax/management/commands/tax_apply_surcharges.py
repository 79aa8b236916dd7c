from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jamana.tax.actions import do_apply_late_surcharges


class Command(BaseCommand):
    help = "Add the late surcharge to open assessments past their due date (run daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        applied = do_apply_late_surcharges()
        self.stdout.write(f"{applied} assessment(s) surcharged")
