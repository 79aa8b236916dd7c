"""Independent tools agree with us: poppler's pdfsig (NSS, with live OCSP to our responder)
and pyHanko's validator with only the revocation data embedded in the document."""

from __future__ import annotations

from jamana.documents.actions import issue_document, read_document_file
from jamana.pki.actions import do_revoke_certificate
from jamana.pki.models import CertificateRecord
from jamana.pki.queries import own_root
from jamana.testing import make_agent, make_citizen, make_organisation, pdfsig


def test_pdfsig_trusts_our_seal_and_catches_one_changed_byte(nss_db, tmp_path):
    issuer = make_organisation(code="ML-CEC-KATI", name="Centre d'état civil de Kati")
    holder = make_citizen().person
    document = issue_document(
        kind="residence_attestation",
        issuer=issuer,
        holder=holder,
        fields=[("Nom", holder.full_name)],
    )
    sealed = tmp_path / "sealed.pdf"
    sealed.write_bytes(read_document_file(document))
    out = pdfsig(nss_db, sealed)
    assert "Signature Validation: Signature is Valid." in out, out
    assert "Certificate Validation: Certificate is Trusted." in out, out

    changed = bytearray(sealed.read_bytes())
    changed[2000] ^= 0x01
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(bytes(changed))
    out = pdfsig(nss_db, altered)
    assert "Signature Validation: Signature is Valid." not in out, out


def test_pdfsig_sees_a_revoked_seal_certificate(nss_db, tmp_path):
    issuer = make_organisation(code="ML-CEC-KATI", name="Centre d'état civil de Kati")
    holder = make_citizen().person
    document = issue_document(
        kind="residence_attestation",
        issuer=issuer,
        holder=holder,
        fields=[("Nom", holder.full_name)],
    )
    sealed = tmp_path / "sealed.pdf"
    sealed.write_bytes(read_document_file(document))
    operator = make_organisation(code="ML-PKI", name="Jamana Mali PKI", kind="agency")
    admin = make_agent(organisation=operator, role="admin", extra_roles=())
    seal = CertificateRecord.objects.get(organisation=issuer)
    do_revoke_certificate(agent=admin, name=seal.name, reason="key_compromise")
    out = pdfsig(nss_db, sealed)
    assert "Certificate has been Revoked." in out, out


def test_pyhanko_reports_pades_b_lt_from_embedded_data_only(live_pki):
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    from jamana.trust.pades import check_sealed_pdf

    issuer = make_organisation(code="ML-CEC-KATI", name="Centre d'état civil de Kati")
    holder = make_citizen().person
    sealed = read_document_file(
        issue_document(
            kind="residence_attestation",
            issuer=issuer,
            holder=holder,
            fields=[("Nom", holder.full_name)],
        )
    )
    dss = DocumentSecurityStore.read_dss(PdfFileReader(BytesIO(sealed)))
    assert dss.ocsps and dss.crls and dss.certs
    # No fetching allowed and revocation required: only the embedded data can satisfy it.
    check = check_sealed_pdf(sealed, trust_roots=[own_root()])
    assert (check.level, check.long_term, check.trusted) == ("B-LT", True, True)


def test_pdfsig_validates_a_personal_signature(nss_db, tmp_path):
    import io

    from django.core.files.storage import default_storage
    from reportlab.pdfgen.canvas import Canvas

    from jamana.documents.signing import check_sign, do_start_signing
    from jamana.testing import last_sms_code

    citizen = make_citizen()
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "Contrat — signé par Aminata Traoré")
    canvas.save()
    session = do_start_signing(account=citizen, data=buffer.getvalue(), filename="contrat.pdf")
    session = check_sign(account=citizen, token=session.token, code=last_sms_code(citizen.phone))
    signed = tmp_path / "signed.pdf"
    with default_storage.open(session.signed_file, "rb") as handle:
        signed.write_bytes(handle.read())
    out = pdfsig(nss_db, signed)
    assert "Signer Certificate Common Name: Aminata Traoré" in out, out
    assert "Signature Validation: Signature is Valid." in out, out
    assert "Certificate Validation: Certificate is Trusted." in out, out
