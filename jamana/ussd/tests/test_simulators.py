"""The development page and the command-line simulator walk the menus through the same
handler as the gateway, and show the SMS sent to the number."""

from __future__ import annotations

import html
import io
import re

import pytest
from django.core.management import call_command

from jamana.notify.models import OutboundMessage
from jamana.procedures.actions import check_submit_request
from jamana.ussd.models import UssdSession
from jamana.ussd.tests.conftest import PIN

pytestmark = pytest.mark.django_db


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    return match.group(1) if match else ""


def test_dev_page_is_absent_when_the_dev_inbox_is_off(client, settings):
    settings.SMS_DEV_INBOX = False
    settings.DEBUG = False
    assert client.get("/dev/ussd/").status_code == 404


def test_dev_page_walks_the_menus_and_shows_the_sms(client, citizen, service, with_pin):
    from jamana.identity.actions import do_set_language

    do_set_language(citizen, "en")
    request = check_submit_request(account=citizen, service_code=service.code)
    # The page around the phone in English too (its own language comes from the browser).
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/dev/ussd/").content.decode()
    assert "+22370000001" in page  # the demo citizen by default
    page = client.post("/dev/ussd/", {"phone": citizen.phone, "dial": ""}).content.decode()
    assert "1 Check a request" in page
    for value in ("1", PIN, request.reference):
        page = client.post(
            "/dev/ussd/",
            {
                "phone": citizen.phone,
                "session_id": _hidden(page, "session_id"),
                "text": _hidden(page, "text"),
                "value": value,
                "send": "",
            },
        ).content.decode()
    assert "Awaiting payment" in page and "session closed" in page
    session = UssdSession.objects.get()
    assert session.last_text == f"1*{PIN}*{request.reference}"
    # The SMS sent to this number (the PIN being set, the request's fee) are listed.
    sent = OutboundMessage.objects.filter(recipient=citizen.phone)
    assert sent.count() == 2
    for sms in sent:
        assert html.escape(sms.body) in page


def test_command_line_simulator(citizen, with_pin, monkeypatch):
    from jamana.identity.actions import do_set_language

    do_set_language(citizen, "en")
    monkeypatch.setattr("sys.stdin", io.StringIO(f"2\n{PIN}\n"))
    out = io.StringIO()
    call_command("ussd_simulator", "--phone", citizen.phone.removeprefix("+"), stdout=out)
    text = out.getvalue()
    assert "1 Check a request" in text and "Enter your 4-digit USSD PIN" in text
    assert "You have no requests yet." in text


def test_command_line_simulator_hangs_up_on_an_empty_line(citizen, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    out = io.StringIO()
    call_command("ussd_simulator", "--phone", citizen.phone, stdout=out)
    assert "(hung up)" in out.getvalue()


def test_command_line_simulator_shows_the_sms_of_the_session(citizen, with_pin, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("2\n1111\n1112\n1113\n"))
    out = io.StringIO()
    call_command("ussd_simulator", "--phone", citizen.phone, stdout=out)
    sms = OutboundMessage.objects.filter(recipient=citizen.phone).order_by("-pk").first()
    assert f"SMS to {citizen.phone}: {sms.body}" in out.getvalue()


def test_purge_deletes_sessions_idle_for_a_day(phone):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    phone.walk("0")
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25)):
        out = io.StringIO()
        call_command("purge_ussd_sessions", stdout=out)
    assert not UssdSession.objects.exists()
