"""Finish the rolls a crashed worker left pending or half-way: each resumes after its last
saved chunk, and no row is assessed twice."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jamana.tax.actions import do_process_roll
from jamana.tax.models import AssessmentRoll, RollStatus


class Command(BaseCommand):
    help = "Process assessment rolls left pending or running."

    def handle(self, *args: Any, **options: Any) -> None:
        pending = AssessmentRoll.objects.filter(
            status__in=[RollStatus.PENDING, RollStatus.RUNNING]
        ).order_by("pk")
        for roll_id in pending.values_list("pk", flat=True):
            roll = do_process_roll(roll_id)
            self.stdout.write(
                f"roll {roll.pk}: {roll.processed_rows}/{roll.total_rows} rows, "
                f"{roll.created_count} assessed, {len(roll.errors)} in error"
            )
