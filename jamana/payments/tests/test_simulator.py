"""The provider simulator's behaviours: what tests and ``make run`` rely on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from jamana.payments.providers.base import PaymentStatus, TransientProviderError
from jamana.payments.providers.moov_money import MoovMoneyProvider
from jamana.payments.providers.orange_money import (
    InMemoryOrangeTransactionStore,
    OrangeMoneyProvider,
)
from jamana.payments.providers.pispi import PispiProvider
from jamana.payments.simulator import Outcome, SimError, SimulatorBehaviour, run_simulator
from jamana.payments.simulator.testing import CallbackReceiver, wait_until

CITIZEN = "+22370000001"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture
def receiver():
    with CallbackReceiver() as running:
        yield running


def _moov_pay(sim, receiver, *, key="k-1", amount=2_000, payer=CITIZEN):
    moov = MoovMoneyProvider(sim.moov_config())
    started = moov.initiate(
        merchant_reference=f"JAM-{key}",
        idempotency_key=key,
        amount_xof=amount,
        payer_msisdn=payer,
        callback_url=receiver.callback_url(),
        description="Acte de naissance <copie>",
    )
    return moov, started


def _http(method, url, *, data=None, headers=None):
    headers = {"Content-Type": "application/json", **(headers or {})}
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 (loopback URLs of the test)
    try:
        with _OPENER.open(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _sim_threads():
    return [t for t in threading.enumerate() if t.name.startswith("sim-")]


def test_payer_confirms_by_themselves_after_the_configured_delay(receiver):
    behaviour = SimulatorBehaviour(confirm_after_seconds=0.1)
    with run_simulator(behaviour=behaviour) as sim:
        moov, _ = _moov_pay(sim, receiver)
        (callback,) = receiver.wait_for(1)
        assert moov.parse_callback(headers=callback.headers, body=callback.body).status is (
            PaymentStatus.SUCCEEDED
        )
        assert sim.balance(CITIZEN) == 1_000_000 - 2_000


def test_failure_rate_one_makes_every_automatic_confirmation_fail(receiver):
    behaviour = SimulatorBehaviour(confirm_after_seconds=0, failure_rate=1.0)
    with run_simulator(behaviour=behaviour) as sim:
        moov, started = _moov_pay(sim, receiver)
        receiver.wait_for(1)
        assert moov.query(started.provider_reference).status is PaymentStatus.FAILED


def test_a_payer_without_enough_money_fails_for_insufficient_funds(receiver):
    behaviour = SimulatorBehaviour(balances={CITIZEN: 1_500})
    with run_simulator(behaviour=behaviour) as sim:
        moov, started = _moov_pay(sim, receiver, amount=2_000)
        sim.confirm(started.provider_reference)
        status = moov.query(started.provider_reference)
        assert (status.status, status.failure_reason) == (
            PaymentStatus.FAILED,
            "insufficient_funds",
        )
        assert sim.balance(CITIZEN) == 1_500


def test_same_seed_same_references_and_fates_other_seed_other_references(receiver):
    def run(seed):
        behaviour = SimulatorBehaviour(seed=seed, failure_rate=0.5, lost_callback_rate=0.5)
        with run_simulator(behaviour=behaviour) as sim:
            refs = []
            for n in range(8):
                _, started = _moov_pay(sim, receiver, key=f"k-{n}")
                refs.append(started.provider_reference)
            fates = [(i["reference"], i["status"]) for i in sim.intents()]
            internals = sim._sim.bank.all()
            return refs, fates, [(i.fails, i.callbacks_lost) for i in internals]

    first, second, other = run(42), run(42), run(43)
    assert first == second
    assert set(first[0]).isdisjoint(other[0])
    assert {fate for fate in first[2]} != {(False, False)}  # the rates do draw both ways


def test_a_lost_callback_is_never_sent_and_polling_still_finds_the_payment(receiver):
    with run_simulator(behaviour=SimulatorBehaviour(lost_callback_rate=1.0)) as sim:
        moov, started = _moov_pay(sim, receiver)
        sim.confirm(started.provider_reference)
        with pytest.raises(TimeoutError):
            receiver.wait_for(1, timeout=0.3)
        assert [d.outcome for d in sim.deliveries()] == ["lost"]
        assert moov.query(started.provider_reference).status is PaymentStatus.SUCCEEDED


def test_callback_can_arrive_before_the_status_query_shows_success(receiver):
    behaviour = SimulatorBehaviour(callback_before_status=True, status_lag_seconds=0.5)
    with run_simulator(behaviour=behaviour) as sim:
        moov, started = _moov_pay(sim, receiver)
        sim.confirm(started.provider_reference)
        (callback,) = receiver.wait_for(1)
        assert moov.parse_callback(headers=callback.headers, body=callback.body).status is (
            PaymentStatus.SUCCEEDED
        )
        assert moov.query(started.provider_reference).status is PaymentStatus.PENDING
        wait_until(lambda: moov.query(started.provider_reference).status is PaymentStatus.SUCCEEDED)


def test_callback_delay_holds_the_callback_back(receiver):
    with run_simulator(behaviour=SimulatorBehaviour(callback_delay_seconds=0.4)) as sim:
        _, started = _moov_pay(sim, receiver)
        sim.confirm(started.provider_reference)
        with pytest.raises(TimeoutError):
            receiver.wait_for(1, timeout=0.2)
        receiver.wait_for(1, timeout=2)


@pytest.mark.parametrize("provider", ["orange", "moov", "pispi"])
def test_duplicates_repeat_the_final_callback_and_out_of_order_sends_the_stale_one_last(
    receiver, provider
):
    behaviour = SimulatorBehaviour(duplicate_callbacks=1, out_of_order_callbacks=True)
    with run_simulator(behaviour=behaviour) as sim:
        adapter = {
            "orange": lambda: OrangeMoneyProvider(
                sim.orange_config(), store=InMemoryOrangeTransactionStore()
            ),
            "moov": lambda: MoovMoneyProvider(sim.moov_config()),
            "pispi": lambda: PispiProvider(sim.pispi_config()),
        }[provider]()
        started = adapter.initiate(
            merchant_reference="JAM-1",
            idempotency_key="k",
            amount_xof=700,
            payer_msisdn=CITIZEN,
            callback_url=receiver.callback_url(),
            description="",
        )
        sim.confirm(started.provider_reference)
        callbacks = receiver.wait_for(3)
        events = [adapter.parse_callback(headers=c.headers, body=c.body) for c in callbacks]
    assert [e.status for e in events] == [
        PaymentStatus.SUCCEEDED,
        PaymentStatus.SUCCEEDED,
        PaymentStatus.PENDING,
    ]
    assert events[0].event_id == events[1].event_id != events[2].event_id
    assert events[2].occurred_at <= events[0].occurred_at


def test_a_refused_callback_is_retried_then_given_up():
    behaviour = SimulatorBehaviour(callback_retries=2, callback_retry_seconds=0.05)
    with CallbackReceiver(status=500) as receiver, run_simulator(behaviour=behaviour) as sim:
        _, started = _moov_pay(sim, receiver)
        sim.confirm(started.provider_reference)
        receiver.wait_for(3)
        wait_until(lambda: len(sim.deliveries()) == 3)
        assert [(d.attempt, d.outcome, d.http_status) for d in sim.deliveries()] == [
            (1, "failed", 500),
            (2, "failed", 500),
            (3, "failed", 500),
        ]


def test_an_unanswered_request_expires_with_a_callback(receiver):
    with run_simulator(behaviour=SimulatorBehaviour(intent_ttl_seconds=0.2)) as sim:
        moov, started = _moov_pay(sim, receiver)
        (callback,) = receiver.wait_for(1)
        assert json.loads(callback.body)["status"] == "EXPIRED"
        assert moov.query(started.provider_reference).status is PaymentStatus.EXPIRED
        with pytest.raises(SimError):
            sim.confirm(started.provider_reference)  # too late for the payer


def test_confirm_endpoint_takes_each_outcome_once(receiver):
    with run_simulator(behaviour=SimulatorBehaviour()) as sim:
        _, started = _moov_pay(sim, receiver)
        url = f"{sim.url}/_sim/confirm/{started.provider_reference}"
        body = json.dumps({"outcome": "insufficient_funds"}).encode()
        status, answer = _http("POST", url, data=body)
        assert status == 200
        assert json.loads(answer)["failure_reason"] == "insufficient_funds"
        assert _http("POST", url, data=body)[0] == 409
        assert _http("POST", f"{sim.url}/_sim/confirm/NOPE", data=body)[0] == 404
        bad = json.dumps({"outcome": "maybe"}).encode()
        assert _http("POST", url, data=bad)[0] == 400


def test_the_phone_page_lists_requests_and_answers_them(receiver):
    with run_simulator(behaviour=SimulatorBehaviour()) as sim:
        _, started = _moov_pay(sim, receiver)
        status, page = _http("GET", f"{sim.url}/_sim/")
        assert status == 200
        assert started.provider_reference.encode() in page
        assert b"Acte de naissance &lt;copie&gt;" in page  # escaped
        form = f"outcome={Outcome.SUCCESS.value}".encode()
        request = urllib.request.Request(  # noqa: S310 (loopback URL of the test)
            f"{sim.url}/_sim/confirm/{started.provider_reference}",
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        with _OPENER.open(request, timeout=5) as response:  # follows the 303 to the page
            assert response.status == 200
        assert sim.intent(started.provider_reference)["status"] == "succeeded"


def test_fail_next_endpoint_and_error_rate_make_the_api_unavailable(receiver):
    with run_simulator(behaviour=SimulatorBehaviour()) as sim:
        fault = json.dumps({"prefix": "/moov/", "status": 503, "count": 1}).encode()
        assert _http("POST", f"{sim.url}/_sim/fail-next", data=fault)[0] == 200
        with pytest.raises(TransientProviderError):
            _moov_pay(sim, receiver)
        _moov_pay(sim, receiver)
    with run_simulator(behaviour=SimulatorBehaviour(error_rate=1.0)) as sim:
        with pytest.raises(TransientProviderError):
            _moov_pay(sim, receiver)
        assert _http("GET", f"{sim.url}/_sim/intents") == (200, b"[]")


def test_the_simulator_listens_and_calls_back_on_loopback_only(receiver):
    with pytest.raises(ValueError, match="loopback"):
        run_simulator("0.0.0.0", behaviour=SimulatorBehaviour())  # noqa: S104 (refused)
    with run_simulator(behaviour=SimulatorBehaviour()) as sim:
        moov = MoovMoneyProvider(sim.moov_config())
        with pytest.raises(Exception) as refused:
            moov.initiate(
                merchant_reference="JAM-1",
                idempotency_key="k",
                amount_xof=100,
                payer_msisdn=CITIZEN,
                callback_url="http://example.org/callback",
                description="",
            )
        assert getattr(refused.value, "http_status", None) == 400


def test_requests_are_served_by_a_bounded_pool_and_stop_releases_every_thread(receiver):
    before = set(_sim_threads())
    sim = run_simulator(behaviour=SimulatorBehaviour(max_workers=3, callback_workers=2))
    url = f"{sim.url}/_sim/intents"
    peak = 0

    def call(_):
        nonlocal peak
        peak = max(peak, len([t for t in _sim_threads() if t.name.startswith("sim-http")]))
        return _http("GET", url)[0]

    with ThreadPoolExecutor(max_workers=20) as clients:
        statuses = list(clients.map(call, range(60)))
    assert set(statuses) == {200}
    assert peak <= 3
    sim.stop()
    sim.stop()  # idempotent
    assert set(_sim_threads()) <= before
    with pytest.raises(OSError):
        _OPENER.open(url, timeout=1)


def test_command_line_serves_until_terminated():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "jamana.payments.simulator", "--port", "0", "--seed", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        banner = process.stdout.readline()
        assert banner.startswith("Payment simulator on http://127.0.0.1:")
        url = banner.split()[3]
        assert _http("GET", f"{url}/_sim/intents") == (200, b"[]")
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=10)
        assert process.returncode == 0
        assert "stopped" in out
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize(
    "bad",
    [
        {"failure_rate": 1.5},
        {"error_rate": -0.1},
        {"duplicate_callbacks": -1},
        {"intent_ttl_seconds": 0},
        {"max_workers": 0},
    ],
)
def test_nonsense_behaviour_is_refused(bad):
    with pytest.raises(ValueError):
        SimulatorBehaviour(**bad)
