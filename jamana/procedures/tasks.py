from __future__ import annotations

from django_tasks import task

from jamana.procedures.actions import do_fulfil_request


@task()
def fulfil_request(reference: str) -> None:
    """Let the owning app act on a request that has just become "in review"."""
    do_fulfil_request(reference)
