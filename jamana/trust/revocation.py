"""Revocation services: CRLs (RFC 5280 §5) and an OCSP responder (RFC 6960).

Both are thin, strict layers over ``cryptography``: this module decides *what* goes into a CRL
or an OCSP answer; ``cryptography`` does all the encoding and asks the key to sign (a software
key, or a :class:`jamana.trust.pkcs11.Pkcs11PrivateKey` that signs on its HSM token).

* :func:`build_crl` issues a complete (not delta) CRL for one CA, with the CRL number and
  authority key identifier extensions and a reason code per entry.
* :class:`OcspResponder` answers OCSP requests for one or more CAs, each through a delegated
  responder certificate (RFC 6960 §4.2.2.2). It never raises on bad input: whatever the bytes,
  it returns an ``OCSPResponse`` — unsuccessful (``malformedRequest``, ``unauthorized``,
  ``internalError``) when it cannot give a signed answer.

Where a certificate stands is not this module's business: the responder asks a ``lookup``
callable (the documents/PKI registry in the platform, a dictionary in tests).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed448, ed25519
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from jamana.trust.errors import MalformedRequest

__all__ = [
    "MAX_REQUEST_SIZE",
    "CertStatus",
    "OcspResponder",
    "ResponderIdentity",
    "RevokedEntry",
    "build_crl",
]

logger = logging.getLogger(__name__)

#: Largest OCSP request :meth:`OcspResponder.respond` parses. A request for one certificate is
#: about 100 bytes (a few KiB if signed with its certificates); anything far larger is abuse.
MAX_REQUEST_SIZE = 64 * 1024

# RFC 5280 §5.2.3: a CRL number is at most 20 octets; as a positive DER INTEGER that leaves
# 159 bits.
_MAX_CRL_NUMBER = 2**159 - 1

# RFC 8954 §2.1: a responder MUST reject a nonce longer than 128 octets.
_MAX_NONCE_LENGTH = 128

# The CertID hash algorithms cryptography's OCSPResponseBuilder accepts; we match (and echo)
# any of them. OpenSSL sends SHA-1 by default and SHA-256 with ``-sha256``.
_CERT_ID_ALGORITHMS: tuple[type[hashes.HashAlgorithm], ...] = (
    hashes.SHA1,
    hashes.SHA224,
    hashes.SHA256,
    hashes.SHA384,
    hashes.SHA512,
)


# --------------------------------------------------------------------------------------------
# Shared validation


def _utc_seconds(value: dt.datetime, what: str) -> dt.datetime:
    """``value`` in UTC without microseconds (CRL and OCSP times have whole seconds).

    Raises ValueError for a naive datetime: a revocation time without a zone is ambiguous.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")
    return value.astimezone(dt.UTC).replace(microsecond=0)


def _check_reason(reason: x509.ReasonFlags) -> None:
    if not isinstance(reason, x509.ReasonFlags):
        raise TypeError("reason must be an x509.ReasonFlags member")
    # removeFromCRL only has a meaning in delta CRLs (RFC 5280 §5.3.1), which we do not issue;
    # as a "revoked" answer it would contradict itself.
    if reason is x509.ReasonFlags.remove_from_crl:
        raise ValueError("removeFromCRL is not a reason to revoke a certificate")


def _encoded_reason(reason: x509.ReasonFlags) -> x509.ReasonFlags | None:
    # RFC 5280 §5.3.1: the reason code SHOULD be absent rather than "unspecified".
    return None if reason is x509.ReasonFlags.unspecified else reason


def _signature_hash(key: CertificateIssuerPrivateKeyTypes) -> hashes.SHA256 | None:
    # EdDSA keys carry their own hash; cryptography wants None for them.
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return None
    return hashes.SHA256()


