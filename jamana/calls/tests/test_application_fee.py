"""The application fee paid by mobile money through the local simulator, for real (callbacks
over loopback to the live test server): signing waits for the fee; a second payment of the
same fee is refunded; a withdrawn application's fee may be refunded by decision."""

from __future__ import annotations

import pytest

from jamana.calls import actions
from jamana.calls.models import Application
from jamana.calls.tests.conftest import (
    make_applicant,
    make_calls_officer,
    make_recruiting_body,
    register_birth,
)
from jamana.payments.actions import callback_url_for, check_initiate, do_create_intent
from jamana.payments.models import IntentStatus, PaymentIntent
from jamana.payments.simulator.behaviour import SimulatorBehaviour
from jamana.payments.simulator.server import run_simulator
from jamana.payments.simulator.testing import wait_until
from jamana.testing import make_call

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(live_server, settings, tmp_path):
    from jamana.justice.tests.conftest import make_courts
    from jamana.payments import registry
    from jamana.pki.actions import do_trust_init
    from jamana.pki.keystore import key_store

    settings.JAMANA_PUBLIC_URL = live_server.url.replace("localhost", "127.0.0.1")
    settings.JAMANA_KEY_DIR = tmp_path / "keys"
    key_store.cache_clear()
    registry._provider.cache_clear()
    do_trust_init()
    make_courts()
    body = make_recruiting_body()
    officer = make_calls_officer(body)
    call = make_call(
        organisation=body,
        agent=officer,
        fee_xof=2000,
        required_documents=["birth_act", "criminal_record_b3"],
        nationality_required=False,
    )
    applicant = make_applicant(
        phone="+22376100009",
        nina="19990101000109C",
        given_names="Kadidia",
        family_name="Coulibaly",
        sex="F",
        birth_date=__import__("datetime").date(1999, 1, 1),
    )
    register_birth(applicant, number=109)
    sim = run_simulator(behaviour=SimulatorBehaviour(seed=3))
    settings.PAYMENT_PROVIDERS = {"orange_money": vars(sim.orange_config())}
    registry._provider.cache_clear()
    yield {"call": call, "applicant": applicant, "sim": sim}
    sim.stop()
    key_store.cache_clear()
    registry._provider.cache_clear()


def _pay(world, application: Application, attempt: str) -> PaymentIntent:
    intent = do_create_intent(
        purpose_type="call_fee",
        purpose_ref=application.reference,
        beneficiary=world["call"].organisation,
        amount_xof=2000,
        provider="orange_money",
        idempotency_key=f"test:{attempt}",
        payer=application.person,
        payer_msisdn=world["applicant"].phone,
    )
    intent = check_initiate(intent, callback_url=callback_url_for("orange_money"))
    world["sim"].confirm(intent.provider_reference)
    wait_until(
        lambda: PaymentIntent.objects.get(pk=intent.pk).status != IntentStatus.PENDING, timeout=30
    )
    intent.refresh_from_db()
    return intent


def test_signing_waits_for_the_fee_and_a_second_payment_is_refunded(world):
    applicant = world["applicant"]
    application = actions.check_start_application(
        account=applicant, call=world["call"], post_code="ADM"
    )
    actions.check_consent_and_fetch(account=applicant, reference=application.reference)
    actions.check_update_application(
        account=applicant, reference=application.reference, diploma_level="licence"
    )
    application.refresh_from_db()
    problems = [p.code for p in actions.readiness_problems(application)]
    assert problems == ["fee_unpaid"]
    first = _pay(world, application, "a")
    wait_until(
        lambda: Application.objects.get(pk=application.pk).fee_paid_at is not None, timeout=30
    )
    application.refresh_from_db()
    assert application.payment_reference == first.reference
    assert actions.readiness_problems(application) == []
    # Paying again by mistake: refunded, never kept twice.
    second = _pay(world, application, "b")
    wait_until(lambda: second.refunds.exists(), timeout=30)
    application.refresh_from_db()
    assert application.payment_reference == first.reference
