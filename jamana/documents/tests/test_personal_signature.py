"""Personal electronic signatures: remote signing authorised by an SMS code bound to the
document's hash."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from reportlab.pdfgen.canvas import Canvas

from jamana.audit.models import AuditEvent
from jamana.core.errors import JamanaError
from jamana.documents.models import SigningSession
from jamana.documents.signing import check_sign, do_start_signing
from jamana.documents.verification import Verdict, verify_pdf
from jamana.notify.models import OutboundMessage
from jamana.pki.actions import do_revoke_own_certificate
from jamana.pki.models import CertificateRecord
from jamana.testing import last_sms_code

pytestmark = pytest.mark.django_db


def _pdf(text: str = "Déclaration sur l'honneur") -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, text)
    canvas.save()
    return buffer.getvalue()


def _refusals(token: str) -> list[str]:
    return [
        e.detail["code"]
        for e in AuditEvent.objects.filter(action="signature.refused", object_ref=token)
    ]


def test_citizen_signs_with_an_sms_code_bound_to_the_document(pki, citizen):
    session = do_start_signing(account=citizen, data=_pdf(), filename="declaration.pdf")
    sms = OutboundMessage.objects.filter(recipient=citizen.phone).latest("pk").body
    assert session.control_code in sms  # the person sees what they sign
    check_sign(account=citizen, token=session.token, code=last_sms_code(citizen.phone))
    session.refresh_from_db()
    assert session.status == "signed"
    from django.core.files.storage import default_storage

    with default_storage.open(session.signed_file, "rb") as handle:
        signed = handle.read()
    result = verify_pdf(signed)
    assert result.verdict == Verdict.VALID
    assert result.signer_name == "Aminata Traoré"
    assert result.signer_id == "19870312000045K"
    assert result.seal is not None and result.seal.level == "B-LT"
    # The certificate was issued on first use, by the personal-signature CA.
    record = CertificateRecord.objects.get(person=citizen.person)
    assert record.issuer.name == "person-ca"


def test_wrong_code_is_refused_and_logged(pki, citizen):
    session = do_start_signing(account=citizen, data=_pdf(), filename="a.pdf")
    good = last_sms_code(citizen.phone)
    wrong = "000000" if good != "000000" else "111111"
    with pytest.raises(JamanaError) as error:
        check_sign(account=citizen, token=session.token, code=wrong)
    assert error.value.code == "wrong_code"
    assert _refusals(session.token) == ["wrong_code"]
    session.refresh_from_db()
    assert session.status == "pending"


def test_code_for_another_document_is_refused(pki, citizen):
    first = do_start_signing(account=citizen, data=_pdf("A"), filename="a.pdf")
    second = do_start_signing(account=citizen, data=_pdf("B"), filename="b.pdf")
    code_for_second = last_sms_code(citizen.phone)
    with pytest.raises(JamanaError) as error:
        check_sign(account=citizen, token=first.token, code=code_for_second)
    assert error.value.code == "code_other_document"
    assert _refusals(first.token) == ["code_other_document"]
    check_sign(account=citizen, token=second.token, code=code_for_second)


def test_replayed_code_is_refused(pki, citizen):
    first = do_start_signing(account=citizen, data=_pdf("A"), filename="a.pdf")
    code = last_sms_code(citizen.phone)
    check_sign(account=citizen, token=first.token, code=code)
    again = do_start_signing(account=citizen, data=_pdf("A"), filename="a.pdf")
    with pytest.raises(JamanaError):
        check_sign(account=citizen, token=again.token, code=code)
    assert _refusals(again.token)


def test_expired_code_is_refused(pki, citizen):
    session = do_start_signing(account=citizen, data=_pdf(), filename="a.pdf")
    code = last_sms_code(citizen.phone)
    later = timezone.now() + dt.timedelta(minutes=6)
    with time_machine.travel(later), pytest.raises(JamanaError) as error:
        check_sign(account=citizen, token=session.token, code=code)
    assert error.value.code == "code_expired"
    assert _refusals(session.token) == ["code_expired"]


def test_signing_with_a_revoked_certificate_is_refused(pki, citizen):
    session = do_start_signing(account=citizen, data=_pdf(), filename="a.pdf")
    check_sign(account=citizen, token=session.token, code=last_sms_code(citizen.phone))
    record = CertificateRecord.objects.get(person=citizen.person)
    do_revoke_own_certificate(account=citizen, name=record.name, reason="key_compromise")
    with pytest.raises(JamanaError) as error:
        do_start_signing(account=citizen, data=_pdf("B"), filename="b.pdf")
    assert error.value.code == "certificate_revoked"


def test_revocation_between_code_and_signature_is_refused(pki, citizen):
    first = do_start_signing(account=citizen, data=_pdf("A"), filename="a.pdf")
    check_sign(account=citizen, token=first.token, code=last_sms_code(citizen.phone))
    second = do_start_signing(account=citizen, data=_pdf("B"), filename="b.pdf")
    code = last_sms_code(citizen.phone)
    record = CertificateRecord.objects.get(person=citizen.person)
    do_revoke_own_certificate(account=citizen, name=record.name, reason="key_compromise")
    with pytest.raises(JamanaError) as error:
        check_sign(account=citizen, token=second.token, code=code)
    assert error.value.code == "certificate_revoked"
    assert _refusals(second.token) == ["certificate_revoked"]


def test_only_pdfs_and_only_people_with_a_nina(pki, citizen, db):
    with pytest.raises(JamanaError) as error:
        do_start_signing(account=citizen, data=b"hello", filename="a.txt")
    assert error.value.code == "not_pdf"
    from jamana.testing import make_citizen

    without_nina = make_citizen(phone="+22376000055", nina="")
    with pytest.raises(JamanaError) as error:
        do_start_signing(account=without_nina, data=_pdf(), filename="a.pdf")
    assert error.value.code == "nina_required"
    assert not SigningSession.objects.filter(account=without_nina).exists()


def test_another_person_cannot_use_my_session(pki, citizen, other_citizen):
    session = do_start_signing(account=citizen, data=_pdf(), filename="a.pdf")
    with pytest.raises(JamanaError):
        check_sign(account=other_citizen, token=session.token, code="123456")


def test_signing_through_the_web_and_holder_revocation(client, pki, citizen):
    client.force_login(citizen, backend="jamana.identity.backends.AccountBackend")
    response = client.post(reverse("signing:start"), {"document": io.BytesIO(_pdf())}, follow=False)
    session = SigningSession.objects.get(account=citizen)
    assert response.url == reverse("signing:confirm", args=[session.token])
    page = client.get(response.url).content.decode()
    assert session.control_code in page
    client.post(response.url, {"code": last_sms_code(citizen.phone)})
    download = client.get(reverse("signing:download", args=[session.token]))
    assert download["Content-Type"] == "application/pdf"
    assert verify_pdf(download.content).verdict == Verdict.VALID

    record = CertificateRecord.objects.get(person=citizen.person)
    client.post(reverse("signing:certificates"), {"name": record.name, "reason": "superseded"})
    record.refresh_from_db()
    assert record.revoked_at is not None and record.revoked_by == citizen
    client.post(reverse("signing:certificates"), {"action": "renew"})
    assert CertificateRecord.objects.filter(person=citizen.person, revoked_at=None).count() == 1
