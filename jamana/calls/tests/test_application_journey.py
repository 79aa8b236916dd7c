"""An applicant's path on the web: a call is open, the documents the State holds are fetched
with consent (each read visible to the person), a diploma is uploaded and scanned, the
application is signed with the personal certificate and submitted before the closing
second, a sealed receipt comes by SMS; one second after closing, nothing is accepted."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from jamana.audit.models import AccessEvent, AuditEvent
from jamana.calls import actions
from jamana.calls.models import Application, ApplicationStatus, DocumentSource, ScanStatus
from jamana.calls.tests.conftest import apply_and_submit, small_pdf
from jamana.core.errors import JamanaError
from jamana.core.references import format_reference
from jamana.documents.models import Document
from jamana.notify.models import OutboundMessage
from jamana.procedures.actions import do_upsert_service
from jamana.testing import last_sms_code, make_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(body, officer):
    return make_call(organisation=body, agent=officer)


def test_documents_the_state_holds_are_fetched_with_consent_and_each_read_is_visible(call, awa):
    application = actions.check_start_application(account=awa, call=call, post_code="ADM")
    consent = next(c for c in application.eligibility if c["code"] == "consent")
    assert consent["ok"] is None  # nothing fetched before the applicant agrees
    actions.check_consent_and_fetch(account=awa, reference=application.reference)
    application.refresh_from_db()
    documents = {d.kind: d for d in application.documents.all()}
    assert documents["birth_act"].source == DocumentSource.FETCHED
    assert documents["birth_act"].summary["number"] == 101
    assert documents["criminal_record_b3"].summary["blank"] is True
    assert documents["nationality_certificate"].source == DocumentSource.FETCHED
    reads = set(
        AccessEvent.objects.filter(person=awa.person, organisation=call.organisation).values_list(
            "object_type", flat=True
        )
    )
    assert reads == {"birth_act", "casier_b3", "document"}
    assert AuditEvent.objects.filter(
        action="application.consent_given", object_ref=application.reference
    ).exists()


def test_missing_nationality_certificate_is_requested_on_the_applicants_behalf(call, moussa):
    application = actions.check_start_application(account=moussa, call=call, post_code="ADM")
    actions.check_consent_and_fetch(account=moussa, reference=application.reference)
    nationality = application.documents.get(kind="nationality_certificate")
    assert nationality.source == DocumentSource.MISSING
    actions.check_request_nationality_certificate(account=moussa, reference=application.reference)
    nationality.refresh_from_db()
    assert nationality.source == DocumentSource.REQUESTED
    assert nationality.service_request.service.code == "justice.nationality"
    application.refresh_from_db()
    check = next(c for c in application.eligibility if c["code"] == "nationality")
    assert check["ok"] is None  # waiting for the magistrate, not refused


def test_full_web_journey_signed_submitted_with_sealed_receipt(
    client, call, awa, django_capture_on_commit_callbacks, tmp_path
):
    client.force_login(awa)
    client.cookies["jamana_language"] = "en"
    response = client.get(reverse("calls:call", args=[call.code]))
    assert call.title_en in response.content.decode()
    response = client.post(reverse("calls:apply", args=[call.code]), {"post": "ADM"})
    application = Application.objects.get(call=call, person=awa.person)
    assert response.url == reverse("calls:application", args=[application.reference])
    page = reverse("calls:application", args=[application.reference])
    client.post(
        page,
        {
            "post": "ADM",
            "exam_centre": call.centres.first().pk,
            "diploma_level": "master",
        },
    )
    client.post(reverse("calls:fetch", args=[application.reference]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("calls:upload", args=[application.reference]),
            {"kind": "diploma", "file": _upload("master.pdf", small_pdf())},
        )
    diploma = application.documents.get(kind="diploma")
    assert diploma.scan_status == ScanStatus.CLEAN
    response = client.post(reverse("calls:sign", args=[application.reference]))
    assert response.status_code == 200
    control = response.context["control"]
    assert control in OutboundMessage.objects.filter(recipient=awa.phone).last().body
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("calls:sign", args=[application.reference]),
            {"code": last_sms_code(awa.phone)},
        )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.eligible is True, application.eligibility
    # The sealed receipt, by SMS with its number.
    receipt = Document.objects.get(pk=application.receipt_id)
    assert receipt.kind == "application_receipt" and receipt.holder_id == awa.person_id
    assert receipt.number[:3] in OutboundMessage.objects.filter(recipient=awa.phone).last().body
    # The signed content and its detached signature verify with an independent tool.
    assert _openssl_verifies(
        bytes(application.signed_content), bytes(application.signature), tmp_path
    )
    assert not _openssl_verifies(
        bytes(application.signed_content).replace(b"master", b"doctorate"),
        bytes(application.signature),
        tmp_path,
    )
    # Sent again (a double click): still one application, one receipt.
    with django_capture_on_commit_callbacks(execute=True):
        again = actions.check_sign_and_submit(
            account=awa, reference=application.reference, code="000000"
        )
    assert again.pk == application.pk
    assert Document.objects.filter(kind="application_receipt").count() == 1


def test_one_second_after_closing_nothing_is_accepted(body, officer, awa):
    closes = timezone.now() + dt.timedelta(hours=2)
    call = make_call(organisation=body, agent=officer, code="FP-2026-CLOSE", closes_at=closes)
    application = actions.check_start_application(account=awa, call=call, post_code="ADM")
    actions.check_consent_and_fetch(account=awa, reference=application.reference)
    actions.check_upload_document(
        account=awa,
        reference=application.reference,
        kind="diploma",
        data=small_pdf(),
        filename="d.pdf",
    )
    actions.check_update_application(
        account=awa,
        reference=application.reference,
        diploma_level="licence",
        exam_centre_id=call.centres.first().pk,
    )
    with time_machine.travel(closes - dt.timedelta(seconds=30), tick=False):
        actions.check_start_signing(account=awa, reference=application.reference)
    code = last_sms_code(awa.phone)
    with (
        time_machine.travel(closes + dt.timedelta(seconds=1), tick=False),
        pytest.raises(JamanaError) as refused,
    ):
        actions.check_sign_and_submit(account=awa, reference=application.reference, code=code)
    assert refused.value.code == "call_closed"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT and not application.signature
    # At the closing second itself it is still accepted.
    with time_machine.travel(closes, tick=False):
        submitted = actions.check_sign_and_submit(
            account=awa, reference=application.reference, code=code
        )
    assert submitted.status == ApplicationStatus.SUBMITTED


def test_someone_elses_application_is_not_found(client, call, awa, moussa):
    application = actions.check_start_application(account=awa, call=call, post_code="ADM")
    client.force_login(moussa)
    response = client.get(reverse("calls:application", args=[application.reference]))
    assert response.status_code == 404


def test_applying_twice_gives_the_same_application(call, awa):
    first = actions.check_start_application(account=awa, call=call, post_code="ADM")
    second = actions.check_start_application(account=awa, call=call, post_code="ADM")
    assert first.pk == second.pk
    assert Application.objects.filter(call=call).count() == 1


def test_status_by_ussd_and_by_sms(client, settings, call, awa, django_capture_on_commit_callbacks):
    import ipaddress

    from jamana.notify.actions import do_handle_inbound_sms
    from jamana.notify.gateways.base import InboundSms
    from jamana.testing import PASSWORD
    from jamana.ussd.actions import check_set_pin
    from jamana.ussd.tests.conftest import SECRET, Phone

    settings.USSD_GATEWAY_SECRET = SECRET
    settings.USSD_GATEWAY_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]

    application = apply_and_submit(awa, call, capture=django_capture_on_commit_callbacks)
    awa.language = "en"
    awa.save(update_fields=["language"])
    check_set_pin(account=awa, password=PASSWORD, pin="4826", pin_again="4826")
    phone = Phone(client, awa.phone)
    phone.dial()
    phone.send("6")
    reply = phone.send("4826")
    assert reply.startswith("END ")
    assert format_reference(application.reference) in reply and call.code in reply
    assert "Submitted" in reply
    # An SMS with the reference gets the status back.
    with django_capture_on_commit_callbacks(execute=True):
        inbound = do_handle_inbound_sms(
            InboundSms(
                gateway="dev",
                sender=awa.phone,
                recipient="JAMANA",
                text=format_reference(application.reference),
                reference="in-1",
            )
        )
    assert inbound is not None and "Submitted" in inbound.reply.body


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/pdf")


def _openssl_verifies(content: bytes, signature: bytes, tmp_path) -> bool:
    """``openssl cms -verify`` of the detached signature against our PKI's certificates."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from jamana.pki.queries import certificate
    from jamana.testing import require_tool, run_tool

    require_tool("openssl")
    (tmp_path / "content.json").write_bytes(content)
    (tmp_path / "sig.p7s").write_bytes(signature)
    chain = b"".join(certificate(name).public_bytes(Encoding.PEM) for name in ("root", "person-ca"))
    (tmp_path / "chain.pem").write_bytes(chain)
    code, _output = run_tool(
        "openssl", "cms", "-verify", "-binary", "-inform", "DER",
        "-in", str(tmp_path / "sig.p7s"), "-content", str(tmp_path / "content.json"),
        "-CAfile", str(tmp_path / "chain.pem"), "-purpose", "any", "-out", "/dev/null",
    )  # fmt: skip
    return code == 0