def _same_public_key(key: CertificateIssuerPrivateKeyTypes, certificate: x509.Certificate) -> bool:
    spki = (Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return key.public_key().public_bytes(*spki) == certificate.public_key().public_bytes(*spki)


def _key_usage(certificate: x509.Certificate) -> x509.KeyUsage | None:
    try:
        return certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None


# --------------------------------------------------------------------------------------------
# CRLs


@dataclass(frozen=True)
class RevokedEntry:
    """One revoked certificate in a CRL.

    ``serial_number`` is the certificate's serial (positive), ``revoked_at`` the timezone-aware
    revocation time (truncated to whole seconds in the CRL), ``reason`` an RFC 5280 reason code.
    ``ReasonFlags.unspecified`` is encoded by omitting the reason code extension, as RFC 5280
    §5.3.1 recommends; ``ReasonFlags.remove_from_crl`` (delta CRLs only) is refused.

    Raises:
        ValueError: non-positive serial, naive ``revoked_at`` or ``remove_from_crl``.
    """

    serial_number: int
    revoked_at: dt.datetime
    reason: x509.ReasonFlags = x509.ReasonFlags.unspecified

    def __post_init__(self) -> None:
        if self.serial_number <= 0:
            raise ValueError("a certificate serial number is positive (RFC 5280 §4.1.2.2)")
        _utc_seconds(self.revoked_at, "revoked_at")
        _check_reason(self.reason)


def build_crl(
    *,
    issuer_certificate: x509.Certificate,
    issuer_key: CertificateIssuerPrivateKeyTypes,
    revoked: Iterable[RevokedEntry],
    crl_number: int,
    this_update: dt.datetime,
    next_update: dt.datetime,
) -> bytes:
    """Build and sign a complete CRL for the CA ``issuer_certificate``; return its DER.

    The CRL carries the CRL number (RFC 5280 §5.2.3) and an authority key identifier copied
    from the issuer's subject key identifier (§5.2.1, computed from its key when the issuer has
    none), is signed with ECDSA/RSA-SHA-256 (or EdDSA for EdDSA keys), and lists ``revoked``
    sorted by serial number, each with its revocation date and reason code (§5.3.1). An empty
    ``revoked`` gives a valid empty CRL. Times are truncated to whole seconds.

    ``crl_number`` must grow with every CRL the CA issues (the caller keeps the counter: it
    needs durable storage, which this library does not have).

    Raises:
        ValueError: the key does not belong to the certificate, the certificate may not sign
            CRLs (a key usage without ``cRLSign``), a CRL number outside 0..2**159-1, naive
            times, ``next_update`` not after ``this_update``, or a serial listed twice.
    """
    if not _same_public_key(issuer_key, issuer_certificate):
        raise ValueError("issuer_key does not match issuer_certificate")
    key_usage = _key_usage(issuer_certificate)
    if key_usage is not None and not key_usage.crl_sign:
        raise ValueError("the issuer certificate's key usage does not allow cRLSign")
    if not 0 <= crl_number <= _MAX_CRL_NUMBER:
        raise ValueError("a CRL number is a non-negative integer of at most 20 octets")
    this_update = _utc_seconds(this_update, "this_update")
    next_update = _utc_seconds(next_update, "next_update")
    if next_update <= this_update:
        raise ValueError("next_update must be after this_update")

    entries = sorted(revoked, key=lambda entry: entry.serial_number)
    serials = [entry.serial_number for entry in entries]
    if len(set(serials)) != len(serials):
        raise ValueError("a serial number is listed twice")

    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer_certificate.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(crl_number), critical=False)
        .add_extension(_authority_key_identifier(issuer_certificate), critical=False)
    )
    for entry in entries:
        revoked_builder = (
            x509.RevokedCertificateBuilder()
            .serial_number(entry.serial_number)
            .revocation_date(_utc_seconds(entry.revoked_at, "revoked_at"))
        )
        reason = _encoded_reason(entry.reason)
        if reason is not None:
            revoked_builder = revoked_builder.add_extension(x509.CRLReason(reason), critical=False)
        builder = builder.add_revoked_certificate(revoked_builder.build())
    crl = builder.sign(issuer_key, _signature_hash(issuer_key))
    return crl.public_bytes(Encoding.DER)


def _authority_key_identifier(issuer: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    # Copy the issuer's SKI rather than recompute it: relying parties match the two bytewise,
    # and a CA's SKI need not be the RFC 5280 method-1 hash.
    try:
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer.public_key()  # type: ignore[arg-type]
        )
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


# --------------------------------------------------------------------------------------------
# OCSP


