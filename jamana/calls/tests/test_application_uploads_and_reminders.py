"""Uploads wait for the virus scanner (and are retried when it was down); an infected file is
refused and the applicant told; drafts get one reminder 48 hours before closing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from jamana.calls import actions
from jamana.calls.models import ScanStatus
from jamana.calls.tests.conftest import apply_and_submit, small_pdf
from jamana.calls.tests.test_scanning import EICAR, pdf_with_attachment
from jamana.notify.models import OutboundMessage
from jamana.testing import make_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(body, officer):
    return make_call(organisation=body, agent=officer)


def _start(call, account):
    application = actions.check_start_application(account=account, call=call, post_code="ADM")
    return application.reference


def test_an_upload_waits_when_the_scanner_is_down_and_is_scanned_later(
    call, awa, settings, django_capture_on_commit_callbacks
):
    ref = _start(call, awa)
    settings.JAMANA_CLAMSCAN = "/nonexistent/clamscan"
    with django_capture_on_commit_callbacks(execute=True):
        document = actions.check_upload_document(
            account=awa, reference=ref, kind="diploma", data=small_pdf(), filename="d.pdf"
        )
    document.refresh_from_db()
    assert document.scan_status == ScanStatus.PENDING  # never taken as clean
    settings.JAMANA_CLAMSCAN = "clamscan"
    assert actions.do_scan_pending_documents() == (1, 0)
    document.refresh_from_db()
    assert document.scan_status == ScanStatus.CLEAN


def test_an_infected_file_is_deleted_and_the_applicant_told(
    call, awa, django_capture_on_commit_callbacks
):
    from jamana.testing import require_tool

    require_tool("clamscan")
    ref = _start(call, awa)
    # A valid PDF carrying the EICAR test file as an attachment: passes the type check.
    infected = pdf_with_attachment(EICAR, "annexe.com")
    with django_capture_on_commit_callbacks(execute=True):
        document = actions.check_upload_document(
            account=awa, reference=ref, kind="diploma", data=infected, filename="d.pdf"
        )
    stored = document.stored_file
    document.refresh_from_db()
    assert document.scan_status == ScanStatus.INFECTED
    assert "EICAR" in document.scan_detail.upper()
    assert not default_storage.exists(stored)
    assert "virus" in OutboundMessage.objects.filter(recipient=awa.phone).last().body
    check = next(
        c for c in awa_application(call, awa).eligibility if c["code"] == "document:diploma"
    )
    assert check["ok"] is False


def awa_application(call, account):
    from jamana.calls.models import Application

    return Application.objects.get(call=call, person=account.person)


def test_drafts_get_one_reminder_48_hours_before_closing(
    body, officer, awa, moussa, django_capture_on_commit_callbacks
):
    closes = timezone.now() + dt.timedelta(hours=47)
    call = make_call(organisation=body, agent=officer, code="FP-2026-SOON", closes_at=closes)
    apply_and_submit(awa, call, capture=django_capture_on_commit_callbacks)
    _start(call, moussa)  # a draft, never signed
    before = OutboundMessage.objects.count()
    assert actions.do_send_draft_reminders() == 1
    reminder = OutboundMessage.objects.order_by("-pk").first()
    assert reminder.recipient == moussa.phone and call.code in reminder.body
    assert OutboundMessage.objects.count() == before + 1
    assert actions.do_send_draft_reminders() == 0  # once per call
