"""Verify a document for anyone: from its PDF (seal checked offline with the embedded
revocation data, then the registry) or from its code (registry only)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from enum import StrEnum

from cryptography import x509
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_access
from jamana.core.i18n import record_text
from jamana.core.references import InvalidReference, parse_reference
from jamana.documents.kinds import KINDS
from jamana.documents.models import Document, DocumentStatus, SigningSession
from jamana.pki.models import CertificateRecord, PartnerAnchor, RevocationReason
from jamana.pki.queries import trust_roots, trusted_seal_map
from jamana.trust.errors import MalformedRequest
from jamana.trust.pades import SealCheck, SealVerdict, check_sealed_pdf
from jamana.trust.pki import Policy
from jamana.trust.seal2d import PREFIX, read_seal
from jamana.trust.seal2d import SealVerdict as SealReadingVerdict


class Verdict(StrEnum):
    VALID = "valid"
    ALTERED = "altered"
    REVOKED = "revoked"
    EXPIRED = "expired"
    UNTRUSTED = "untrusted"
    UNKNOWN = "unknown"


VERDICT_TEXT = {
    Verdict.VALID: _(
        "Valid: this document was issued by the administration named below and "
        "has not been changed."
    ),
    Verdict.ALTERED: _("Altered: this file was changed after it was sealed. Do not accept it."),
    Verdict.REVOKED: _("Revoked: the issuing administration has withdrawn this document."),
    Verdict.EXPIRED: _("Expired: this document is no longer within its period of validity."),
    Verdict.UNTRUSTED: _(
        "Untrusted issuer: the seal does not come from an administration that this platform trusts."
    ),
    Verdict.UNKNOWN: _(
        "Unknown: no document with this code or content was issued by a trusted administration."
    ),
}


@dataclass(frozen=True)
class VerificationResult:
    verdict: Verdict
    document: Document | None = None
    issuer_name: str = ""
    issuer_country: str = ""
    holder_name: str = ""
    title: str = ""
    issued_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    revocation_reason: str = ""
    seal: SealCheck | None = None
    checks: list[tuple[str, bool]] = field(default_factory=list)
    # For a personal electronic signature: who signed, and their national identifier.
    signer_name: str = ""
    signer_id: str = ""
    # From a 2D seal: the birth date as printed and the electronic original's SHA-256.
    holder_birth_date: str = ""
    pdf_sha256: str = ""

    @property
    def is_valid(self) -> bool:
        return self.verdict == Verdict.VALID

    @property
    def message(self) -> str:
        return str(VERDICT_TEXT[self.verdict])


def _from_registry(
    document: Document, checks: list[tuple[str, bool]], seal: SealCheck | None = None
) -> VerificationResult:
    now = timezone.now()
    checks.append((str(_("Found in the registry of issued documents")), True))
    if document.status == DocumentStatus.REVOKED:
        verdict = Verdict.REVOKED
        checks.append((str(_("Not revoked")), False))
    elif document.expires_at and document.expires_at <= now:
        verdict = Verdict.EXPIRED
        checks.append((str(_("Within its period of validity")), False))
    else:
        verdict = Verdict.VALID
        checks.append((str(_("Not revoked")), True))
        if document.expires_at:
            checks.append((str(_("Within its period of validity")), True))
    with transaction.atomic():
        if document.holder_id:
            # A verification reads the holder's name: the holder can see it was verified.
            record_access(
                person=document.holder,
                object_type="document",
                object_ref=document.number,
                purpose=record_text(_("Document verification (public)")),
            )
    return VerificationResult(
        verdict=verdict,
        document=document,
        issuer_name=document.issuer.name,
        issuer_country=document.issuer.country,
        holder_name=document.holder_name,
        title=document.title,
        issued_at=document.issued_at,
        expires_at=document.expires_at,
        revoked_at=document.revoked_at,
        revocation_reason=document.revocation_reason,
        seal=seal,
        checks=checks,
    )


def verify_code(typed: str) -> VerificationResult:
    """A document number, or the text of a 2D seal (scanned or pasted)."""
    if typed.strip().upper().startswith(PREFIX):
        return verify_seal_text(typed.strip())
    checks: list[tuple[str, bool]] = []
    try:
        number = parse_reference(typed)
    except InvalidReference:
        checks.append((str(_("The code is well formed (check character)")), False))
        return VerificationResult(Verdict.UNKNOWN, checks=checks)
    checks.append((str(_("The code is well formed (check character)")), True))
    document = Document.objects.select_related("issuer", "holder").filter(number=number).first()
    if document is None:
        checks.append((str(_("Found in the registry of issued documents")), False))
        return VerificationResult(Verdict.UNKNOWN, checks=checks)
    return _from_registry(document, checks)


def _partner_country(signer: x509.Certificate | None) -> str:
    if signer is None:
        return ""
    for anchor in PartnerAnchor.objects.exclude(role="root"):
        if x509.load_der_x509_certificate(bytes(anchor.der)).subject == signer.issuer:
            return anchor.country
    return ""


def _personal_signer(certificate: x509.Certificate | None) -> tuple[str, str] | None:
    """(name, national id) when ``certificate`` is a personal signature certificate."""
    if certificate is None:
        return None
    try:
        policies = certificate.extensions.get_extension_for_oid(
            x509.ExtensionOID.CERTIFICATE_POLICIES
        ).value
    except x509.ExtensionNotFound:
        return None
    if Policy.PERSON not in [p.policy_identifier for p in policies]:  # type: ignore[attr-defined]
        return None
    names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    serials = certificate.subject.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER)
    identifier = str(serials[0].value) if serials else ""
    # ETSI EN 319 412-1: "IDCML-<NINA>" — show the NINA itself.
    nina = identifier.split("-", 1)[1] if identifier.startswith("IDC") else identifier
    return (str(names[0].value) if names else ""), nina


def _sealed_after_compromise(seal: SealCheck) -> dt.datetime | None:
    """When online, our registry knows of key compromises that the document's embedded
    (sealing-time) revocation data cannot: a seal made after the compromise is not valid.
    Returns the compromise time if so."""
    # Without a trusted timestamp we cannot place the seal before the compromise.
    signed_at = seal.signing_time if seal.timestamped else None
    return _signed_after_compromise(seal.signer_certificate, signed_at)


def verify_pdf(data: bytes) -> VerificationResult:
    """Seal first (nothing is valid only because our database says so), then registry."""
    checks: list[tuple[str, bool]] = []
    try:
        seal = check_sealed_pdf(data, trust_roots=trust_roots())
    except MalformedRequest:
        checks.append((str(_("The file is a PDF of acceptable size")), False))
        return VerificationResult(Verdict.UNKNOWN, checks=checks)
    if seal.verdict in (SealVerdict.MALFORMED, SealVerdict.NOT_SEALED):
        checks.append((str(_("The file carries an electronic seal")), False))
        return VerificationResult(Verdict.UNKNOWN, seal=seal, checks=checks)
    checks.append((str(_("The file carries an electronic seal")), True))
    checks.append((str(_("The sealed content is unchanged")), seal.intact and seal.whole_document))
    if seal.verdict == SealVerdict.ALTERED:
        return VerificationResult(Verdict.ALTERED, seal=seal, checks=checks)
    checks.append((str(_("The seal comes from a trusted administration")), seal.trusted))
    if seal.verdict == SealVerdict.UNTRUSTED:
        return VerificationResult(Verdict.UNTRUSTED, seal=seal, checks=checks)
    checks.append((str(_("Timestamped by a trusted time-stamping authority")), seal.timestamped))
    checks.append((str(_("Revocation data embedded: verifiable offline")), seal.long_term))
    compromised = _sealed_after_compromise(seal)
    checks.append((str(_("Sealed before any compromise of the seal key")), compromised is None))
    if compromised is not None:
        return VerificationResult(
            Verdict.REVOKED,
            seal=seal,
            issued_at=seal.signing_time,
            checks=checks,
            revoked_at=compromised,
            revocation_reason=record_text(
                _("The seal key was compromised on %(date)s; this file was sealed after."),
                date=compromised.strftime("%Y-%m-%d %H:%M UTC"),
            ),
        )
    digest = hashlib.sha256(data).hexdigest()
    document = (
        Document.objects.select_related("issuer", "holder")
        .filter(Q(sha256=digest) | Q(printable_sha256=digest))
        .first()
    )
    if document is not None:
        return _from_registry(document, checks, seal)
    personal = _personal_signer(seal.signer_certificate)
    if personal is not None:
        name, identifier = personal
        signed_here = SigningSession.objects.filter(signed_sha256=digest).exists()
        checks.append((str(_("Signed with a personal signature certificate")), True))
        if signed_here:
            checks.append(
                (str(_("Found in the register of signatures made on this platform")), True)
            )
        return VerificationResult(
            Verdict.VALID,
            seal=seal,
            issued_at=seal.signing_time,
            checks=checks,
            title=str(_("Document signed electronically")),
            signer_name=name,
            signer_id=identifier,
            holder_name=name,
        )
    country = _partner_country(seal.signer_certificate)
    if country and country != settings.JAMANA_COUNTRY:
        subject = seal.signer_certificate.subject if seal.signer_certificate else None
        name = ""
        if subject is not None:
            names = subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)
            name = str(names[0].value) if names else ""
        checks.append(
            (str(_("Issued by a partner instance (its registry was not consulted)")), True)
        )
        return VerificationResult(
            Verdict.VALID,
            issuer_name=name,
            issuer_country=country,
            seal=seal,
            issued_at=seal.signing_time,
            checks=checks,
        )
    checks.append((str(_("Found in the registry of issued documents")), False))
    return VerificationResult(Verdict.UNKNOWN, seal=seal, checks=checks)


SEAL_VERDICTS = {
    SealReadingVerdict.TAMPERED: Verdict.ALTERED,
    SealReadingVerdict.MALFORMED: Verdict.ALTERED,
    SealReadingVerdict.UNKNOWN_ISSUER: Verdict.UNTRUSTED,
    SealReadingVerdict.EXPIRED: Verdict.EXPIRED,
}


def _organisation_name(certificate: x509.Certificate | None) -> str:
    if certificate is None:
        return ""
    names = certificate.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)
    return str(names[0].value) if names else ""


def verify_seal_text(text: str) -> VerificationResult:
    """Check a 2D seal: its signature offline against the trusted seal certificates, then,
    since we are online, the registry (revocation) and any key compromise."""
    reading = read_seal(text, trusted=trusted_seal_map(), now=timezone.now())
    checks: list[tuple[str, bool]] = [
        (str(_("The 2D seal is readable")), reading.verdict != SealReadingVerdict.MALFORMED),
    ]
    if reading.verdict in (SealReadingVerdict.MALFORMED, SealReadingVerdict.TAMPERED):
        checks.append((str(_("The 2D seal's signature matches its content")), False))
        return VerificationResult(Verdict.ALTERED, checks=checks)
    checks.append(
        (
            str(_("The 2D seal's signature matches its content")),
            reading.verdict != SealReadingVerdict.UNKNOWN_ISSUER,
        )
    )
    if reading.verdict == SealReadingVerdict.UNKNOWN_ISSUER or reading.claims is None:
        checks.append((str(_("The seal comes from a trusted administration")), False))
        return VerificationResult(Verdict.UNTRUSTED, checks=checks)
    claims = reading.claims
    checks.append((str(_("The seal comes from a trusted administration")), True))
    # What the seal itself says; the registry may add to it below.
    said = VerificationResult(
        Verdict.VALID,
        issuer_name=_organisation_name(reading.signer_certificate),
        issuer_country=claims.issuer_country,
        holder_name=f"{claims.holder_given_names} {claims.holder_family_name}".strip(),
        title=str(KINDS[claims.kind].title) if claims.kind in KINDS else claims.kind,
        issued_at=claims.issued_at,
        expires_at=claims.expires_at,
        holder_birth_date=claims.holder_birth_date,
        pdf_sha256=claims.pdf_sha256.hex(),
        checks=checks,
    )
    if reading.verdict == SealReadingVerdict.EXPIRED:
        checks.append((str(_("Within its period of validity")), False))
        return dataclasses.replace(said, verdict=Verdict.EXPIRED)
    compromised = _signed_after_compromise(reading.signer_certificate, claims.issued_at)
    if compromised is not None:
        checks.append((str(_("Sealed before any compromise of the seal key")), False))
        return dataclasses.replace(
            said,
            verdict=Verdict.REVOKED,
            revoked_at=compromised,
            revocation_reason=record_text(
                _("The seal key was compromised on %(date)s; this file was sealed after."),
                date=compromised.strftime("%Y-%m-%d %H:%M UTC"),
            ),
        )
    document = (
        Document.objects.select_related("issuer", "holder").filter(number=claims.number).first()
    )
    if document is not None and document.sha256 == claims.pdf_sha256.hex():
        return dataclasses.replace(
            _from_registry(document, checks),
            holder_birth_date=said.holder_birth_date,
            pdf_sha256=said.pdf_sha256,
        )
    if claims.issuer_country != settings.JAMANA_COUNTRY:
        checks.append(
            (str(_("Issued by a partner instance (its registry was not consulted)")), True)
        )
        return said
    checks.append((str(_("Found in the registry of issued documents")), False))
    return VerificationResult(Verdict.UNKNOWN, checks=checks)


def _signed_after_compromise(
    certificate: x509.Certificate | None, signed_at: dt.datetime | None
) -> dt.datetime | None:
    if certificate is None:
        return None
    record = CertificateRecord.objects.filter(
        serial=f"{certificate.serial_number:x}",
        revocation_reason=RevocationReason.KEY_COMPROMISE,
    ).first()
    if record is None or record.revoked_at is None:
        return None
    compromised_at = record.compromised_at or record.revoked_at
    if signed_at is None or signed_at >= compromised_at:
        return compromised_at
    return None
