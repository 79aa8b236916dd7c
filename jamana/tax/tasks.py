from __future__ import annotations

from django_tasks import task

from jamana.tax.actions import do_process_roll


@task()
def process_roll(roll_id: int) -> int:
    """Assess an uploaded roll; returns the number of assessments created."""
    return do_process_roll(roll_id).created_count