@dataclass(frozen=True)
class CertStatus:
    """What the responder says about one certificate: good, revoked or unknown.

    Use the constants :attr:`GOOD` and :attr:`UNKNOWN` and the constructor
    :meth:`revoked`; ``kind`` is cryptography's ``OCSPCertStatus``. ``revoked_at`` and
    ``reason`` are set only for a revoked certificate. As in CRLs, ``ReasonFlags.unspecified``
    is sent without a ``revocationReason``.

    Per RFC 6960 §2.2, *unknown* means the responder knows nothing about the serial number
    (an issuer it serves but a serial it never saw). §2.2's alternative for never-issued
    serials ("revoked" with the extended revoked definition extension) is not implemented.
    """

    kind: ocsp.OCSPCertStatus
    revoked_at: dt.datetime | None = None
    reason: x509.ReasonFlags | None = None

    GOOD: ClassVar[CertStatus]
    UNKNOWN: ClassVar[CertStatus]

    def __post_init__(self) -> None:
        if self.kind is ocsp.OCSPCertStatus.REVOKED:
            if self.revoked_at is None or self.reason is None:
                raise ValueError("a revoked status needs revoked_at and reason")
            _utc_seconds(self.revoked_at, "revoked_at")
            _check_reason(self.reason)
        elif self.revoked_at is not None or self.reason is not None:
            raise ValueError("only a revoked status has revoked_at and reason")

    @classmethod
    def revoked(
        cls, revoked_at: dt.datetime, reason: x509.ReasonFlags = x509.ReasonFlags.unspecified
    ) -> CertStatus:
        """A revoked status: revoked at ``revoked_at`` (timezone-aware) for ``reason``.

        Raises:
            ValueError: naive ``revoked_at`` or ``reason`` ``remove_from_crl``.
        """
        return cls(ocsp.OCSPCertStatus.REVOKED, revoked_at, reason)


CertStatus.GOOD = CertStatus(ocsp.OCSPCertStatus.GOOD)
CertStatus.UNKNOWN = CertStatus(ocsp.OCSPCertStatus.UNKNOWN)


@dataclass(frozen=True)
class ResponderIdentity:
    """A CA the responder answers for, and the certificate and key that sign those answers.

    ``responder_certificate`` is either a delegated responder certificate issued directly by
    ``issuer_certificate`` with the ``id-kp-OCSPSigning`` extended key usage (RFC 6960
    §4.2.2.2), or the CA certificate itself. ``responder_key`` is its private key.

    Raises:
        ValueError: the key does not match the responder certificate, or the responder
            certificate is neither the CA itself nor a delegated OCSP signer of that CA.
    """

    issuer_certificate: x509.Certificate
    responder_certificate: x509.Certificate
    responder_key: CertificateIssuerPrivateKeyTypes = field(repr=False)

    def __post_init__(self) -> None:
        if not _same_public_key(self.responder_key, self.responder_certificate):
            raise ValueError("responder_key does not match responder_certificate")
        if self.responder_certificate == self.issuer_certificate:
            return
        try:
            self.responder_certificate.verify_directly_issued_by(self.issuer_certificate)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise ValueError(
                "the responder certificate is not issued by the issuer certificate"
            ) from exc
        try:
            eku = self.responder_certificate.extensions.get_extension_for_oid(
                ExtensionOID.EXTENDED_KEY_USAGE
            ).value
        except x509.ExtensionNotFound:
            eku = None
        if not isinstance(eku, x509.ExtendedKeyUsage) or (
            ExtendedKeyUsageOID.OCSP_SIGNING not in eku
        ):
            raise ValueError("a delegated responder certificate needs the OCSPSigning EKU")

    @property
    def certificates(self) -> list[x509.Certificate]:
        """The certificates sent in each answer's ``certs``: the responder certificate, then
        the issuing CA when that CA is an intermediate.

        A client that trusts only the root (``openssl ocsp -CAfile root.pem`` without
        ``-issuer``, or one verifying a stored response later) cannot otherwise build the
        responder's chain; RFC 6960 §4.2.1 lets the responder send such helpers. A self-signed
        root is left out: the client must already hold it as a trust anchor.
        """
        if self.responder_certificate == self.issuer_certificate or _is_self_signed(
            self.issuer_certificate
        ):
            return [self.responder_certificate]
        return [self.responder_certificate, self.issuer_certificate]


def _is_self_signed(certificate: x509.Certificate) -> bool:
    if certificate.issuer != certificate.subject:
        return False
    try:
        certificate.verify_directly_issued_by(certificate)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _cert_id_hashes(
    issuer: x509.Certificate, algorithm: hashes.HashAlgorithm
) -> tuple[bytes, bytes]:
    """(issuerNameHash, issuerKeyHash) of a CertID naming ``issuer`` (RFC 6960 §4.1.1).

    The name hash covers the DER of the issuer's subject *as encoded in its certificate*, the
    key hash the subjectPublicKey BIT STRING's value (no tag, length or unused-bits octet);
    asn1crypto gives both byte-exact from the certificate.
    """
    parsed = asn1_x509.Certificate.load(issuer.public_bytes(Encoding.DER))
    tbs = parsed["tbs_certificate"]
    name_hash = hashes.Hash(algorithm)
    name_hash.update(tbs["subject"].dump())
    key_hash = hashes.Hash(algorithm)
    key_hash.update(bytes(tbs["subject_public_key_info"]["public_key"]))
    return name_hash.finalize(), key_hash.finalize()


