"""The printed document's 2D seal, read by an independent QR reader and verified online and
fully offline from a downloaded trust list."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from jamana.documents.actions import do_revoke_document, issue_document, read_document_file
from jamana.documents.verification import Verdict, verify_code, verify_pdf
from jamana.testing import require_tool, run_tool
from jamana.trust.seal2d import PREFIX, SealClaims, kid_for, make_seal
from jamana.trust.testing import make_test_pki
from jamana.trust.trustlist import fingerprint

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(pki, issuer, holder):
    return issue_document(
        kind="residence_attestation",
        issuer=issuer,
        holder=holder,
        fields=[("Nom", holder.full_name), ("Adresse", "Kati, quartier Malibougou")],
    )


def _scan(pdf: bytes, tmp_path, dpi: int = 300) -> list[str]:
    """Print the first page at ``dpi`` and read every QR code on it with zbar."""
    pdftoppm = require_tool("pdftoppm")
    zbarimg = require_tool("zbarimg")
    source = tmp_path / "page.pdf"
    source.write_bytes(pdf)
    run_tool(pdftoppm, "-r", str(dpi), "-png", "-singlefile", str(source), str(tmp_path / "page"))
    _code, out = run_tool(zbarimg, "--raw", "-q", str(tmp_path / "page.png"))
    return [line.strip() for line in out.splitlines() if line.strip()]


def test_printable_copy_carries_a_2d_seal_zbar_reads_and_we_verify(document, tmp_path):
    printable = read_document_file(document, printable=True)
    codes = _scan(printable, tmp_path)
    seals = [c for c in codes if c.startswith(PREFIX)]
    assert seals == [document.seal2d]
    result = verify_code(seals[0])
    assert result.verdict == Verdict.VALID
    assert result.holder_name == "Aminata Traoré"
    assert result.holder_birth_date == "1987-03-12"
    # The seal binds the paper to the electronic original.
    assert result.pdf_sha256 == hashlib.sha256(read_document_file(document)).hexdigest()
    # The printable copy is itself PAdES-sealed and registered.
    assert verify_pdf(printable).verdict == Verdict.VALID


def test_seal_reads_when_printed_small(document, tmp_path):
    assert document.seal2d in _scan(read_document_file(document, printable=True), tmp_path, 200)


def test_any_changed_character_is_detected(document):
    text = document.seal2d
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    for position in range(len(PREFIX), len(text), 7):
        replacement = alphabet[(alphabet.index(text[position]) + 1) % len(alphabet)]
        altered = text[:position] + replacement + text[position + 1 :]
        assert verify_code(altered).verdict != Verdict.VALID, position


def test_seal_signed_by_a_key_not_in_the_trust_list_is_refused(document):
    stranger = make_test_pki(country="ML")
    forged = make_seal(
        SealClaims(
            issuer_code="ML-CEC-TEST",
            issuer_country="ML",
            kind="residence_attestation",
            number=document.number,
            holder_given_names="Aminata",
            holder_family_name="Traoré",
            holder_birth_date="1987-03-12",
            issued_at=timezone.now(),
            expires_at=None,
            pdf_sha256=bytes.fromhex(document.sha256),
        ),
        signer=stranger.seal.key,
        kid=kid_for(stranger.seal.certificate),
    )
    assert verify_code(forged).verdict == Verdict.UNTRUSTED


def test_revocation_is_reported_when_online(document, registrar):
    do_revoke_document(agent=registrar, number=document.number, reason="Perte déclarée")
    result = verify_code(document.seal2d)
    assert result.verdict == Verdict.REVOKED
    assert result.revocation_reason == "Perte déclarée"


def test_api_and_command_verify_a_seal(client, document):
    body = client.post(
        "/api/v1/verify", json.dumps({"code": document.seal2d}), content_type="application/json"
    ).json()
    assert body["verdict"] == "valid" and body["original_sha256"] == document.sha256
    with pytest.raises(SystemExit) as exit_status:
        call_command("verify", "--code", document.seal2d, stdout=io.StringIO())
    assert exit_status.value.code == 0


def test_fully_offline_verification_from_a_downloaded_trust_list(client, document, tmp_path):
    from jamana.pki.queries import own_root

    trust_list = tmp_path / "trust-list.json"
    trust_list.write_bytes(client.get("/.well-known/jamana/trust-list.json").content)
    root = fingerprint(own_root())
    out = io.StringIO()
    with pytest.raises(SystemExit) as good:
        call_command(
            "verify",
            "--code",
            document.seal2d,
            "--trust-list",
            str(trust_list),
            "--root-sha256",
            root,
            "--country",
            "ML",
            stdout=out,
        )
    assert good.value.code == 0, out.getvalue()
    assert "VALID (offline)" in out.getvalue() and "Aminata" in out.getvalue()
    tampered = (
        document.seal2d[:-3] + ("A" if document.seal2d[-3] != "A" else "B") + document.seal2d[-2:]
    )
    with pytest.raises(SystemExit) as bad:
        call_command(
            "verify",
            "--code",
            tampered,
            "--trust-list",
            str(trust_list),
            "--root-sha256",
            root,
            "--country",
            "ML",
            stdout=io.StringIO(),
        )
    assert bad.value.code == 1
    with pytest.raises(SystemExit) as wrong_root:
        call_command(
            "verify",
            "--code",
            document.seal2d,
            "--trust-list",
            str(trust_list),
            "--root-sha256",
            "00" * 32,
            "--country",
            "ML",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert wrong_root.value.code == 2
