"""Issuing a sealed document and verifying it, from the PDF or from its code."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from jamana.audit.models import AccessEvent
from jamana.core.errors import JamanaError, PermissionDenied
from jamana.core.references import format_reference
from jamana.documents import actions
from jamana.documents.actions import issue_document, read_document_file
from jamana.documents.models import Document
from jamana.documents.verification import Verdict, verify_code, verify_pdf
from jamana.pki.actions import do_import_partner_trust_list
from jamana.trust.pades import check_sealed_pdf, seal_pdf
from jamana.trust.testing import make_test_pki, sealing_material_for
from jamana.trust.trustlist import TrustListEntry, build_trust_list, fingerprint

pytestmark = pytest.mark.django_db


def _issue(issuer, holder, **overrides):
    fields = [("Nom", holder.full_name), ("Adresse", "Kati Malibougou — ɛ ɔ ɲ ŋ")]
    return issue_document(
        kind="residence_attestation", issuer=issuer, holder=holder, fields=fields, **overrides
    )


def _flip_byte(data: bytes, offset: int = 2000) -> bytes:
    changed = bytearray(data)
    changed[offset] ^= 0x01
    return bytes(changed)


def test_issued_document_is_pades_b_lt_and_registered(pki, issuer, holder):
    document = _issue(issuer, holder)
    sealed = read_document_file(document)
    from jamana.pki.queries import trust_roots

    check = check_sealed_pdf(sealed, trust_roots=trust_roots())
    assert check.level == "B-LT"
    assert check.long_term and check.timestamped and check.trusted and check.intact
    assert "Centre d'état civil de Kati" in check.signer_subject
    assert document.number and len(document.number) == 9
    assert document.holder_name == "Aminata Traoré"
    import hashlib

    assert hashlib.sha256(sealed).hexdigest() == document.sha256
    assert document.expires_at is not None


def test_valid_document_verifies_from_pdf_and_code(pki, issuer, holder):
    document = _issue(issuer, holder)
    by_pdf = verify_pdf(read_document_file(document))
    assert by_pdf.verdict == Verdict.VALID
    assert by_pdf.holder_name == "Aminata Traoré"
    assert by_pdf.issuer_name == "Centre d'état civil de Kati"
    assert all(ok for _label, ok in by_pdf.checks)
    by_code = verify_code(format_reference(document.number).lower())
    assert by_code.verdict == Verdict.VALID
    # The holder sees that their document was verified.
    assert AccessEvent.objects.filter(person=holder, object_ref=document.number).exists()


def test_one_changed_byte_is_altered(pki, issuer, holder):
    sealed = read_document_file(_issue(issuer, holder))
    result = verify_pdf(_flip_byte(sealed))
    assert result.verdict == Verdict.ALTERED


def test_a_pdf_without_seal_or_garbage_is_unknown(pki):
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    Canvas(buffer).save()
    assert verify_pdf(buffer.getvalue()).verdict == Verdict.UNKNOWN
    assert verify_pdf(b"%PDF-1.7 garbage").verdict == Verdict.UNKNOWN
    assert verify_pdf(b"").verdict == Verdict.UNKNOWN


def test_unknown_or_mistyped_code(pki):
    assert verify_code("ABC").verdict == Verdict.UNKNOWN
    assert verify_code("7K3-Q9P-X2M").verdict == Verdict.UNKNOWN


def test_revoked_document_says_so_with_date_and_reason(client, pki, issuer, holder, registrar):
    document = _issue(issuer, holder)
    actions.do_revoke_document(agent=registrar, number=document.number, reason="Erreur d'adresse")
    result = verify_pdf(read_document_file(document))
    assert result.verdict == Verdict.REVOKED
    assert result.revocation_reason == "Erreur d'adresse"
    assert result.revoked_at is not None
    page = client.get(reverse("documents:verify_code", args=[document.number]))
    assert "Erreur d&#x27;adresse" in page.content.decode()
    assert "verdict-revoked" in page.content.decode()


def test_revocation_needs_a_reason_and_the_right_agent(
    pki, issuer, holder, registrar, outsider_agent
):
    document = _issue(issuer, holder)
    with pytest.raises(JamanaError):
        actions.do_revoke_document(agent=registrar, number=document.number, reason=" ")
    with pytest.raises(PermissionDenied):
        actions.do_revoke_document(agent=outsider_agent, number=document.number, reason="x")
    document.refresh_from_db()
    assert document.status == "valid"


def test_expired_document(pki, issuer, holder):
    document = _issue(issuer, holder)
    with time_machine.travel(timezone.now() + dt.timedelta(days=91)):
        assert verify_code(document.number).verdict == Verdict.EXPIRED


def test_issuance_is_all_or_nothing(pki, issuer, holder, monkeypatch):
    def broken_create(**kwargs):
        raise RuntimeError("database went away")

    def stored_files() -> set[str]:
        if not default_storage.exists("documents"):
            return set()
        return set(default_storage.listdir("documents")[1])

    before = stored_files()
    monkeypatch.setattr(Document.objects, "create", broken_create)
    with pytest.raises(RuntimeError):
        _issue(issuer, holder)
    monkeypatch.undo()
    assert not Document.objects.exists()
    assert stored_files() == before


def test_verification_page_and_api(client, pki, issuer, holder):
    document = _issue(issuer, holder)
    sealed = read_document_file(document)
    page = client.post(reverse("documents:verify"), {"document": io.BytesIO(sealed)})
    assert "verdict-valid" in page.content.decode()
    altered = client.post(reverse("documents:verify"), {"document": io.BytesIO(_flip_byte(sealed))})
    assert "verdict-altered" in altered.content.decode()

    api = client.post("/api/v1/verify", {"document": io.BytesIO(sealed)})
    assert api.status_code == 200
    assert api.json()["verdict"] == "valid" and api.json()["seal_level"] == "B-LT"
    by_code = client.post(
        "/api/v1/verify", json.dumps({"code": document.number}), content_type="application/json"
    )
    assert by_code.json()["verdict"] == "valid"
    assert client.post("/api/v1/verify", "{", content_type="application/json").status_code == 400
    assert client.post("/api/v1/verify", {}).status_code == 400
    unknown = client.post("/api/v1/verify", {"code": "zzz"})
    assert unknown.json()["verdict"] == "unknown"


def test_oversized_upload_is_refused_clearly(client, pki, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    big = io.BytesIO(b"%PDF-1.7\n" + b"0" * 5000)
    page = client.post(reverse("documents:verify"), {"document": big})
    assert page.status_code == 200
    assert "errorlist" in page.content.decode()
    assert "verdict-" not in page.content.decode()
    api = client.post("/api/v1/verify", {"document": io.BytesIO(b"0" * 5000)})
    assert api.status_code == 413


def test_command_line_verify_exit_status(pki, issuer, holder, tmp_path):
    from django.core.management import call_command

    document = _issue(issuer, holder)
    good = tmp_path / "good.pdf"
    good.write_bytes(read_document_file(document))
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(_flip_byte(good.read_bytes()))
    with pytest.raises(SystemExit) as ok:
        call_command("verify", str(good), stdout=io.StringIO())
    assert ok.value.code == 0
    with pytest.raises(SystemExit) as altered:
        call_command("verify", str(bad), stdout=io.StringIO())
    assert altered.value.code == 1


def test_document_of_a_partner_instance_verifies_as_issued_there(pki):
    burkina = make_test_pki(country="BF", base_url="https://jamana.bf")
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "Attestation — Ouagadougou")
    canvas.save()
    sealed = seal_pdf(buffer.getvalue(), sealing_material_for(burkina))
    assert verify_pdf(sealed).verdict == Verdict.UNTRUSTED

    now = timezone.now()
    trust_list = build_trust_list(
        country="BF",
        entries=[
            TrustListEntry("root", "root", burkina.root.certificate),
            TrustListEntry("seal-ca", "seal-ca", burkina.seal_ca.certificate),
        ],
        signer_certificate=burkina.trust_list.certificate,
        signer_key=burkina.trust_list.key,
        chain=[burkina.seal_ca.certificate, burkina.root.certificate],
        now=now,
    )
    with pytest.raises(JamanaError):
        do_import_partner_trust_list(
            document=json.dumps(trust_list),
            country="BF",
            pinned_root_sha256="00" * 32,
            source="test",
        )
    do_import_partner_trust_list(
        document=json.dumps(trust_list),
        country="BF",
        pinned_root_sha256=fingerprint(burkina.root.certificate),
        source="test",
    )
    result = verify_pdf(sealed)
    assert result.verdict == Verdict.VALID
    assert result.issuer_country == "BF"


def test_issue_demo_document_command(pki, tmp_path):
    from jamana.procedures.demo import seed_demo

    seed_demo(seed=1, persons=2)
    out = tmp_path / "demo.pdf"
    from django.core.management import call_command

    call_command("issue_demo_document", "--out", str(out), stdout=io.StringIO())
    assert verify_pdf(out.read_bytes()).verdict == Verdict.VALID


def test_holder_downloads_their_document_others_cannot(client, pki, issuer, holder, other_citizen):
    document = _issue(issuer, holder)
    citizen = holder.account
    client.force_login(citizen, backend="jamana.identity.backends.AccountBackend")
    listing = client.get(reverse("documents:my_documents")).content.decode()
    assert format_reference(document.number) in listing
    response = client.get(reverse("documents:download", args=[document.number]))
    assert response["Content-Type"] == "application/pdf"
    assert verify_pdf(response.content).verdict == Verdict.VALID
    client.force_login(other_citizen, backend="jamana.identity.backends.AccountBackend")
    assert client.get(reverse("documents:download", args=[document.number])).status_code == 404


def test_agent_revokes_a_document_from_the_web(client, pki, issuer, holder, registrar):
    document = _issue(issuer, holder)
    client.force_login(registrar, backend="jamana.identity.backends.AccountBackend")
    url = reverse("documents:agent_document", args=[document.number])
    client.post(url, {"reason": ""})
    document.refresh_from_db()
    assert document.status == "valid"
    client.post(url, {"reason": "Délivré par erreur"})
    document.refresh_from_db()
    assert document.status == "revoked" and document.revocation_reason == "Délivré par erreur"
