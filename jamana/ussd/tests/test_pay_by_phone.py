"""Menu 3: pay a pending fee by mobile money, one payment even when the gateway retries."""

from __future__ import annotations

import pytest

from jamana.core.references import format_reference
from jamana.payments.models import IntentStatus, PaymentIntent
from jamana.procedures.actions import check_submit_request
from jamana.ussd.tests.conftest import PIN

pytestmark = pytest.mark.django_db


@pytest.fixture
def to_pay(with_pin, service):
    return check_submit_request(account=with_pin, service_code=service.code)


def test_pay_lists_my_requests_awaiting_payment(phone, to_pay, other_citizen, service):
    theirs = check_submit_request(account=other_citizen, service_code=service.code)
    reply = phone.walk("3", PIN)
    assert reply.startswith("CON ")
    assert "\n1 Test extract 500\u00a0FCFA\n" in reply
    assert "\n2 " not in reply  # not the other person's
    reply = phone.send("1")
    assert format_reference(to_pay.reference) in reply
    assert format_reference(theirs.reference) not in reply


def test_paying_creates_one_intent_for_my_phone_and_ends(
    phone, to_pay, django_capture_on_commit_callbacks
):
    phone.walk("3", PIN)
    reply = phone.send("1")
    assert reply.startswith("CON ") and "Orange Money" in reply and "Moov Money" in reply
    with django_capture_on_commit_callbacks() as callbacks:
        reply = phone.send("2")
    assert reply.startswith("END ") and "Confirm it on your phone" in reply
    intent = PaymentIntent.objects.get()
    assert (intent.purpose_type, intent.purpose_ref) == ("request_fee", to_pay.reference)
    assert (intent.provider, intent.amount_xof) == ("moov_money", 500)
    assert intent.payer_msisdn == to_pay.submitted_by.phone
    assert intent.payer == to_pay.applicant
    assert intent.idempotency_key == f"ussd:{phone.session_id}:{to_pay.reference}"
    assert intent.status == IntentStatus.CREATED
    assert len(callbacks) == 1  # the provider is asked once the reply is committed


def test_a_retried_payment_call_creates_one_intent(phone, to_pay):
    phone.walk("3", PIN, "1")
    first = phone.send("1")
    for _ in range(3):
        assert phone.post(phone.text).content.decode() == first
    assert PaymentIntent.objects.count() == 1


def test_paying_again_in_the_same_session_reuses_the_intent(phone, to_pay):
    """Even if the gateway lost our END and the person got back to the same choice."""
    from jamana.payments.actions import do_create_intent

    phone.walk("3", PIN, "1", "1")
    intent = PaymentIntent.objects.get()
    again = do_create_intent(
        purpose_type="request_fee",
        purpose_ref=to_pay.reference,
        beneficiary=to_pay.organisation,
        amount_xof=500,
        provider="orange_money",
        idempotency_key=f"ussd:{phone.session_id}:{to_pay.reference}",
    )
    assert again == intent


def test_invalid_request_and_provider_choices_are_asked_again(phone, to_pay):
    phone.walk("3", PIN)
    assert "Invalid choice." in phone.send("4")
    assert "Invalid choice." in phone.send("x")
    phone.send("1")
    reply = phone.send("9")
    assert reply.startswith("CON ") and "Invalid choice." in reply and "Orange Money" in reply
    assert not PaymentIntent.objects.exists()


def test_nothing_to_pay(phone, with_pin):
    assert "no request awaiting payment" in phone.walk("3", PIN)


def test_a_request_paid_meanwhile_is_not_charged_again(phone, to_pay, agent):
    from jamana.procedures.actions import check_record_counter_payment

    phone.walk("3", PIN, "1")
    check_record_counter_payment(agent=agent, reference=to_pay.reference, receipt="R-1")
    reply = phone.send("1")
    assert reply.startswith("END ") and "nothing left to pay" in reply
    assert not PaymentIntent.objects.exclude(provider="counter").exists()


def test_with_one_provider_the_payment_starts_at_once(phone, to_pay, settings):
    settings.PAYMENT_PROVIDERS = {"pispi": settings.PAYMENT_PROVIDERS["pispi"]}
    reply = phone.walk("3", PIN, "1")
    assert reply.startswith("END ") and "Confirm it on your phone" in reply
    assert PaymentIntent.objects.get().provider == "pispi"


def test_without_mobile_money_the_person_is_sent_to_a_counter(phone, to_pay, settings):
    settings.PAYMENT_PROVIDERS = {}
    reply = phone.walk("3", PIN, "1")
    assert reply.startswith("END ") and "counter" in reply
