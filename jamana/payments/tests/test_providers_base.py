"""The shared pieces of the adapters: amount rules, signatures, and the HTTP client's sorting of
failures into transient and permanent."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal

import pytest

from jamana.payments.providers import signing
from jamana.payments.providers.base import (
    ForgedCallback,
    InvalidAmount,
    PaymentStatus,
    PermanentProviderError,
    TransientProviderError,
    check_amount,
    check_idempotency_key,
    header,
    parse_amount,
    parse_timestamp,
)
from jamana.payments.providers.transport import JsonHttpClient, check_base_url
from jamana.payments.simulator import SimulatorBehaviour, run_simulator


@pytest.fixture(scope="module")
def sim():
    with run_simulator(behaviour=SimulatorBehaviour()) as running:
        yield running


@pytest.mark.parametrize("amount", [1, 3_000, 10**12])
def test_positive_whole_amounts_are_accepted(amount):
    assert check_amount(amount) == amount


@pytest.mark.parametrize("amount", [0, -1, 1.0, 2.5, True, Decimal("100"), "100", None])
def test_other_amounts_are_refused_not_rounded(amount):
    with pytest.raises(InvalidAmount):
        check_amount(amount)


@pytest.mark.parametrize("value", ["12.5", "-3", 1.0, -1, None, "١٢"])
def test_provider_amounts_must_be_whole_xof(value):
    with pytest.raises(ValueError):
        parse_amount(value)


def test_provider_amounts_may_be_quoted():
    assert parse_amount("2500") == parse_amount(2500) == 2500


def test_naive_provider_timestamps_are_refused():
    with pytest.raises(ValueError):
        parse_timestamp("2025-11-03T10:00:00")
    assert parse_timestamp("2025-11-03T10:00:00Z") == dt.datetime(2025, 11, 3, 10, tzinfo=dt.UTC)


@pytest.mark.parametrize("key", ["", "with space", "é", "x" * 129])
def test_idempotency_keys_must_travel_in_a_header(key):
    with pytest.raises(ValueError):
        check_idempotency_key(key)


def test_final_statuses():
    assert [s.is_final for s in PaymentStatus] == [False, True, True, True]


def test_signature_timestamps_outside_the_window_are_refused():
    now = dt.datetime(2025, 11, 3, 10, tzinfo=dt.UTC)
    stamp = str(int(now.timestamp()))
    assert signing.check_timestamp(stamp, now=now + dt.timedelta(minutes=4)) == int(stamp)
    for bad in ("", "abc", str(int(now.timestamp()) - 301)):
        with pytest.raises(ForgedCallback):
            signing.check_timestamp(bad, now=now)


def test_signature_comparison_refuses_non_ascii():
    assert not signing.same("abc", "abé")


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1/x", "file:///etc/passwd", "http://pay.example.ml", "https://"],
)
def test_base_urls_are_https_or_loopback_http(url):
    with pytest.raises(ValueError):
        check_base_url(url)


def test_loopback_http_and_https_are_allowed():
    assert check_base_url("http://127.0.0.1:8765/moov/") == "http://127.0.0.1:8765/moov"
    assert check_base_url("http://[::1]:8765") == "http://[::1]:8765"
    assert check_base_url("https://api.orange.com") == "https://api.orange.com"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, TransientProviderError),
        (502, TransientProviderError),
        (503, TransientProviderError),
        (408, TransientProviderError),
        (429, TransientProviderError),
        (400, PermanentProviderError),
        (401, PermanentProviderError),
        (404, PermanentProviderError),
        (409, PermanentProviderError),
        (422, PermanentProviderError),
        (302, PermanentProviderError),  # a payment API that redirects is misconfigured
    ],
)
def test_http_failures_are_sorted_by_whether_a_retry_can_succeed(sim, status, error):
    client = JsonHttpClient(provider="test", base_url=sim.url, timeout_seconds=2)
    sim.fail_next(prefix="/moov/", status=status)
    with pytest.raises(error) as raised:
        client.request("GET", "/moov/v1/payments/X")
    assert raised.value.code == f"http_{status}"
    assert raised.value.http_status == status


def test_an_answer_that_is_not_json_is_transient(sim):
    client = JsonHttpClient(provider="test", base_url=sim.url, timeout_seconds=2)
    with pytest.raises(TransientProviderError) as raised:
        client.request("GET", "/_sim/")  # the HTML phone page
    assert raised.value.code == "not_json"


def test_a_proxy_in_the_environment_does_not_capture_loopback_calls(sim, monkeypatch):
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    client = JsonHttpClient(provider="test", base_url=sim.url, timeout_seconds=2)
    assert client.request("GET", "/_sim/intents").data == []


def test_every_call_is_timed_in_the_log(sim, caplog):
    client = JsonHttpClient(provider="test", base_url=sim.url, timeout_seconds=2)
    with caplog.at_level("INFO", logger="jamana.payments.providers"):
        client.request("GET", "/_sim/intents")
    assert any(
        "test GET /_sim/intents -> 200 in" in record.getMessage() for record in caplog.records
    )


def test_headers_are_case_insensitive_and_a_conflicting_repeat_counts_as_absent():
    assert header({"x-moov-signature": "abc"}, "X-Moov-Signature") == "abc"
    assert header({"X-A": "1", "x-a": "1"}, "x-a") == "1"
    assert header({"X-A": "1", "x-a": "2"}, "X-A") == ""
    assert header({}, "X-A") == ""


def test_adapters_and_simulator_import_no_django():
    code = (
        "import sys\n"
        "import jamana.payments.providers.orange_money, jamana.payments.providers.moov_money\n"
        "import jamana.payments.providers.pispi, jamana.payments.providers.counter\n"
        "import jamana.payments.simulator, jamana.payments.simulator.testing\n"
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))\n"
    )
    # Our own interpreter and a fixed script: no untrusted input.
    finished = subprocess.run([sys.executable, "-c", code], check=False)  # noqa: S603
    assert finished.returncode == 0
