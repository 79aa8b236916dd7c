"""Paying an assessment by mobile money through the local simulator, for real: partial and
full payments, an amount no longer due refunded, the ledger balanced, and the citizen's pages."""

from __future__ import annotations

import datetime as dt

import pytest

from jamana.documents.models import Document
from jamana.payments import ledger
from jamana.payments.models import IntentStatus, PaymentIntent, Refund
from jamana.payments.simulator.behaviour import SimulatorBehaviour
from jamana.payments.simulator.server import run_simulator
from jamana.payments.simulator.testing import wait_until
from jamana.pki.actions import do_trust_init
from jamana.tax.actions import check_assess, check_pay_assessment, do_cancel_assessment
from jamana.tax.models import Assessment, AssessmentStatus

pytestmark = pytest.mark.django_db(transaction=True)
OFFICE = "ML-DGI-CI-BKO-C3"


@pytest.fixture
def world(live_server, settings, tmp_path, taxpayer, tax_officer, citizen):
    """A live server for callbacks, a PKI for receipts, a TDRL of 3 000 to pay."""
    from jamana.payments import registry
    from jamana.pki.keystore import key_store

    # 127.0.0.1, not "localhost": callbacks must not try ::1 first (the server is IPv4 only).
    settings.JAMANA_PUBLIC_URL = live_server.url.replace("localhost", "127.0.0.1")
    settings.JAMANA_KEY_DIR = tmp_path / "keys"
    key_store.cache_clear()
    registry._provider.cache_clear()
    do_trust_init()
    sim = run_simulator(behaviour=SimulatorBehaviour(seed=11))
    settings.PAYMENT_PROVIDERS = {
        "orange_money": vars(sim.orange_config()) | {},
        "moov_money": vars(sim.moov_config()) | {},
        "pispi": vars(sim.pispi_config()) | {},
    }
    registry._provider.cache_clear()
    assessment = check_assess(
        taxpayer, "tdrl", 2025, agent=tax_officer, due_date=dt.date(2099, 12, 31)
    )
    yield {"sim": sim, "citizen": citizen, "assessment": assessment}
    sim.stop()
    key_store.cache_clear()
    registry._provider.cache_clear()


def _pay(world, amount: int, provider: str, attempt: str) -> PaymentIntent:
    return check_pay_assessment(
        account=world["citizen"],
        number=world["assessment"].number,
        amount_xof=amount,
        provider=provider,
        phone=world["citizen"].phone,
        attempt=attempt,
    )


def _paid(world) -> int:
    return Assessment.objects.get(pk=world["assessment"].pk).paid_xof


def test_partial_then_full_payment_settles_the_assessment(world):
    sim = world["sim"]
    first = _pay(world, 1000, "orange_money", "part-1")
    assert first.purpose_type == "tax_assessment"
    assert first.purpose_ref.startswith(world["assessment"].number)
    assert first.beneficiary.code == OFFICE
    sim.confirm(first.provider_reference)
    wait_until(lambda: _paid(world) == 1000, timeout=30)
    assert Assessment.objects.get(pk=world["assessment"].pk).status == AssessmentStatus.OPEN

    second = _pay(world, 2000, "moov_money", "part-2")
    sim.confirm(second.provider_reference)
    wait_until(lambda: _paid(world) == 3000, timeout=30)
    assessment = Assessment.objects.get(pk=world["assessment"].pk)
    assert assessment.status == AssessmentStatus.PAID and assessment.remaining_xof == 0
    wait_until(
        lambda: all(p.receipt_number for p in PaymentIntent.objects.filter(status="succeeded")),
        timeout=30,
    )
    assert Document.objects.filter(kind="payment_receipt").count() == 2
    assert not Refund.objects.exists()
    assert ledger.is_balanced()
    assert ledger.balance(f"beneficiary:{OFFICE}") == -3000


def test_an_amount_no_longer_due_is_refunded(world):
    sim = world["sim"]
    # Two tabs, each paying 2 000 of the 3 000: the second would overpay.
    one = _pay(world, 2000, "pispi", "tab-1")
    two = _pay(world, 2000, "moov_money", "tab-2")
    sim.confirm(one.provider_reference)
    wait_until(lambda: _paid(world) == 2000, timeout=30)
    sim.confirm(two.provider_reference)
    wait_until(lambda: Refund.objects.filter(status="succeeded").exists(), timeout=30)
    refund = Refund.objects.get()
    assert refund.intent_id == two.pk and refund.amount_xof == 2000
    assert sim.intent(two.provider_reference)["refunded_xof"] == 2000
    assert _paid(world) == 2000
    assert ledger.is_balanced()
    assert ledger.balance(f"beneficiary:{OFFICE}") == -2000


def test_payment_of_a_cancelled_assessment_is_refunded(world, tax_officer):
    sim = world["sim"]
    intent = _pay(world, 3000, "orange_money", "late")
    do_cancel_assessment(agent=tax_officer, number=world["assessment"].number, reason="Error")
    sim.confirm(intent.provider_reference)
    wait_until(lambda: Refund.objects.filter(status="succeeded").exists(), timeout=30)
    assert _paid(world) == 0
    assert ledger.is_balanced() and ledger.balance(f"beneficiary:{OFFICE}") == 0


def test_citizen_sees_what_they_owe_and_pays_from_my_taxes(world, client):
    client.force_login(world["citizen"], backend="jamana.identity.backends.AccountBackend")
    number = world["assessment"].number
    page = client.get("/tax/").content.decode()
    assert f"/tax/assessments/{number}/pay/" in page
    assert "3\u202f000" in page  # remaining amount
    pay_url = f"/tax/assessments/{number}/pay/"
    form = client.get(pay_url).content.decode()
    assert 'value="3000"' in form  # the remaining amount by default
    too_much = {"amount_xof": "3001", "provider": "moov_money", "phone": "76000001", "attempt": "t"}
    assert client.post(pay_url, too_much).status_code == 200
    assert not PaymentIntent.objects.exists()
    fraction = {**too_much, "amount_xof": "1500.5"}
    assert client.post(pay_url, fraction).status_code == 200
    bad_phone = {**too_much, "amount_xof": "1000", "phone": "12"}
    refused = client.post(pay_url, bad_phone)
    assert refused.status_code == 200 and 'id="id_phone"' in refused.content.decode()
    assert refused.context["form"].errors["phone"]
    assert not PaymentIntent.objects.exists()
    ok = {**too_much, "amount_xof": "1000"}
    response = client.post(pay_url, ok)
    again = client.post(pay_url, ok)  # double click
    intent = PaymentIntent.objects.get()
    assert response.url == again.url == f"/payments/{intent.reference}/"
    assert intent.amount_xof == 1000 and intent.status == IntentStatus.PENDING
    world["sim"].confirm(intent.provider_reference)
    wait_until(lambda: _paid(world) == 1000, timeout=30)
    page = client.get("/tax/").content.decode()
    assert "2\u202f000" in page


def test_someone_elses_assessment_is_not_found(world, client, other_citizen):
    client.force_login(other_citizen, backend="jamana.identity.backends.AccountBackend")
    number = world["assessment"].number
    assert client.get(f"/tax/assessments/{number}/pay/").status_code == 404
