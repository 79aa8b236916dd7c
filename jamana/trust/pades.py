"""PAdES sealing and validation of PDF documents, with pyHanko.

A seal is PAdES baseline B-LT: the issuer's CMS signature (ETS.RFC3161 subfilter
``ETSI.CAdES.detached``), a signature timestamp from our TSA, and a Document Security Store
holding every certificate, CRL and OCSP answer needed to validate it offline, years later.

Validation is bounded (size, number of signatures, certificates per signature, wall time):
crafted chains can make path building run for many seconds (TRUST-NOTES.md).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from io import BytesIO

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from jamana.trust.errors import MalformedRequest, TrustError

SEAL_FIELD = "JamanaSeal"
MAX_PDF_BYTES = 20 * 1024 * 1024
MAX_SIGNATURES = 8
MAX_CERTS_PER_SIGNATURE = 16
VALIDATION_SECONDS = 15.0


def to_asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


class EcdsaKeySigner(signers.Signer):
    """A pyHanko signer over a ``cryptography`` EC private key, which it only asks to sign.

    The key may be a software key or a :class:`jamana.trust.pkcs11.Pkcs11PrivateKey` whose
    ``sign()`` runs on an HSM: unlike pyHanko's ``SimpleSigner``, this signer never needs the
    private key's value. pyHanko builds the CMS; the key signs its signed attributes with
    ECDSA and the digest algorithm pyHanko chose (SHA-256 for our seals).
    """

    def __init__(
        self,
        *,
        key: ec.EllipticCurvePrivateKey,
        signing_cert: asn1_x509.Certificate,
        cert_registry: SimpleCertificateStore,
    ) -> None:
        super().__init__(signing_cert=signing_cert, cert_registry=cert_registry)
        self._key = key

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        if mechanism.signature_algo != "ecdsa":
            raise SigningError(f"an EC key cannot sign with {mechanism.signature_algo}")
        # A dry run (sizing the signature placeholder) signs too, as SimpleSigner does.
        return self._key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))


@dataclass(frozen=True)
class SealingMaterial:
    """Everything needed to seal: the seal key and certificate, its chain up to the root, a
    timestamper, and the revocation data (DER CRLs and OCSP responses) to embed."""

    certificate: x509.Certificate
    chain: Sequence[x509.Certificate]
    timestamper: TimeStamper
    trust_roots: Sequence[x509.Certificate]
    crls: Sequence[bytes] = ()
    ocsp_responses: Sequence[bytes] = ()
    signer: signers.Signer | None = None
    private_key: ec.EllipticCurvePrivateKey | None = None

    def pyhanko_signer(self) -> signers.Signer:
        """``signer`` if given, else an :class:`EcdsaKeySigner` over ``private_key`` (a
        software key or an HSM key alike: only its ``sign()`` is used)."""
        if self.signer is not None:
            return self.signer
        if self.private_key is None:
            raise TrustError("sealing material has neither a signer nor a private key")
        return EcdsaKeySigner(
            key=self.private_key,
            signing_cert=to_asn1_certificate(self.certificate),
            cert_registry=SimpleCertificateStore.from_certs(
                [to_asn1_certificate(c) for c in self.chain]
            ),
        )

    def validation_context(self, *, moment: dt.datetime | None = None) -> ValidationContext:
        return ValidationContext(
            trust_roots=[to_asn1_certificate(c) for c in self.trust_roots],
            other_certs=[to_asn1_certificate(c) for c in self.chain],
            crls=list(self.crls),
            ocsps=list(self.ocsp_responses),
            allow_fetching=False,
            revocation_mode="require",
            moment=moment,
        )


def seal_pdf(
    pdf: bytes,
    material: SealingMaterial,
    *,
    reason: str = "",
    location: str = "",
    bytes_reserved: int | None = 16384,
) -> bytes:
    """Seal ``pdf`` as PAdES B-LT and return the sealed bytes.

    ``bytes_reserved`` avoids pyHanko's dry-run signature used to size the placeholder
    (TRUST-NOTES.md). It counts hexadecimal digits: 16384 reserves 8 KiB, room for the
    ~5 KB ECDSA CMS with its chain and timestamp token.
    """
    meta = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
        embed_validation_info=True,
        use_pades_lta=False,
        validation_context=material.validation_context(),
    )
    pdf_signer = signers.PdfSigner(
        meta, signer=material.pyhanko_signer(), timestamper=material.timestamper
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    output = BytesIO()
    pdf_signer.sign_pdf(writer, output=output, bytes_reserved=bytes_reserved)
    return output.getvalue()


class SealVerdict(StrEnum):
    VALID = "valid"
    ALTERED = "altered"
    UNTRUSTED = "untrusted"
    NOT_SEALED = "not_sealed"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class SealCheck:
    """The outcome of checking one PDF's seal. ``verdict`` is the bottom line; the rest says
    what was checked."""

    verdict: SealVerdict
    intact: bool = False
    trusted: bool = False
    whole_document: bool = False
    timestamped: bool = False
    long_term: bool = False
    level: str = ""
    signer_subject: str = ""
    signer_certificate: x509.Certificate | None = None
    signing_time: dt.datetime | None = None
    problems: tuple[str, ...] = field(default_factory=tuple)


def check_sealed_pdf(
    pdf: bytes, *, trust_roots: Sequence[x509.Certificate], now: dt.datetime | None = None
) -> SealCheck:
    """Check the last seal of ``pdf`` against ``trust_roots``, offline: only the revocation data
    embedded in the document is used, so a valid answer proves the seal is long-term
    verifiable. Never raises for a bad document; raises MalformedRequest only for oversize."""
    if len(pdf) > MAX_PDF_BYTES:
        raise MalformedRequest("document too large")
    try:
        return asyncio.run(
            asyncio.wait_for(_check(pdf, trust_roots, now), timeout=VALIDATION_SECONDS)
        )
    except TimeoutError:
        return SealCheck(SealVerdict.MALFORMED, problems=("validation took too long",))


async def _check(
    pdf: bytes, trust_roots: Sequence[x509.Certificate], now: dt.datetime | None
) -> SealCheck:
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError) as exc:
        return SealCheck(SealVerdict.MALFORMED, problems=(f"not a readable PDF: {exc}",))
    if not signatures:
        return SealCheck(SealVerdict.NOT_SEALED, problems=("the PDF carries no seal",))
    if len(signatures) > MAX_SIGNATURES:
        return SealCheck(SealVerdict.MALFORMED, problems=("too many signatures",))
    embedded = signatures[-1]
    try:
        certs = embedded.signed_data["certificates"]
        if len(certs) > MAX_CERTS_PER_SIGNATURE:
            return SealCheck(SealVerdict.MALFORMED, problems=("too many certificates",))
        dss = DocumentSecurityStore.read_dss(reader)
        context = dss.as_validation_context(
            {
                "trust_roots": [to_asn1_certificate(c) for c in trust_roots],
                "allow_fetching": False,
                "revocation_mode": "require",
                "moment": now,
            }
        )
        long_term = True
    except (KeyError, ValueError, TypeError, PdfReadError):
        # No DSS: validate without revocation data so the answer can still say "intact".
        context = ValidationContext(
            trust_roots=[to_asn1_certificate(c) for c in trust_roots],
            allow_fetching=False,
            revocation_mode="soft-fail",
            moment=now,
        )
        long_term = False
    try:
        status = await async_validate_pdf_signature(
            embedded, signer_validation_context=context, ts_validation_context=context
        )
    except Exception as exc:
        return SealCheck(SealVerdict.MALFORMED, problems=(f"cannot validate: {exc}",))
    signer = status.signing_cert
    signer_certificate = x509.load_der_x509_certificate(signer.dump()) if signer else None
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and status.modification_level is not None
        and status.modification_level.name in {"NONE", "LTA_UPDATES"}
    )
    ts_status = status.timestamp_validity
    timestamped = ts_status is not None
    ts_ok = ts_status is not None and ts_status.intact and ts_status.valid
    problems: list[str] = []
    if not status.intact:
        problems.append("the signed bytes were changed")
    if not status.valid:
        problems.append("the signature does not verify")
    if not whole:
        problems.append("the document was modified after sealing")
    if not status.trusted:
        problems.append(
            "the seal certificate does not chain to a trusted root with valid revocation data"
        )
    if timestamped and not ts_ok:
        problems.append("the timestamp does not verify")
    if not status.intact or not status.valid or not whole:
        verdict = SealVerdict.ALTERED
    elif not status.trusted or (timestamped and not ts_ok):
        verdict = SealVerdict.UNTRUSTED
    else:
        verdict = SealVerdict.VALID
    long_term = long_term and status.trusted
    level = "B-LT" if (timestamped and long_term) else "B-T" if timestamped else "B-B"
    return SealCheck(
        verdict=verdict,
        intact=bool(status.intact and status.valid),
        trusted=bool(status.trusted),
        whole_document=whole,
        timestamped=timestamped,
        long_term=long_term,
        level=level,
        signer_subject=signer_certificate.subject.rfc4514_string() if signer_certificate else "",
        signer_certificate=signer_certificate,
        signing_time=ts_status.timestamp if ts_ok and ts_status else status.signer_reported_dt,
        problems=tuple(problems),
    )
