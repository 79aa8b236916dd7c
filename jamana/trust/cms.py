"""Detached CMS signatures over arbitrary bytes (CAdES baseline B-T), with pyHanko.

What a citizen signs when applying to a public call is the canonical JSON of the application,
not a PDF: a detached CMS ``SignedData`` costs a few milliseconds where a PAdES seal costs ~50,
and tens of thousands of people sign in the last hour before a deadline. The signature is the
RFC 5652 / ETSI EN 319 122-1 structure any CMS tool checks (``openssl cms -verify -binary
-content``): SHA-256, signed attributes ``content-type`` (id-data), ``message-digest``,
``signing-time`` and ESS ``signing-certificate-v2``, the signer's certificate chain, and as an
unsigned attribute an RFC 3161 signature time-stamp token from our TSA over the signature value.

pyHanko builds the signature and does all the checking; the key only signs the DER of the
signed attributes (an :class:`~jamana.trust.pades.EcdsaKeySigner`, so the key may live in a
PKCS#11 HSM). Only the timestamp token is put in place here, at the DER level (see ``_sign``).

Verification follows ETSI EN 319 102-1 "validation with time" (pyHanko's AdES processes): the
timestamp proves when the signature existed, so a certificate revoked *after* that moment
(a citizen who loses the phone the next day) leaves the signature valid, while one revoked
before it does not. Signatures and contents are untrusted input: their size, the number of
certificates and timestamp tokens, network fetches and the wall time are bounded
(TRUST-NOTES.md: crafted chains can make path building run for many seconds).

Revocation is always required (``revocation_mode='require'``) for the signer's and the TSA's
certificate chains. Online, CRLs and OCSP answers are fetched from the URLs in certificates that
chain to a trust root; certificates are never fetched (no AIA ``caIssuers`` chasing), so a
crafted signature cannot make us request an address of its choosing. Offline
(``allow_fetching=False``), only the CRLs and OCSP answers passed in are used.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import cms, core
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import parser as asn1_parser
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate, AdESPassed, AdESSubIndic
from pyhanko.sign.general import (
    CMSExtractionError,
    MultivaluedAttributeError,
    NonexistentAttributeError,
    SigningError,
    extract_certificate_info,
    find_cms_attribute_iter,
    find_unique_cms_attribute,
)
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError, handle_tsp_response
from pyhanko.sign.validation.ades import (
    AdESBasicValidationResult,
    ades_basic_validation,
    ades_with_time_validation,
)
from pyhanko.sign.validation.generic_cms import validate_sig_integrity
from pyhanko.sign.validation.policy_decl import (
    CertificateFetchingRule,
    LocalKnowledge,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import StandardCMSSignatureStatus
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
from pyhanko_certvalidator.fetchers.api import FetchLimits
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer, OCSPContainer

from jamana.trust.errors import MalformedRequest, TrustError
from jamana.trust.pades import SealingMaterial, to_asn1_certificate

__all__ = [
    "FETCH_SECONDS",
    "MAX_CERTS_PER_SIGNATURE",
    "MAX_CONTENT_BYTES",
    "MAX_SIGNATURE_BYTES",
    "MAX_TIMESTAMP_TOKENS",
    "VALIDATION_SECONDS",
    "DetachedSignatureReport",
    "sign_detached",
    "verify_detached",
]

#: Largest content signed or verified. An application's canonical JSON is a few KiB; the
#: digest is cheap, but nothing legitimate comes near this.
MAX_CONTENT_BYTES = 16 * 1024 * 1024
#: Largest DER signature verified. Ours is ~5 KB (three certificates, a timestamp token with
#: two more); 64 KiB leaves room for a longer foreign chain and nothing else.
MAX_SIGNATURE_BYTES = 64 * 1024
#: Certificates accepted in the signature, and again in each timestamp token.
MAX_CERTS_PER_SIGNATURE = 16
#: Signature timestamp tokens accepted (B-T has one; a second TSA is conceivable).
MAX_TIMESTAMP_TOKENS = 2
#: Wall-time bound of one verification, fetches included.
VALIDATION_SECONDS = 15.0
#: Time allowed to each CRL or OCSP request when fetching.
FETCH_SECONDS = 5.0
# CRL and OCSP requests allowed per verification: signer, its CA, the TSA and its CA, each
# possibly tried by OCSP and then by CRL, with some slack.
_MAX_FETCHES = 12

# SHA-256 for P-256 keys, as the seals (ETSI TS 119 312). Verification also accepts the longer
# SHA-2 digests a foreign signer may use with a larger key.
_DIGEST_ALGORITHM = "sha256"
_ACCEPTED_DIGESTS = frozenset({"sha256", "sha384", "sha512"})

# Signing commits the citizen (or the administration) to the content: the certificate must
# assert non-repudiation (content commitment), as our PERSON and SEAL profiles do.
_KEY_USAGE = KeyUsageConstraints(key_usage={"non_repudiation"})

_PROBLEMS: dict[AdESSubIndic, str] = {
    AdESFailure.FORMAT_FAILURE: "the signature is not a well-formed CAdES signature",
    AdESFailure.HASH_FAILURE: "the content does not match the signature (digest differs)",
    AdESFailure.SIG_CRYPTO_FAILURE: "the signature value does not verify",
    AdESFailure.REVOKED: "the signer certificate was revoked before the signature was made",
    AdESFailure.NOT_YET_VALID: "the signer certificate was not yet valid at signing time",
    AdESIndeterminate.NO_SIGNING_CERTIFICATE_FOUND: (
        "the signer certificate is missing or does not match the signing-certificate attribute"
    ),
    AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND: (
        "the signer certificate does not chain to a trusted root"
    ),
    AdESIndeterminate.REVOKED_NO_POE: (
        "the signer certificate is revoked and nothing proves the signature was made before "
        "(no timestamp, or a later one)"
    ),
    AdESIndeterminate.REVOKED_CA_NO_POE: "a CA certificate of the signer's chain is revoked",
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE: (
        "the signer certificate is outside its validity period and nothing proves the "
        "signature was made within it"
    ),
    AdESIndeterminate.EXPIRED: "the signer certificate had expired when the signature was made",
    AdESIndeterminate.NOT_YET_VALID: "the signer certificate was not yet valid at signing time",
    AdESIndeterminate.TRY_LATER: (
        "no usable revocation data (CRL or OCSP answer) for a certificate of the chain"
    ),
    AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE: (
        "the certificate chain is not acceptable, or the signer certificate may not sign "
        "(it must assert non-repudiation)"
    ),
    AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE: (
        "the certificate chain could not be validated (most often: no usable CRL or OCSP "
        "answer for one of its certificates)"
    ),
    AdESIndeterminate.SIG_CONSTRAINTS_FAILURE: "the signature does not meet the constraints",
    AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE: "an algorithm used is no longer acceptable",
    AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE_NO_POE: (
        "an algorithm used is no longer acceptable"
    ),
    AdESIndeterminate.TIMESTAMP_ORDER_FAILURE: "the timestamps are not in a consistent order",
}


def sign_detached(data: bytes, material: SealingMaterial) -> bytes:
    """Sign ``data`` with ``material`` and return a detached CMS signature (CAdES B-T), DER.

    The ``SignedData`` has no encapsulated content (verify it with the content alongside), a
    SHA-256 digest, the signed attributes content-type (id-data), message-digest, signing-time
    (now, UTC) and signing-certificate-v2, the certificate of ``material`` and its ``chain``,
    and a signature timestamp from ``material.timestamper``. A material whose ``timestamper``
    is ``None`` gives a B-B signature, without timestamp: its signing time is then only the
    signer's claim, which is worth little against a deadline.

    Only ``material.pyhanko_signer()`` signs, so the key may be on an HSM. The result is
    checked against the certificate's public key before it is returned: a key that does not
    match the certificate, or an HSM that signs the wrong bytes, fails here rather than
    in front of a relying party after the deadline. The call blocks (``asyncio.run``): do not
    call it from a running event loop.

    :param data: the exact bytes signed (for an application, its canonical JSON).
    :param material: the signer's certificate, chain, key or signer, and timestamper; its
        revocation data and trust roots are not used.
    :return: the DER ``ContentInfo`` of the ``SignedData`` (a ``.p7s`` file).
    :raises MalformedRequest: if ``data`` is longer than :data:`MAX_CONTENT_BYTES`.
    :raises TrustError: if the material cannot sign, the TSA refuses or fails, or the
        signature made does not verify with the certificate.
    """
    if len(data) > MAX_CONTENT_BYTES:
        raise MalformedRequest("content too large to sign")
    try:
        der = asyncio.run(_sign(data, material))
    except (SigningError, TimestampRequestError) as exc:
        raise TrustError(f"cannot sign: {exc}") from exc
    _check_own_signature(der, data, material)
    return der


async def _sign(data: bytes, material: SealingMaterial) -> bytes:
    signer = material.pyhanko_signer()
    untimestamped = await signer.async_sign_general_data(
        data,
        _DIGEST_ALGORITHM,
        detached=True,
        use_cades=True,  # signing-certificate-v2 and signing-time, as CAdES requires
        # Explicit UTC: pyHanko would otherwise take the host's local zone.
        signed_attr_settings=PdfCMSSignedAttributes(signing_time=dt.datetime.now(dt.UTC)),
    )
    der: bytes = untimestamped.dump()
    if material.timestamper is None:
        return der
    # The signature timestamp pyHanko adds when given ``timestamper=`` (its TSTProvider: a
    # token over the signature value, ETSI EN 319 122-1 §5.3), added here at the DER level.
    # asn1crypto 1.5.1 mistakes any definite length whose last byte is 0x80 for an indefinite
    # one and then re-encodes that value from scratch (wbond/asn1crypto#249); below an ESS
    # signing-certificate-v2, whose DEFAULT hashAlgorithm it rebuilds as a new value, every
    # re-encoding triggers more, level after level. With pyHanko assembling the token into the
    # SignerInfo, 27 B-T signatures in 60 took 0.1 to 4 s (up to 80 s seen) instead of 10 ms;
    # with that length check corrected, none. Splicing bytes never re-encodes the token.
    # Once asn1crypto is fixed, ``timestamper=material.timestamper`` above does the same.
    signature_value = cms.ContentInfo.load(der)["content"]["signer_infos"][0]["signature"]
    token_der = await _timestamp_token(material.timestamper, signature_value.native)
    return _with_unsigned_attribute(der, _SIGNATURE_TIME_STAMP_TOKEN, token_der)


async def _timestamp_token(timestamper: TimeStamper, signature_value: bytes) -> bytes:
    """The DER timestamp token of ``timestamper`` over ``signature_value`` (SHA-256), checked
    as ``TimeStamper.async_timestamp`` checks it (status granted, nonce echoed)."""
    nonce, request = timestamper.request_cms(
        hashlib.sha256(signature_value).digest(), _DIGEST_ALGORITHM
    )
    response = await timestamper.async_request_tsa_response(request)
    # The bytes as received (``contents`` of an untouched value), not a dump() (see _sign).
    response_der = asn1_parser.emit(
        response.class_, response.method, response.tag, response.contents
    )
    handle_tsp_response(type(response).load(response_der), nonce)
    parts = _elements(asn1_parser.parse(response_der)[4])
    if len(parts) != 2:  # TimeStampResp ::= SEQUENCE { status, timeStampToken OPTIONAL }
        raise TrustError("the time-stamp authority granted no token")
    return parts[1]


# id-aa-signatureTimeStampToken (RFC 3161 appendix A), as DER.
_SIGNATURE_TIME_STAMP_TOKEN = core.ObjectIdentifier("1.2.840.113549.1.9.16.2.14").dump()


def _elements(contents: bytes) -> list[bytes]:
    """The DER encodings of the values that make up ``contents`` (of a SEQUENCE or SET)."""
    elements = []
    while contents:
        length = asn1_parser.peek(contents)
        elements.append(contents[:length])
        contents = contents[length:]
    return elements


def _with_unsigned_attribute(content_info: bytes, attribute_type: bytes, value: bytes) -> bytes:
    """``content_info`` (our DER SignedData, one signer without unsigned attributes) with an
    unsigned attribute of ``attribute_type`` (DER OID) and single ``value`` (DER) added."""

    def rebuild(encoding: bytes, contents: bytes) -> bytes:
        class_, method, tag, _header, _contents, _trailer = asn1_parser.parse(encoding)
        return asn1_parser.emit(class_, method, tag, contents)

    # ContentInfo ::= SEQUENCE { contentType, content [0] EXPLICIT SignedData }
    content_type, explicit = _elements(asn1_parser.parse(content_info)[4])
    signed_data = asn1_parser.parse(explicit)[4]
    # SignedData ::= SEQUENCE { ..., signerInfos SET OF SignerInfo } (always last)
    *head, signer_infos = _elements(asn1_parser.parse(signed_data)[4])
    (signer_info,) = _elements(asn1_parser.parse(signer_infos)[4])
    # SignerInfo ::= SEQUENCE { ..., signature OCTET STRING, unsignedAttrs [1] IMPLICIT OPTIONAL }
    fields = _elements(asn1_parser.parse(signer_info)[4])
    if asn1_parser.parse(fields[-1])[:3] != (0, 0, 4):
        raise TrustError("the signer info already has unsigned attributes")
    attribute = asn1_parser.emit(0, 1, 16, attribute_type + asn1_parser.emit(0, 1, 17, value))
    unsigned_attrs = asn1_parser.emit(2, 1, 1, attribute)  # [1] IMPLICIT SET OF, one element
    signer_info = rebuild(signer_info, b"".join([*fields, unsigned_attrs]))
    signed_data = rebuild(signed_data, b"".join([*head, rebuild(signer_infos, signer_info)]))
    return rebuild(content_info, content_type + rebuild(explicit, signed_data))


def _check_own_signature(der: bytes, data: bytes, material: SealingMaterial) -> None:
    # Reparsed from the bytes we hand out, so the check covers exactly those.
    signer_info = cms.ContentInfo.load(der)["content"]["signer_infos"][0]
    intact, valid = validate_sig_integrity(
        signer_info,
        to_asn1_certificate(material.certificate),
        expected_content_type="data",
        actual_digest=hashlib.sha256(data).digest(),
    )
    if not (intact and valid):
        raise TrustError("the signature made does not verify with the signer certificate")


@dataclass(frozen=True)
class DetachedSignatureReport:
    """What :func:`verify_detached` found. ``valid`` is the bottom line; the rest says why.

    :ivar valid: the signature is intact, its certificate chains to a trust root, and the
        certificate was good (within its validity, not revoked) when the signature was made —
        at the timestamp's time when there is a valid timestamp, at the validation moment
        otherwise — and the timestamp, if any, verifies.
    :ivar intact: the content's digest matches the message-digest attribute and the
        signature over the signed attributes verifies with the signer certificate.
    :ivar trusted: the signer certificate chains to one of the trust roots, with
        revocation data showing it good at signing time (as for ``valid``).
    :ivar signer_subject: the signer certificate's subject as an RFC 4514 string, ``""`` when
        no signer certificate could be read.
    :ivar signer_serial: its serial number, ``0`` when unknown (serials are positive).
    :ivar signed_at: the time of the signature timestamp when ``timestamped``, else the
        signing-time attribute (the signer's own claim), else ``None``.
    :ivar timestamped: the signature carries a timestamp token that verifies (intact, from a
        TSA whose certificate chains to a trust root) and covers this signature value.
    :ivar problems: human-readable reasons, empty when ``valid``; not for branching on.
    """

    valid: bool
    intact: bool
    trusted: bool
    signer_subject: str
    signer_serial: int
    signed_at: dt.datetime | None
    timestamped: bool
    problems: tuple[str, ...]


def verify_detached(
    data: bytes,
    signature: bytes,
    *,
    trust_roots: Sequence[x509.Certificate],
    moment: dt.datetime | None = None,
    allow_fetching: bool = True,
    other_certs: Sequence[x509.Certificate] = (),
    crls: Sequence[bytes] = (),
    ocsp_responses: Sequence[bytes] = (),
) -> DetachedSignatureReport:
    """Verify the detached CMS ``signature`` over ``data`` against ``trust_roots``.

    The signature must be a DER ``ContentInfo`` holding a ``SignedData`` with one signer, no
    encapsulated content, content type id-data and the signer's certificate (made by
    :func:`sign_detached` or any CAdES/CMS tool). The signer certificate must assert
    non-repudiation. Revocation data is required for every certificate of the signer's chain
    and of the TSA's chain, except the roots. With a valid timestamp, the signer certificate
    only needs to have been good at the timestamp's time (ETSI EN 319 102-1 validation with
    time): a revocation after it does not invalidate the signature.

    Never raises for a bad signature: a malformed one, one with more certificates or timestamp
    tokens than allowed, or one that cannot be validated within :data:`VALIDATION_SECONDS`
    gives ``valid=False`` with a problem. Blocks (``asyncio.run``): do not call it from a
    running event loop.

    :param data: the bytes that were signed.
    :param signature: the DER signature (a ``.p7s`` file).
    :param trust_roots: the root certificates to trust, at least one (never the operating
        system's list).
    :param moment: the time at which to validate, timezone-aware; ``None`` for now. A past
        moment is a historical validation: nothing is fetched, so ``crls`` and
        ``ocsp_responses`` must cover that moment.
    :param allow_fetching: fetch CRLs and OCSP answers over HTTP from the URLs of the
        certificates that chain to a trust root (each request bounded by
        :data:`FETCH_SECONDS`). ``False`` is the offline mode: only ``crls`` and
        ``ocsp_responses`` are used, and without them no signature is trusted.
    :param other_certs: intermediate certificates to use besides those in the signature.
    :param crls: DER CRLs to use.
    :param ocsp_responses: DER OCSP responses to use.
    :return: the report; ``valid`` is the bottom line.
    :raises MalformedRequest: if ``data`` or ``signature`` exceeds :data:`MAX_CONTENT_BYTES`
        or :data:`MAX_SIGNATURE_BYTES`.
    :raises ValueError: if ``trust_roots`` is empty, ``moment`` is naive, or a CRL or OCSP
        response passed in is not DER.
    """
    if len(data) > MAX_CONTENT_BYTES:
        raise MalformedRequest("content too large")
    if len(signature) > MAX_SIGNATURE_BYTES:
        raise MalformedRequest("signature too large")
    if not trust_roots:
        # pyHanko would fall back to the operating system's TLS roots.
        raise ValueError("at least one trust root is needed")
    if moment is not None and moment.utcoffset() is None:
        raise ValueError("moment must be timezone-aware")
    knowledge = LocalKnowledge(
        known_crls=[CRLContainer(_load_crl(der)) for der in crls],
        # One container per SingleResponse: a response may answer for several certificates.
        known_ocsps=[
            container
            for der in ocsp_responses
            for container in OCSPContainer.load_multi(_load_ocsp(der))
        ],
        known_certs=[to_asn1_certificate(c) for c in other_certs],
    )
    roots = [to_asn1_certificate(c) for c in trust_roots]
    try:
        return asyncio.run(
            asyncio.wait_for(
                _verify(data, signature, roots, moment, allow_fetching, knowledge),
                timeout=VALIDATION_SECONDS,
            )
        )
    except TimeoutError:
        return _failed("validation took too long")


def _load_crl(der: bytes) -> asn1_crl.CertificateList:
    try:
        value = asn1_crl.CertificateList.load(der, strict=True)
        value.native  # noqa: B018 — asn1crypto parses lazily: fail here, not mid-validation
    except Exception as exc:  # asn1crypto raises ValueError, TypeError, OverflowError…
        raise ValueError(f"not a DER CRL: {exc}") from None
    return value


def _load_ocsp(der: bytes) -> asn1_ocsp.OCSPResponse:
    try:
        value = asn1_ocsp.OCSPResponse.load(der, strict=True)
        value.native  # noqa: B018
    except Exception as exc:
        raise ValueError(f"not a DER OCSP response: {exc}") from None
    return value


@dataclass(frozen=True)
class _Parsed:
    signed_data: cms.SignedData
    digest_algorithm: str
    signer_subject: str
    signer_serial: int
    signer_not_before: dt.datetime
    signer_not_after: dt.datetime
    signing_time: dt.datetime | None
    timestamp_tokens: int


def _parse(signature: bytes) -> _Parsed | str:
    """The parts of ``signature`` validation needs, or why it is not a signature we check."""
    try:
        content_info = cms.ContentInfo.load(signature, strict=True)
        content_type = content_info["content_type"].native
    except Exception as exc:  # asn1crypto raises ValueError, TypeError, OverflowError…
        return f"not a DER CMS ContentInfo: {exc}"
    if content_type != "signed_data":
        return "not a CMS SignedData"
    try:
        return _read(content_info["content"])
    except Exception as exc:
        # asn1crypto parses lazily, so a malformed inner value shows up only when read. Not
        # walked eagerly with .native: on a SignedData that can cost seconds (asn1crypto
        # re-encodes as it goes, see _sign) and it may alter what pyHanko then verifies.
        return f"malformed CMS SignedData: {exc}"


def _read(signed_data: cms.SignedData) -> _Parsed | str:
    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) != 1:
        return "the signature must have exactly one signer"
    signer_info: cms.SignerInfo = signer_infos[0]
    encapsulated = signed_data["encap_content_info"]
    if encapsulated["content_type"].native != "data":
        return "the signed content type must be id-data"
    if encapsulated["content"].native is not None:
        return "the signature is not detached (it encapsulates content)"
    if len(signed_data["certificates"]) > MAX_CERTS_PER_SIGNATURE:
        return "too many certificates"
    tokens = list(
        find_cms_attribute_iter(signer_info["unsigned_attrs"], "signature_time_stamp_token")
    )
    if len(tokens) > MAX_TIMESTAMP_TOKENS:
        return "too many timestamp tokens"
    for token in tokens:
        if token["content_type"].native != "signed_data":
            return "a timestamp token is not a CMS SignedData"
        if len(token["content"]["certificates"]) > MAX_CERTS_PER_SIGNATURE:
            return "too many certificates in a timestamp token"
    digest_algorithm = signer_info["digest_algorithm"]["algorithm"].native
    if digest_algorithm not in _ACCEPTED_DIGESTS:
        return f"digest algorithm {digest_algorithm} is not accepted"
    try:
        signer = extract_certificate_info(signed_data).signer_cert
        certificate = x509.load_der_x509_certificate(signer.dump())
    except (CMSExtractionError, ValueError):
        return "the signer certificate is missing or unreadable"
    try:
        signing_time = find_unique_cms_attribute(signer_info["signed_attrs"], "signing_time").native
    except (NonexistentAttributeError, MultivaluedAttributeError):
        signing_time = None
    return _Parsed(
        signed_data=signed_data,
        digest_algorithm=digest_algorithm,
        signer_subject=certificate.subject.rfc4514_string(),
        signer_serial=certificate.serial_number,
        signer_not_before=certificate.not_valid_before_utc,
        signer_not_after=certificate.not_valid_after_utc,
        signing_time=signing_time,
        timestamp_tokens=len(tokens),
    )


async def _verify(
    data: bytes,
    signature: bytes,
    roots: list[asn1_x509.Certificate],
    moment: dt.datetime | None,
    allow_fetching: bool,
    knowledge: LocalKnowledge,
) -> DetachedSignatureReport:
    parsed = _parse(signature)
    if isinstance(parsed, str):
        return _failed(parsed)
    backend = (
        AIOHttpFetcherBackend(
            per_request_timeout=FETCH_SECONDS,
            # No certificate fetches at all (also refused by the rule below): their URLs come
            # straight from whoever made the signature.
            limits=FetchLimits(max_requests=_MAX_FETCHES, max_cert_requests=0),
        )
        if allow_fetching
        else None
    )
    spec = SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(trust_roots=roots),
            # 'require': every non-root certificate needs a CRL or an OCSP answer (with
            # 'hard-fail' a certificate naming no revocation source would pass unchecked).
            revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy.from_legacy("require")),
        ),
        revinfo_gathering_policy=RevocationInfoGatheringSpec(
            online_fetching_rule=(
                RevinfoOnlineFetchingRule.NO_HISTORICAL_FETCH
                if allow_fetching
                else RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
            fetcher_backend=backend,
            certificate_fetching_rule=CertificateFetchingRule.NEVER_FETCH,
        ),
        local_knowledge=knowledge,
        key_usage_settings=_KEY_USAGE,
    )
    timing = (
        ValidationTimingInfo.now()
        if moment is None
        else ValidationTimingInfo(
            validation_time=moment, best_signature_time=moment, point_in_time_validation=True
        )
    )
    raw_digest = hashlib.new(parsed.digest_algorithm, data).digest()
    result: AdESBasicValidationResult[StandardCMSSignatureStatus]
    try:
        if parsed.timestamp_tokens:
            result = await ades_with_time_validation(
                parsed.signed_data, spec, timing_info=timing, raw_digest=raw_digest
            )
        else:
            result = await ades_basic_validation(
                parsed.signed_data, spec, timing_info=timing, raw_digest=raw_digest
            )
    except Exception as exc:
        # pyHanko and certvalidator raise many types on crafted input; whatever it is, the
        # signature did not verify.
        return _failed(f"cannot validate: {exc}", parsed)
    finally:
        if backend is not None:
            await backend.close()
    return _report(result, parsed)


def _report(
    result: AdESBasicValidationResult[StandardCMSSignatureStatus], parsed: _Parsed
) -> DetachedSignatureReport:
    status = result.api_status
    intact = status is not None and status.intact and status.valid
    trusted = status is not None and status.trusted
    ts = status.timestamp_validity if status is not None else None
    timestamped = ts is not None and ts.intact and ts.valid and ts.trusted
    signed_at = ts.timestamp if ts is not None and timestamped else parsed.signing_time
    passed = result.ades_subindic is AdESPassed.OK
    problems: list[str] = []
    if not passed:
        if parsed.timestamp_tokens and intact and trusted and not timestamped:
            # The signer passed; what failed is the timestamp (pyHanko reports its indication).
            name = result.ades_subindic.standard_name
            problem = f"the signature timestamp does not verify ({name})"
        else:
            problem = _PROBLEMS.get(
                result.ades_subindic, f"validation failed ({result.ades_subindic.standard_name})"
            )
        if status is not None and status.revocation_details is not None:
            problem += f"; revoked on {status.revocation_details.revocation_date.isoformat()}"
        if result.failure_msg:
            problem += f": {result.failure_msg}"
        problems.append(problem)
    elif ts is not None and timestamped:
        # pyHanko 0.38's validation with time only compares the timestamp with the revocation
        # date of the signer certificate and with its notBefore: a revoked CA certificate
        # (REVOKED_CA_NO_POE) or a certificate already expired when it signed would pass. Both
        # facts are in its status; the timestamp must precede them (ETSI EN 319 102-1 §5.5.4).
        revocation = status.revocation_details if status is not None else None
        if revocation is not None and revocation.revocation_date <= ts.timestamp:
            whose = "a CA certificate of the chain" if revocation.ca_revoked else "the certificate"
            problems.append(
                f"{whose} was revoked on {revocation.revocation_date.isoformat()}, "
                "before the signature was timestamped"
            )
            trusted = False
        if not parsed.signer_not_before <= ts.timestamp <= parsed.signer_not_after:
            problems.append("the signer certificate was not valid when the signature was made")
            trusted = False
    return DetachedSignatureReport(
        valid=passed and intact and trusted and (timestamped or not parsed.timestamp_tokens),
        intact=intact,
        trusted=trusted,
        signer_subject=parsed.signer_subject,
        signer_serial=parsed.signer_serial,
        signed_at=signed_at,
        timestamped=timestamped,
        problems=tuple(problems),
    )


def _failed(problem: str, parsed: _Parsed | None = None) -> DetachedSignatureReport:
    return DetachedSignatureReport(
        valid=False,
        intact=False,
        trusted=False,
        signer_subject=parsed.signer_subject if parsed else "",
        signer_serial=parsed.signer_serial if parsed else 0,
        signed_at=parsed.signing_time if parsed else None,
        timestamped=False,
        problems=(problem,),
    )
