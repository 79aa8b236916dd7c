from __future__ import annotations

from django_tasks import task

from jamana.ussd.payments import do_initiate_payment


@task()
def initiate_payment(intent_reference: str) -> None:
    """Ask the provider to collect a payment chosen on USSD, once the USSD reply is sent."""
    do_initiate_payment(intent_reference)
