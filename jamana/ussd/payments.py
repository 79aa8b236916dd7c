"""Starting a payment chosen on USSD, outside the gateway's call (see menus.start_payment)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from jamana.core.references import format_reference
from jamana.identity.models import Account
from jamana.notify.actions import queue_sms
from jamana.payments.actions import PaymentError, callback_url_for, check_initiate
from jamana.payments.models import PaymentIntent

logger = logging.getLogger(__name__)


def do_initiate_payment(intent_reference: str) -> None:
    """Ask the provider for the intent's money (its push reaches the payer's phone).

    A provider that does not answer is left to ``poll_payments``, which initiates
    created-but-not-initiated intents again with the same idempotency key; a refusal is
    told to the payer by SMS, since the USSD screen that started it is gone."""
    intent = PaymentIntent.objects.filter(reference=intent_reference).first()
    if intent is None:
        return
    try:
        check_initiate(intent, callback_url=callback_url_for(intent.provider))
    except PaymentError as exc:
        if exc.code == "provider_unavailable":
            logger.warning("USSD payment %s: provider unavailable, left to the poller", intent)
            return
        account = Account.objects.filter(phone=intent.payer_msisdn).first()
        language = account.language if account else settings.LANGUAGE_CODE
        with translation.override(language):
            text = gettext("Jamana: the payment for %(ref)s could not be made: %(reason)s") % {
                "ref": format_reference(intent.purpose_ref),
                "reason": exc.message,
            }
        with transaction.atomic():
            queue_sms(to=intent.payer_msisdn, body=text, language=language)
