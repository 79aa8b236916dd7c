"""The payment chosen on USSD reaches the provider after the reply (the payments simulator
on loopback), and a refusal reaches the payer by SMS."""

from __future__ import annotations

import pytest

from jamana.notify.models import OutboundMessage
from jamana.payments.models import IntentStatus, PaymentIntent
from jamana.payments.simulator.behaviour import SimulatorBehaviour
from jamana.payments.simulator.server import run_simulator
from jamana.procedures.actions import check_submit_request
from jamana.ussd.tests.conftest import PIN

pytestmark = pytest.mark.django_db


@pytest.fixture
def simulator(settings):
    from jamana.payments import registry

    sim = run_simulator(behaviour=SimulatorBehaviour(seed=7))
    settings.PAYMENT_PROVIDERS = {
        "orange_money": vars(sim.orange_config()),
        "moov_money": vars(sim.moov_config()),
        "pispi": vars(sim.pispi_config()),
    }
    registry._provider.cache_clear()
    yield sim
    sim.stop()
    registry._provider.cache_clear()


def test_the_provider_is_asked_once_the_reply_is_committed(
    phone, with_pin, service, simulator, django_capture_on_commit_callbacks
):
    request = check_submit_request(account=with_pin, service_code=service.code)
    phone.walk("3", PIN, "1")
    with django_capture_on_commit_callbacks(execute=True):
        assert phone.send("2").startswith("END ")
    intent = PaymentIntent.objects.get()
    assert intent.status == IntentStatus.PENDING and intent.provider_reference
    # The phone of the caller is asked for the fee (the simulator plays the operator).
    described = simulator.intent(intent.provider_reference)
    assert described["amount_xof"] == request.fee_xof
    assert described["payer_msisdn"] == with_pin.phone
    assert described["provider"] == "moov"


def test_a_refused_payment_is_told_by_sms(
    phone, with_pin, service, simulator, django_capture_on_commit_callbacks
):
    check_submit_request(account=with_pin, service_code=service.code)
    phone.walk("3", PIN, "1")
    simulator.fail_next(prefix="/moov", status=400, count=5)
    with django_capture_on_commit_callbacks(execute=True):
        phone.send("2")
    assert PaymentIntent.objects.get().status == IntentStatus.FAILED
    sms = OutboundMessage.objects.filter(recipient=with_pin.phone).order_by("-pk").first()
    assert "could not be made" in sms.body


def test_a_provider_that_does_not_answer_is_left_to_the_poller(
    phone, with_pin, service, simulator, django_capture_on_commit_callbacks
):
    check_submit_request(account=with_pin, service_code=service.code)
    phone.walk("3", PIN, "1")
    simulator.fail_next(prefix="/moov", status=503, count=20)
    before = OutboundMessage.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        phone.send("2")
    assert PaymentIntent.objects.get().status == IntentStatus.CREATED
    assert OutboundMessage.objects.count() == before
