from __future__ import annotations

from django_tasks import task

from jamana.notify.delivery import deliver


@task()
def deliver_message(message_id: int) -> str:
    return deliver(message_id)
