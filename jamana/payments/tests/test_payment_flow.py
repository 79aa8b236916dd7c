"""A request's fee paid by mobile money through the local simulator, for real: callbacks over
loopback HTTP to the live test server, status queries, polling, refunds, and the ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jamana.documents.models import Document
from jamana.notify.models import OutboundMessage
from jamana.payments import ledger
from jamana.payments.actions import (
    PaymentError,
    callback_url_for,
    check_initiate,
    do_create_intent,
    do_poll_pending,
)
from jamana.payments.models import IntentStatus, JournalEntry, PaymentEvent, PaymentIntent, Refund
from jamana.payments.registry import get_provider
from jamana.payments.simulator.behaviour import SimulatorBehaviour
from jamana.payments.simulator.server import run_simulator
from jamana.payments.simulator.testing import wait_until
from jamana.pki.actions import do_trust_init
from jamana.procedures import actions as procedures
from jamana.procedures.models import RequestStatus
from jamana.testing import make_citizen, make_organisation, make_service

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(live_server, settings, tmp_path):
    """A live server to receive callbacks, a PKI for receipts, a citizen with a request."""
    from jamana.payments import registry
    from jamana.pki.keystore import key_store

    # 127.0.0.1, not "localhost": callbacks must not try ::1 first (the server is IPv4 only).
    settings.JAMANA_PUBLIC_URL = live_server.url.replace("localhost", "127.0.0.1")
    settings.JAMANA_KEY_DIR = tmp_path / "keys"
    key_store.cache_clear()
    registry._provider.cache_clear()
    do_trust_init()
    organisation = make_organisation()
    service = make_service(organisation=organisation, fee_xof=500)
    citizen = make_citizen()
    request = procedures.check_submit_request(account=citizen, service_code=service.code)
    yield {"citizen": citizen, "request": request, "organisation": organisation}
    key_store.cache_clear()
    registry._provider.cache_clear()


def _simulator(settings, **behaviour):
    from jamana.payments import registry

    sim = run_simulator(behaviour=SimulatorBehaviour(seed=7, **behaviour))
    settings.PAYMENT_PROVIDERS = {
        "orange_money": vars(sim.orange_config()) | {},
        "moov_money": vars(sim.moov_config()) | {},
        "pispi": vars(sim.pispi_config()) | {},
    }
    registry._provider.cache_clear()
    return sim


def _pay(world, provider: str, attempt: str = "a") -> PaymentIntent:
    request = world["request"]
    intent = do_create_intent(
        purpose_type="request_fee",
        purpose_ref=request.reference,
        beneficiary=world["organisation"],
        amount_xof=request.fee_xof,
        provider=provider,
        idempotency_key=f"test:{attempt}",
        payer=request.applicant,
        payer_msisdn=world["citizen"].phone,
    )
    return check_initiate(intent, callback_url=callback_url_for(provider))


def _settled(intent: PaymentIntent) -> bool:
    intent.refresh_from_db()
    return intent.status == IntentStatus.SUCCEEDED


def _assert_books(beneficiary_code: str, owed: int) -> None:
    assert ledger.is_balanced()
    assert ledger.balance(f"beneficiary:{beneficiary_code}") == -owed


@pytest.mark.parametrize("provider", ["orange_money", "moov_money", "pispi"])
def test_fee_paid_by_mobile_money_moves_the_request_and_issues_a_receipt(world, settings, provider):
    sim = _simulator(settings)
    try:
        intent = _pay(world, provider)
        assert intent.status == IntentStatus.PENDING and intent.provider_reference
        sim.confirm(intent.provider_reference)
        wait_until(lambda: _settled(intent), timeout=30)
        request = world["request"]
        # The request moves and the receipt is issued once the settlement has committed.
        wait_until(lambda: PaymentIntent.objects.get(pk=intent.pk).receipt_number != "", timeout=30)
        request.refresh_from_db()
        assert request.status == RequestStatus.IN_REVIEW
        intent.refresh_from_db()
        receipt = Document.objects.get(number=intent.receipt_number)
        assert receipt.kind == "payment_receipt" and receipt.holder == request.applicant
        _assert_books(world["organisation"].code, 500)
    finally:
        sim.stop()


def test_duplicate_and_out_of_order_callbacks_settle_once(world, settings):
    sim = _simulator(settings, duplicate_callbacks=3, out_of_order_callbacks=True)
    try:
        intent = _pay(world, "moov_money")
        sim.confirm(intent.provider_reference)
        wait_until(lambda: len(sim.deliveries(intent.provider_reference)) >= 4, timeout=30)
        wait_until(lambda: _settled(intent), timeout=30)
        assert PaymentEvent.objects.filter(intent=intent, kind="settled").count() == 1
        assert JournalEntry.objects.filter(intent=intent).count() == 1
        _assert_books(world["organisation"].code, 500)
    finally:
        sim.stop()


def test_lost_callback_is_caught_by_status_polling(world, settings):
    sim = _simulator(settings, lost_callback_rate=1.0)
    try:
        intent = _pay(world, "pispi")
        sim.confirm(intent.provider_reference)
        intent.refresh_from_db()
        assert intent.status == IntentStatus.PENDING
        do_poll_pending(older_than=dt.timedelta(0))
        assert _settled(intent)
        _assert_books(world["organisation"].code, 500)
    finally:
        sim.stop()


def test_callback_before_the_status_shows_success(world, settings):
    sim = _simulator(settings, callback_before_status=True, status_lag_seconds=0.5)
    try:
        intent = _pay(world, "moov_money")
        sim.confirm(intent.provider_reference)
        wait_until(lambda: PaymentEvent.objects.filter(intent=intent, kind="callback").exists())
        wait_until(
            lambda: (do_poll_pending(older_than=dt.timedelta(0)) or True) and _settled(intent),
            timeout=30,
        )
        assert PaymentEvent.objects.filter(intent=intent, kind="settled").count() == 1
    finally:
        sim.stop()


def test_crash_between_provider_and_our_commit_loses_nothing(world, settings):
    """The provider took the order but we crashed before saving its reference: on restart,
    polling initiates again with the same idempotency key and finds the same transaction."""
    sim = _simulator(settings, lost_callback_rate=1.0)
    try:
        request = world["request"]
        intent = do_create_intent(
            purpose_type="request_fee",
            purpose_ref=request.reference,
            beneficiary=world["organisation"],
            amount_xof=500,
            provider="orange_money",
            idempotency_key="test:crash",
            payer=request.applicant,
            payer_msisdn=world["citizen"].phone,
        )
        provider = get_provider("orange_money")
        first = provider.initiate(
            merchant_reference=intent.reference,
            idempotency_key=intent.idempotency_key,
            amount_xof=500,
            payer_msisdn=intent.payer_msisdn,
            callback_url=callback_url_for("orange_money"),
            description="x",
        )  # … and the process dies here, before our transaction commits.
        sim.confirm(first.provider_reference)
        PaymentIntent.objects.filter(pk=intent.pk).update(
            created_at=timezone.now() - dt.timedelta(minutes=1)
        )
        do_poll_pending(older_than=dt.timedelta(0))  # re-initiates: same transaction
        intent.refresh_from_db()
        assert intent.provider_reference == first.provider_reference
        do_poll_pending(older_than=dt.timedelta(0))  # queries: paid
        assert _settled(intent)
        assert len(sim.intents()) == 1
        _assert_books(world["organisation"].code, 500)
    finally:
        sim.stop()


def test_paid_twice_is_refunded_exactly_once_and_the_citizen_is_told(world, settings):
    sim = _simulator(settings)
    try:
        first = _pay(world, "orange_money", attempt="1")
        second = _pay(world, "moov_money", attempt="2")
        sim.confirm(first.provider_reference)
        wait_until(lambda: _settled(first), timeout=30)
        sim.confirm(second.provider_reference)
        wait_until(lambda: Refund.objects.filter(status="succeeded").exists(), timeout=30)
        do_poll_pending(older_than=dt.timedelta(0))  # a retry must not refund again
        refund = Refund.objects.get()
        assert refund.intent_id == second.pk and refund.amount_xof == 500
        second.refresh_from_db()
        assert second.duplicate_of_id == first.pk
        # The simulated provider really paid the second amount back, and only that.
        assert sim.intent(second.provider_reference)["refunded_xof"] == 500
        assert sim.intent(first.provider_reference)["refunded_xof"] == 0
        _assert_books(world["organisation"].code, 500)
        assert OutboundMessage.objects.filter(
            recipient=world["citizen"].phone, body__contains="500"
        ).exists()
    finally:
        sim.stop()


def test_forged_callback_is_refused_and_changes_nothing(world, settings, client):
    sim = _simulator(settings)
    try:
        intent = _pay(world, "moov_money")
        body = (
            b'{"transactionId": "%s", "status": "SUCCESSFUL", "amount": 500}'
            % intent.provider_reference.encode()
        )
        response = client.post(
            "/payments/callback/moov_money",
            body,
            content_type="application/json",
            HTTP_X_MOOV_TIMESTAMP=str(int(timezone.now().timestamp())),
            HTTP_X_MOOV_SIGNATURE="sha256=" + "0" * 64,
        )
        assert response.status_code == 401
        intent.refresh_from_db()
        assert intent.status == IntentStatus.PENDING
        assert not JournalEntry.objects.exists()
    finally:
        sim.stop()


def test_idempotency_key_returns_the_same_intent(world, settings):
    sim = _simulator(settings)
    try:
        one = _pay(world, "pispi", attempt="same")
        two = _pay(world, "pispi", attempt="same")
        assert one.pk == two.pk and PaymentIntent.objects.count() == 1
        assert len(sim.intents()) == 1
        with pytest.raises(PaymentError):
            do_create_intent(
                purpose_type="request_fee",
                purpose_ref="OTHER",
                beneficiary=world["organisation"],
                amount_xof=999,
                provider="pispi",
                idempotency_key="test:same",
            )
    finally:
        sim.stop()


def test_failed_payment_is_clear_to_the_payer(world, settings):
    sim = _simulator(settings)
    try:
        intent = _pay(world, "moov_money")
        sim.confirm(intent.provider_reference, "insufficient_funds")
        wait_until(lambda: PaymentIntent.objects.get(pk=intent.pk).status == "failed", timeout=30)
        request = world["request"]
        request.refresh_from_db()
        assert request.status == RequestStatus.AWAITING_PAYMENT
        assert ledger.is_balanced() and not JournalEntry.objects.exists()
    finally:
        sim.stop()


def test_citizen_pays_from_the_request_page(world, settings, client):
    sim = _simulator(settings)
    try:
        citizen, request = world["citizen"], world["request"]
        client.force_login(citizen, backend="jamana.identity.backends.AccountBackend")
        page = client.get(f"/requests/{request.reference}/").content.decode()
        assert f"/payments/request/{request.reference}/" in page
        form = {"provider": "moov_money", "phone": "76 00 00 01", "attempt": "tab-1"}
        response = client.post(f"/payments/request/{request.reference}/", form)
        again = client.post(f"/payments/request/{request.reference}/", form)  # double click
        assert response.url == again.url
        intent = PaymentIntent.objects.get()
        assert response.url == f"/payments/{intent.reference}/"
        assert 'http-equiv="refresh"' in client.get(response.url).content.decode()
        sim.confirm(intent.provider_reference)
        wait_until(lambda: _settled(intent), timeout=30)
        assert 'http-equiv="refresh"' not in client.get(response.url).content.decode()
    finally:
        sim.stop()


def test_cash_at_the_counter_is_booked_and_receipted(world):
    from jamana.identity.models import Role
    from jamana.testing import make_agent

    agent = make_agent(organisation=world["organisation"], role=Role.COUNTER_AGENT, extra_roles=())
    request = world["request"]
    procedures.check_record_counter_payment(
        agent=agent, reference=request.reference, receipt="Q-2026-1"
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_REVIEW
    intent = PaymentIntent.objects.get(provider="counter")
    assert intent.status == IntentStatus.SUCCEEDED and intent.provider_reference == "Q-2026-1"
    wait_until(lambda: PaymentIntent.objects.get(pk=intent.pk).receipt_number != "")
    _assert_books(world["organisation"].code, 500)


def test_daily_reconciliation_lists_differences_and_books_fees_once(world, settings, client):
    from jamana.payments.models import ReconciliationRun
    from jamana.payments.reconciliation import do_reconcile, totals_per_administration

    sim = _simulator(settings, lost_callback_rate=1.0, fee_basis_points=100)
    try:
        intent = _pay(world, "moov_money")
        sim.confirm(intent.provider_reference)  # paid at the provider, callback lost
        today = timezone.now().date()
        run = do_reconcile("moov_money", today)
        assert [(d.kind, d.provider_reference) for d in run.differences.all()] == [
            ("missing_in_ledger", intent.provider_reference)
        ]
        do_poll_pending(older_than=dt.timedelta(0))  # polling books it
        run = do_reconcile("moov_money", today)
        assert run.differences.count() == 0 and run.matched == 1
        assert run.fees_xof == 5  # 1 % of 500
        do_reconcile("moov_money", today)  # re-running books no fee twice
        assert ledger.balance("fees:moov_money") == 5
        assert ReconciliationRun.objects.count() == 1
        assert ledger.is_balanced()
        assert dict(totals_per_administration())[world["organisation"].code] == 500
    finally:
        sim.stop()


def test_agent_sees_reconciliation_and_totals(world, client):
    from jamana.testing import make_agent

    citizen_only = world["citizen"]
    client.force_login(citizen_only, backend="jamana.identity.backends.AccountBackend")
    assert client.get("/payments/agent/").status_code == 404
    head = make_agent(
        organisation=world["organisation"],
        phone="+22376000031",
        nina="19700101000031F",
    )
    procedures.check_record_counter_payment(
        agent=head, reference=world["request"].reference, receipt="Q-TOTALS-1"
    )
    client.force_login(head, backend="jamana.identity.backends.AccountBackend")
    page = client.get("/payments/agent/")
    assert page.status_code == 200
    html = page.content.decode()
    assert world["organisation"].code in html and "500" in html


def test_callback_that_overtakes_our_commit_is_asked_again(world, settings, client):
    """An authentic callback for a transaction we have not recorded yet gets a 503, so that
    the provider sends it again rather than giving up."""
    import json as _json

    from jamana.payments.providers.moov_money import sign_callback

    sim = _simulator(settings)
    try:
        body = _json.dumps(
            {
                "transactionId": "MV-NOT-YET-SAVED",
                "externalRef": "X",
                "status": "SUCCESS",
                "amount": 500,
                "eventId": "ev-1",
                "occurredAt": "2026-11-28T10:00:00Z",
            }
        ).encode()
        timestamp = str(int(timezone.now().timestamp()))
        secret = settings.PAYMENT_PROVIDERS["moov_money"]["callback_secret"]
        response = client.post(
            "/payments/callback/moov_money",
            body,
            content_type="application/json",
            HTTP_X_MOOV_TIMESTAMP=timestamp,
            HTTP_X_MOOV_SIGNATURE=sign_callback(secret, timestamp, body),
        )
        assert response.status_code == 503, response.content
        assert not PaymentEvent.objects.exists()
        bad = body.replace(b'"SUCCESS"', b'"WHATEVER"')
        response = client.post(
            "/payments/callback/moov_money",
            bad,
            content_type="application/json",
            HTTP_X_MOOV_TIMESTAMP=timestamp,
            HTTP_X_MOOV_SIGNATURE=sign_callback(secret, timestamp, bad),
        )
        assert response.status_code == 400
    finally:
        sim.stop()


def test_cash_refund_is_decided_then_handed_over_once(world, client):
    """A fee paid in cash for a request later refused: the head of service decides the refund,
    the counter agent hands the cash back and records it; the books and the payer agree."""
    from jamana.identity.models import Role
    from jamana.payments.actions import check_refund_payment, do_pay_out_cash_refund
    from jamana.testing import make_agent

    organisation = world["organisation"]
    cashier = make_agent(organisation=organisation, role=Role.COUNTER_AGENT, extra_roles=())
    head = make_agent(
        organisation=organisation, phone="+22376000032", nina="19700101000032H", extra_roles=()
    )
    request = world["request"]
    procedures.check_record_counter_payment(
        agent=cashier, reference=request.reference, receipt="Q-REF-1"
    )
    intent = PaymentIntent.objects.get(provider="counter")

    # Nothing to refund while the request stands; a cashier cannot decide a refund.
    with pytest.raises(PaymentError) as refused:
        check_refund_payment(agent=head, reference=intent.reference, reason="refused")
    assert refused.value.code == "purpose_still_stands"
    procedures.check_take_request(agent=head, reference=request.reference)
    procedures.check_decide_request(
        agent=head, reference=request.reference, grant=False, reason="Pièces manquantes"
    )
    from jamana.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        check_refund_payment(agent=cashier, reference=intent.reference, reason="refused")

    client.force_login(head, backend="jamana.identity.backends.AccountBackend")
    page = client.post(
        "/payments/agent/", {"reference": intent.reference, "reason": "Demande refusée"}
    )
    assert page.status_code == 302
    refund = Refund.objects.get()
    assert (refund.amount_xof, refund.status, refund.reason) == (500, "pending", "decision")
    do_poll_pending(older_than=dt.timedelta(0))  # no provider to call for cash: still pending
    refund.refresh_from_db()
    assert refund.status == "pending"
    again = check_refund_payment(agent=head, reference=intent.reference, reason="twice")
    assert again.pk == refund.pk and Refund.objects.count() == 1
    _assert_books(organisation.code, 500)

    client.force_login(cashier, backend="jamana.identity.backends.AccountBackend")
    page = client.get("/payments/agent/").content.decode()
    assert "Q-REF-1" not in page and intent.reference[:4] in page
    assert client.post(f"/payments/agent/cash-refunds/{refund.pk}/").status_code == 302
    do_pay_out_cash_refund(agent=cashier, refund_id=refund.pk)  # a double click
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert JournalEntry.objects.filter(refund=refund).count() == 1
    _assert_books(organisation.code, 0)
    assert ledger.balance("provider:counter") == 0
    # Told once, on the phone of the person who paid (no phone was typed at the counter).
    assert (
        OutboundMessage.objects.filter(
            recipient=world["citizen"].phone, body__contains="500 FCFA"
        ).count()
        == 1
    )


def test_refund_by_decision_goes_back_through_the_provider(world, settings):
    """A mobile-money payment for a withdrawn request is refunded through the provider."""
    from jamana.payments.actions import check_refund_payment
    from jamana.testing import make_agent

    sim = _simulator(settings)
    try:
        intent = _pay(world, "pispi")
        sim.confirm(intent.provider_reference)
        wait_until(lambda: _settled(intent), timeout=30)
        head = make_agent(organisation=world["organisation"], extra_roles=())
        with pytest.raises(PaymentError):
            check_refund_payment(agent=head, reference="NOPE", reason="x")
        with pytest.raises(PaymentError) as no_reason:
            check_refund_payment(agent=head, reference=intent.reference, reason=" ")
        assert no_reason.value.code == "reason_required"
        procedures.check_take_request(agent=head, reference=world["request"].reference)
        procedures.check_decide_request(
            agent=head, reference=world["request"].reference, grant=False, reason="Hors délai"
        )
        check_refund_payment(agent=head, reference=intent.reference, reason="Demande refusée")
        wait_until(lambda: Refund.objects.filter(status="succeeded").exists(), timeout=30)
        assert sim.intent(intent.provider_reference)["refunded_xof"] == 500
        _assert_books(world["organisation"].code, 0)
        # Deciding again is the same decision, not a second refund.
        check_refund_payment(agent=head, reference=intent.reference, reason="again")
        assert Refund.objects.count() == 1
        assert sim.intent(intent.provider_reference)["refunded_xof"] == 500
    finally:
        sim.stop()
