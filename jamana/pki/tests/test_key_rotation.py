"""Key ceremony: a planned rotation keeps old documents valid; after a key compromise,
documents sealed from the compromise date on verify as invalid, earlier ones stay valid."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from jamana.documents.actions import issue_document, read_document_file
from jamana.documents.verification import Verdict, verify_pdf
from jamana.pki.actions import do_ensure_seal_certificate, do_rotate_seal
from jamana.pki.models import CertificateRecord

pytestmark = pytest.mark.django_db


def _issue(issuer, holder):
    return issue_document(
        kind="residence_attestation",
        issuer=issuer,
        holder=holder,
        fields=[("Nom", holder.full_name)],
    )


def test_rotation_keeps_old_documents_valid(pki, issuer, holder):
    old = _issue(issuer, holder)
    old_seal = do_ensure_seal_certificate(issuer)
    call_command("rotate_seal", issuer.code, stdout=io.StringIO())
    new_seal = do_ensure_seal_certificate(issuer)
    assert new_seal.pk != old_seal.pk and new_seal.key_name != old_seal.key_name
    old_seal.refresh_from_db()
    assert old_seal.revocation_reason == "superseded"
    new = _issue(issuer, holder)
    assert new.seal_certificate_id == new_seal.pk
    assert verify_pdf(read_document_file(old)).verdict == Verdict.VALID
    assert verify_pdf(read_document_file(new)).verdict == Verdict.VALID


def test_documents_sealed_after_a_compromise_are_invalid(pki, issuer, holder):
    start = timezone.now()
    with time_machine.travel(start, tick=True):
        before = _issue(issuer, holder)
    with time_machine.travel(start + dt.timedelta(minutes=10), tick=True):
        after = _issue(issuer, holder)
    seal = CertificateRecord.objects.get(organisation=issuer)
    compromise = (start + dt.timedelta(minutes=5)).isoformat()
    with time_machine.travel(start + dt.timedelta(minutes=20), tick=True):
        call_command(
            "revoke_certificate",
            seal.name,
            "--reason",
            "key_compromise",
            "--compromised-at",
            compromise,
            stdout=io.StringIO(),
        )
        assert verify_pdf(read_document_file(before)).verdict == Verdict.VALID
        result = verify_pdf(read_document_file(after))
        assert result.verdict == Verdict.REVOKED
        assert "compromised" in result.revocation_reason or "compromis" in result.revocation_reason
        # The organisation's next document gets a new key.
        assert _issue(issuer, holder).seal_certificate_id != seal.pk


def test_compromise_date_is_checked(pki, issuer):
    seal = do_ensure_seal_certificate(issuer)
    with pytest.raises(CommandError):
        call_command(
            "revoke_certificate",
            seal.name,
            "--reason",
            "superseded",
            "--compromised-at",
            "2026-01-01T00:00Z",
            stdout=io.StringIO(),
        )
    with pytest.raises(CommandError):
        call_command(
            "revoke_certificate",
            seal.name,
            "--reason",
            "key_compromise",
            "--compromised-at",
            "2026-01-01",
            stdout=io.StringIO(),
        )
    seal.refresh_from_db()
    assert seal.revoked_at is None


def test_rotation_without_a_seal_just_issues_one(pki, issuer):
    assert do_rotate_seal(organisation=issuer).role == "seal"