class _Unsuccessful(Exception):
    """Internal: stop and answer with this unsuccessful OCSP status."""

    def __init__(self, status: ocsp.OCSPResponseStatus, why: str) -> None:
        super().__init__(why)
        self.status = status


class OcspResponder:
    """An RFC 6960 OCSP responder for the CAs in ``identities``.

    For each request, :meth:`respond` finds the identity whose CA matches the CertID's
    issuerNameHash and issuerKeyHash (any of SHA-1, SHA-224, SHA-256, SHA-384, SHA-512; the
    answer's CertID uses the request's algorithm and hashes), asks
    ``lookup(issuer_certificate, serial_number)`` for the certificate's :class:`CertStatus`,
    and returns a BasicOCSPResponse signed by the identity's responder key with SHA-256,
    responder ID by key hash, :attr:`ResponderIdentity.certificates` in ``certs``,
    ``thisUpdate = clock()`` and ``nextUpdate = thisUpdate + validity``, and the request's
    nonce echoed (RFC 8954).

    Unsuccessful answers (unsigned, as RFC 6960 §2.3 prescribes):

    * ``malformedRequest`` — bytes that are not an OCSP request, a request over
      :data:`MAX_REQUEST_SIZE`, a nonce over 128 octets (RFC 8954 §2.1), or a request for more
      than one certificate. RFC 6960 §4.2.2.3 wants one SingleResponse per requested
      certificate and cryptography's builder signs exactly one, so rather than answer
      partially we refuse such requests; every client we target (OpenSSL, NSS/poppler,
      pyHanko, browsers) asks for one certificate at a time.
    * ``unauthorized`` — a CertID for a CA this responder does not serve, or hashed with an
      algorithm it cannot compute (it then cannot tell which CA is meant).
    * ``internalError`` — ``lookup`` or signing raised; the exception is logged.

    ``lookup`` runs on the caller's thread; it must be thread-safe if the responder serves
    several threads. ``clock`` returns the current timezone-aware time (injected for tests).

    Raises:
        ValueError: no identities, two identities for the same CA, or a non-positive
            ``validity``.
    """

    def __init__(
        self,
        identities: Sequence[ResponderIdentity],
        lookup: Callable[[x509.Certificate, int], CertStatus],
        *,
        clock: Callable[[], dt.datetime] = _utc_now,
        validity: dt.timedelta = dt.timedelta(hours=12),
    ) -> None:
        if not identities:
            raise ValueError("an OCSP responder needs at least one identity")
        if validity <= dt.timedelta(0):
            raise ValueError("validity must be positive")
        self._lookup = lookup
        self._clock = clock
        self._validity = validity
        # (hash algorithm name, issuerNameHash, issuerKeyHash) → identity, for every algorithm
        # a client may use: matching a request is then one dictionary look-up.
        self._by_cert_id: dict[tuple[str, bytes, bytes], ResponderIdentity] = {}
        seen: set[bytes] = set()
        for identity in identities:
            issuer_der = identity.issuer_certificate.public_bytes(Encoding.DER)
            if issuer_der in seen:
                raise ValueError("two identities answer for the same issuer certificate")
            seen.add(issuer_der)
            for algorithm_class in _CERT_ID_ALGORITHMS:
                algorithm = algorithm_class()
                name_hash, key_hash = _cert_id_hashes(identity.issuer_certificate, algorithm)
                self._by_cert_id[(algorithm.name, name_hash, key_hash)] = identity

    def respond(self, request_der: bytes) -> bytes:
        """Answer the DER-encoded OCSP request ``request_der`` with a DER ``OCSPResponse``.

        Never raises: any failure becomes an unsuccessful response (see the class docstring).
        Request signatures (optionalSignature) are not checked: answers are public.
        """
        try:
            return self._respond(request_der)
        except _Unsuccessful as refusal:
            logger.info("OCSP request refused (%s): %s", refusal.status.name, refusal)
            status = refusal.status
        except Exception:
            logger.exception("OCSP responder failed")
            status = ocsp.OCSPResponseStatus.INTERNAL_ERROR
        return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(Encoding.DER)

    def respond_to_get(self, path_segment: str) -> bytes:
        """Answer an HTTP GET request (RFC 6960 A.1) whose path after the responder's URL is
        ``path_segment``; like :meth:`respond`, never raises."""
        try:
            request_der = self.request_from_get_path(path_segment)
        except MalformedRequest as exc:
            logger.info("OCSP GET request refused: %s", exc)
            request_der = b""  # answered as malformedRequest
        return self.respond(request_der)

    @staticmethod
    def request_from_get_path(path_segment: str) -> bytes:
        """The DER OCSP request carried by a GET path (RFC 6960 appendix A.1).

        ``path_segment`` is what follows the responder's URL (``/pki/ocsp/``): the URL-encoded
        base64 of the request's DER. A leading ``/`` is ignored, percent-escapes are decoded
        (``+`` is kept: it is a base64 character, not a space, in a path), and the
        ``/`` characters of unencoded base64 are accepted. Missing ``=`` padding, which some
        clients strip, is restored.

        Raises:
            MalformedRequest: empty, not base64, or larger than :data:`MAX_REQUEST_SIZE`.
        """
        try:
            text = urllib.parse.unquote(path_segment.lstrip("/"), errors="strict")
        except UnicodeDecodeError as exc:
            raise MalformedRequest("OCSP GET request is not base64") from exc
        text = "".join(text.split())  # line breaks some encoders insert every 64 characters
        if not text:
            raise MalformedRequest("empty OCSP GET request")
        if len(text) > MAX_REQUEST_SIZE * 4 // 3 + 4:
            raise MalformedRequest("OCSP GET request too large")
        text = text.rstrip("=")
        text += "=" * (-len(text) % 4)
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedRequest("OCSP GET request is not base64") from exc

    # ----------------------------------------------------------------------------------------

    def _respond(self, request_der: bytes) -> bytes:
        malformed = ocsp.OCSPResponseStatus.MALFORMED_REQUEST
        if not isinstance(request_der, bytes | bytearray | memoryview):
            raise _Unsuccessful(malformed, "request is not bytes")
        if len(request_der) > MAX_REQUEST_SIZE:
            raise _Unsuccessful(malformed, "request too large")
        try:
            request = ocsp.load_der_ocsp_request(bytes(request_der))
        except NotImplementedError as exc:  # more than one certificate requested
            raise _Unsuccessful(malformed, str(exc)) from exc
        except ValueError as exc:
            raise _Unsuccessful(malformed, "not a DER OCSPRequest") from exc

        try:
            extensions = request.extensions
            algorithm = request.hash_algorithm
            name_hash = request.issuer_name_hash
            key_hash = request.issuer_key_hash
            serial_number = request.serial_number
        except UnsupportedAlgorithm as exc:
            raise _Unsuccessful(
                ocsp.OCSPResponseStatus.UNAUTHORIZED, "CertID hash algorithm not supported"
            ) from exc
        except ValueError as exc:  # e.g. a duplicated or undecodable extension
            raise _Unsuccessful(malformed, f"bad request: {exc}") from exc

        identity = self._by_cert_id.get((algorithm.name, name_hash, key_hash))
        if identity is None:
            raise _Unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED, "issuer not served here")

        nonce = next(
            (ext.value.nonce for ext in extensions if isinstance(ext.value, x509.OCSPNonce)), None
        )
        if nonce is not None and len(nonce) > _MAX_NONCE_LENGTH:
            raise _Unsuccessful(malformed, "nonce longer than 128 octets")

        status = self._lookup(identity.issuer_certificate, serial_number)
        if not isinstance(status, CertStatus):
            raise TypeError(f"lookup returned {status!r}, not a CertStatus")
        this_update = _utc_seconds(self._clock(), "clock()")
        revoked_at = None
        reason = None
        # CertStatus.__post_init__ guarantees both are set for a revoked status.
        if status.revoked_at is not None and status.reason is not None:
            revoked_at = _utc_seconds(status.revoked_at, "revoked_at")
            reason = _encoded_reason(status.reason)

        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response_by_hash(
                issuer_name_hash=name_hash,
                issuer_key_hash=key_hash,
                serial_number=serial_number,
                algorithm=algorithm,
                cert_status=status.kind,
                this_update=this_update,
                next_update=this_update + self._validity,
                revocation_time=revoked_at,
                revocation_reason=reason,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, identity.responder_certificate)
            .certificates(identity.certificates)
        )
        if nonce is not None:
            builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
        response = builder.sign(identity.responder_key, _signature_hash(identity.responder_key))
        return response.public_bytes(Encoding.DER)