def test_an_app_signs_and_submits_through_the_api(client, call, awa, moussa):
    application = actions.check_start_application(account=awa, call=call, post_code="ADM")
    ref = application.reference
    actions.check_consent_and_fetch(account=awa, reference=ref)
    actions.check_upload_document(
        account=awa, reference=ref, kind="diploma", data=small_pdf(), filename="d.pdf"
    )
    actions.check_update_application(
        account=awa, reference=ref, diploma_level="licence", exam_centre_id=call.centres.first().pk
    )
    client.force_login(awa)
    typed = format_reference(ref).lower()  # as a person types it: dashes, any case
    response = client.post(f"/api/v1/me/applications/{typed}/signature")
    assert response.status_code == 200, response.content
    assert response.json()["control"] in OutboundMessage.objects.last().body
    response = client.post(
        f"/api/v1/me/applications/{typed}/submit",
        {"code": last_sms_code(awa.phone)},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted" and response.json()["rank"] is None
    listed = client.get("/api/v1/me/applications").json()
    assert [a["reference"] for a in listed] == [format_reference(ref)]
    # A typing error and someone else's application are both a 404, with their codes.
    typo = ref[:-1] + ("A" if ref[-1] != "A" else "B")
    response = client.get(f"/api/v1/me/applications/{typo}")
    assert response.status_code == 404 and response.json()["code"] == "reference_check"
    client.force_login(moussa)
    response = client.get(f"/api/v1/me/applications/{ref}")
    assert response.status_code == 404 and response.json()["code"] == "application_not_found"
    assert client.get("/api/v1/me/applications").json() == []


def test_the_catalogue_sends_applicants_and_appellants_to_the_calls(client, awa, body):
    """The catalogue lists the two services, but neither is a free-standing request: an
    application belongs to a call, an appeal to an application."""
    from jamana.procedures.catalogue import CATALOGUE
    from jamana.procedures.models import ServiceRequest

    for spec in CATALOGUE:
        if spec["code"].startswith("calls."):
            fields = {k: v for k, v in spec.items() if k not in ("code", "organisation")}
            do_upsert_service(code=spec["code"], organisation=body, **fields)
    client.force_login(awa)
    for code in ("calls.application", "calls.appeal"):
        page = client.get(reverse("service_detail", args=[code])).content.decode()
        assert reverse("calls:list") in page
        response = client.post(f"/requests/new/{code}/", {"purpose": "x"})
        assert response.status_code == 302 and response.url == reverse("calls:list")
    assert not ServiceRequest.objects.filter(service__code__startswith="calls.").exists()
