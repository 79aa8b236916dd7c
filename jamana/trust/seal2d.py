"""The offline 2D seal printed on every Jamana document (``JM1:…`` in a QR code).

The construction is the EU Digital COVID Certificate's (eHealth Network, "Interoperable 2D
code"): CWT claims (RFC 8392) signed in a COSE_Sign1 (RFC 9052), zlib-compressed (RFC 1950),
base45-encoded (RFC 9285) and prefixed with a version tag. Anyone holding the seal certificates
of the downloaded trust list can check it offline, with no call to the platform.

Format ``JM1``
--------------
text
    ``"JM1:" + base45(zlib(COSE_Sign1))``. Every character is in the QR alphanumeric set (that
    is why base45), so the QR code is made in alphanumeric mode (5.5 bits a character).
COSE_Sign1
    CBOR tag 18 ``[protected, unprotected, payload, signature]``:

    - protected: ``{1 (alg): -7 (ES256), 4 (kid): 8 bytes}``, the kid being the first 8 bytes
      of the SHA-256 of the seal certificate's DER (:func:`kid_for`, as DCC);
    - unprotected: the empty map (nothing unsigned is accepted);
    - payload: the CWT claims below, CBOR in RFC 8949 §4.2 deterministic order;
    - signature: ECDSA P-256 / SHA-256 as raw ``r || s`` (64 bytes).
CWT claims
    ============  =========  ====================================================
    key           type       content
    ============  =========  ====================================================
    1 (iss)       text       issuer (organisation) code, e.g. ``ML-CEC-BKO-C3``
    6 (iat)       uint       issued at, seconds since the epoch (UTC)
    4 (exp)       uint       expiry, seconds since the epoch; absent: no expiry
    -65537        map        the document (:data:`CLAIM_DOCUMENT`), keys below
    ============  =========  ====================================================

    -65537 is the first key of the CWT registry's private-use range (below -65536). Its map:
    1 format version (uint, 1) · 2 issuer country (text, ISO 3166-1 alpha-2) · 3 document kind
    (text, e.g. ``civil.birth_extract``) · 4 document number (text, 9 characters) · 5 holder's
    given names (text) · 6 holder's family name (text) · 7 holder's birth date as printed
    (text: ``1987-03-12``, ``1962``, ``vers 1962``) · 8 SHA-256 of the sealed PDF (32 bytes).
    Texts are Unicode NFC. Version 1 has exactly these keys; any other claim or key makes the
    seal ``malformed`` (a new version gets a new prefix).

Reading is bounded (text ≤ 4 KB, decompressed COSE ≤ 8 KB, ``decompressobj`` with
``max_length``) and never raises on bad input: the answer is a :class:`SealReading`.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import base45
import cbor2
import segno
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import ExtensionOID
from cwt import (
    COSE,
    COSEAlgs,
    COSEHeaders,
    COSEKey,
    COSEKeyParams,
    COSEKeyTypes,
    CWTClaims,
    CWTError,
)
from cwt import VerifyError as CoseVerifyError
from cwt.cose_key_interface import COSEKeyInterface

from jamana.trust.errors import TrustError
from jamana.trust.pki import Policy

PREFIX = "JM1:"
FORMAT_VERSION = 1
CLAIM_DOCUMENT = -65537
"""Private-use CWT claim (RFC 8392 §9.1: keys below -65536) holding the document's map."""

MAX_TEXT_CHARS = 4096
MAX_COSE_BYTES = 8192
KID_BYTES = 8
QR_ERROR = "m"

# Keys of the document map under CLAIM_DOCUMENT.
_VERSION, _COUNTRY, _KIND, _NUMBER, _GIVEN, _FAMILY, _BIRTH, _PDF_SHA256 = range(1, 9)
_TEXT_KEYS = (_COUNTRY, _KIND, _NUMBER, _GIVEN, _FAMILY, _BIRTH)
_DOCUMENT_KEYS = frozenset((_VERSION, *_TEXT_KEYS, _PDF_SHA256))
_TEXT_FIELDS = (
    "issuer_code",
    "issuer_country",
    "kind",
    "number",
    "holder_given_names",
    "holder_family_name",
    "holder_birth_date",
)
_CLAIM_KEYS = frozenset((CWTClaims.ISS, CWTClaims.IAT, CWTClaims.EXP, CLAIM_DOCUMENT))

_BASE45 = re.compile(r"[0-9A-Z $%*+\-./:]*")
_COUNTRY_CODE = re.compile(r"[A-Z]{2}")
_COSE_SIGN1_TAG = 18
_P256_BYTES = 32
# No certificate or signature check: the COSE layer of ``cwt`` only, headers written as given.
_COSE = COSE.new(deterministic_header=True)


class SealError(TrustError):
    """A 2D seal cannot be made: invalid claims, or a signer that does not sign correctly."""


class SealVerdict(StrEnum):
    """The bottom line of :func:`read_seal` (a ``str``: compares equal to ``"valid"`` etc.)."""

    VALID = "valid"
    TAMPERED = "tampered"  # the signature does not match the content
    UNKNOWN_ISSUER = "unknown_issuer"  # no trusted seal certificate for it (see read_seal)
    EXPIRED = "expired"  # authentic, but past the document's expiry
    MALFORMED = "malformed"  # not a JM1 seal, or not one this reader can read


@dataclass(frozen=True)
class SealClaims:
    """The document's essentials, as the seal carries them.

    Times are carried to the second (truncated); texts in Unicode NFC. ``holder_birth_date`` is
    the birth date as printed: an ISO date or a partial one (``"1962"``, ``"vers 1962"``).
    """

    issuer_code: str
    issuer_country: str
    kind: str
    number: str
    holder_given_names: str
    holder_family_name: str
    holder_birth_date: str
    issued_at: dt.datetime
    expires_at: dt.datetime | None
    pdf_sha256: bytes


@dataclass(frozen=True)
class SealReading:
    """What :func:`read_seal` found.

    ``claims`` are given only when the signature verified against a trusted seal certificate
    (verdicts ``valid`` and ``expired``); never show the content of another verdict.
    ``kid`` and ``signer_certificate`` are given as soon as they are known, for diagnosis.
    ``problems`` says why the verdict is not ``valid`` (empty when it is).
    """

    verdict: SealVerdict
    claims: SealClaims | None = None
    kid: bytes | None = None
    signer_certificate: x509.Certificate | None = None
    problems: tuple[str, ...] = ()


class DerSigner(Protocol):
    """A key that signs with ECDSA P-256 / SHA-256 and answers a DER signature (an HSM key,
    for instance); structurally the same as the key stores' signing-key interface."""

    def public_key(self) -> ec.EllipticCurvePublicKey: ...

    def sign(self, data: bytes) -> bytes: ...


def kid_for(certificate: x509.Certificate) -> bytes:
    """The seal's key identifier for ``certificate``: the first 8 bytes of the SHA-256 of its
    DER encoding (as DCC's ``kid``)."""
    return certificate.fingerprint(hashes.SHA256())[:KID_BYTES]


def trusted_seal_certificates(
    certificates: Iterable[x509.Certificate],
) -> dict[bytes, x509.Certificate]:
    """The ``trusted`` mapping for :func:`read_seal`: ``kid → certificate`` for those of
    ``certificates`` (e.g. a trust list's entries) that carry the seal policy."""
    return {kid_for(c): c for c in certificates if _has_seal_policy(c)}


# --------------------------------------------------------------------------- making


class _DerSignerCoseKey(COSEKeyInterface):
    """A ``cwt`` signing key over any ECDSA P-256 signer: ``cwt`` builds the Sig_structure and
    the COSE_Sign1, the signer signs it, and the DER signature becomes COSE's raw ``r || s``."""

    def __init__(self, sign_der: Callable[[bytes], bytes], kid: bytes) -> None:
        super().__init__(
            {
                COSEKeyParams.KTY: COSEKeyTypes.EC2,
                COSEKeyParams.KID: kid,
                COSEKeyParams.ALG: COSEAlgs.ES256,
            }
        )
        self._sign_der = sign_der

    def sign(self, msg: bytes) -> bytes:
        r, s = decode_dss_signature(self._sign_der(msg))
        return r.to_bytes(_P256_BYTES, "big") + s.to_bytes(_P256_BYTES, "big")


def make_seal(
    claims: SealClaims,
    *,
    signer: ec.EllipticCurvePrivateKey | DerSigner,
    kid: bytes,
) -> str:
    """The ``JM1:…`` text of the 2D seal of ``claims``, signed by ``signer``.

    ``signer`` is a P-256 private key of ``cryptography`` or any :class:`DerSigner` (HSM key);
    ``kid`` is :func:`kid_for` of the seal certificate matching it. Times are truncated to the
    second and texts normalised to NFC. The signature is checked against
    ``signer.public_key()`` before the text is returned, so a faulty signer (an HSM adapter that
    hashes twice, say) fails here rather than on every reader.

    Raises :class:`SealError` for invalid claims (naive or inverted times, a hash that is not
    32 bytes, a number that is not 9 characters…), a key that is not P-256, a kid that is not
    8 bytes, a signature that does not verify, or a text over 4096 characters.
    """
    if not isinstance(kid, bytes) or len(kid) != KID_BYTES:
        raise SealError(f"the kid must be {KID_BYTES} bytes (kid_for of the seal certificate)")
    public_key = signer.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(
        public_key.curve, ec.SECP256R1
    ):
        raise SealError("the seal key must be an ECDSA P-256 key")
    if isinstance(signer, ec.EllipticCurvePrivateKey):
        software_key = signer

        def sign_der(data: bytes) -> bytes:
            return software_key.sign(data, ec.ECDSA(hashes.SHA256()))

    else:
        sign_der = signer.sign
    payload = cbor2.dumps(_claims_to_cbor(claims), canonical=True)
    try:
        cose = _COSE.encode_and_sign(
            payload,
            key=_DerSignerCoseKey(sign_der, kid),
            protected={COSEHeaders.ALG: COSEAlgs.ES256, COSEHeaders.KID: kid},
            unprotected={},
        )
    except (ValueError, TypeError, OverflowError, CWTError) as exc:
        raise SealError(f"the signer did not return a DER ECDSA signature: {exc}") from None
    if not isinstance(cose, bytes):  # encode_and_sign returns bytes unless ``out`` says
        raise SealError("cwt did not return COSE bytes")
    try:
        _COSE.decode(cose, _verification_key(public_key, kid))
    except (CWTError, ValueError) as exc:
        raise SealError(f"the signer's signature does not verify: {exc}") from None
    text = PREFIX + base45.b45encode(zlib.compress(cose, 9)).decode("ascii")
    if len(text) > MAX_TEXT_CHARS:
        raise SealError(f"the seal is {len(text)} characters, over {MAX_TEXT_CHARS}")
    return text


def _claims_to_cbor(claims: SealClaims) -> dict[int, Any]:
    texts = {
        _COUNTRY: claims.issuer_country,
        _KIND: claims.kind,
        _NUMBER: claims.number,
        _GIVEN: claims.holder_given_names,
        _FAMILY: claims.holder_family_name,
        _BIRTH: claims.holder_birth_date,
    }
    for name in _TEXT_FIELDS:
        value = getattr(claims, name)
        if not isinstance(value, str):
            raise SealError(f"{name} must be text, not {type(value).__name__}")
    normalised = {key: unicodedata.normalize("NFC", value) for key, value in texts.items()}
    issuer_code = unicodedata.normalize("NFC", claims.issuer_code)
    if not issuer_code or not normalised[_KIND] or not normalised[_BIRTH]:
        raise SealError("issuer code, kind and birth date must not be empty")
    if not _COUNTRY_CODE.fullmatch(normalised[_COUNTRY]):
        raise SealError("the issuer country must be an ISO 3166-1 alpha-2 code, e.g. ML")
    if len(normalised[_NUMBER]) != 9:
        raise SealError("the document number must be 9 characters")
    if not isinstance(claims.pdf_sha256, bytes) or len(claims.pdf_sha256) != 32:
        raise SealError("pdf_sha256 must be the 32-byte SHA-256 of the sealed PDF")
    issued_at = _epoch_seconds(claims.issued_at, "issued_at")
    document: dict[int, Any] = {_VERSION: FORMAT_VERSION, **normalised}
    document[_PDF_SHA256] = claims.pdf_sha256
    cwt_claims: dict[int, Any] = {CWTClaims.ISS: issuer_code, CWTClaims.IAT: issued_at}
    if claims.expires_at is not None:
        expires_at = _epoch_seconds(claims.expires_at, "expires_at")
        if expires_at <= issued_at:
            raise SealError("expires_at must be after issued_at")
        cwt_claims[CWTClaims.EXP] = expires_at
    cwt_claims[CLAIM_DOCUMENT] = document
    return cwt_claims


def _epoch_seconds(moment: dt.datetime, name: str) -> int:
    if not isinstance(moment, dt.datetime) or moment.utcoffset() is None:
        raise SealError(f"{name} must be a timezone-aware datetime")
    seconds = int(moment.timestamp())
    if seconds < 0:
        raise SealError(f"{name} must be after 1970")
    return seconds


# --------------------------------------------------------------------------- reading


class _Rejected(Exception):
    """Internal: stop reading with this verdict (never escapes read_seal)."""

    def __init__(
        self,
        verdict: SealVerdict,
        problem: str,
        *,
        kid: bytes | None = None,
        certificate: x509.Certificate | None = None,
    ) -> None:
        super().__init__(problem)
        self.reading = SealReading(
            verdict=verdict, kid=kid, signer_certificate=certificate, problems=(problem,)
        )


def read_seal(
    text: str, *, trusted: Mapping[bytes, x509.Certificate], now: dt.datetime
) -> SealReading:
    """Check a 2D seal offline and say what it is worth.

    ``trusted`` maps kids to the seal certificates of the downloaded trust list (see
    :func:`trusted_seal_certificates`); ``now`` is the reading time, for the expiry.
    Verdicts, in the order they are decided:

    - ``malformed``: not ``JM1:`` + base45 + zlib + COSE_Sign1 as specified, larger than the
      bounds, a header other than ``{alg: ES256, kid}``, or (signed but) claims this version
      does not define;
    - ``unknown_issuer``: no certificate in ``trusted`` for the kid, or that certificate does
      not carry the seal policy (:attr:`Policy.SEAL`), is not P-256, is not the one the kid
      names, or was not valid at the seal's ``iat`` (the key was not entitled to seal then);
    - ``tampered``: the signature does not verify;
    - ``expired``: authentic, but ``now`` is at or past ``exp``;
    - ``valid``.

    Only the certificate's presence in ``trusted`` is checked, not its chain or revocation:
    the trust list is the offline verifier's source of trust. Bad input never raises; a naive
    ``now`` (a programming error) raises ``ValueError``. The text must be exactly what the QR
    code holds: no surrounding whitespace is removed (space is a base45 character).
    """
    if now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    try:
        return _read(text, trusted, now)
    except _Rejected as rejected:
        return rejected.reading
    except Exception as exc:
        # The contract is that no input makes the reader raise: anything unforeseen in the
        # libraries below (cbor2 decoding semantic tags, say) is a seal we cannot read.
        return SealReading(
            verdict=SealVerdict.MALFORMED, problems=(f"unreadable seal ({type(exc).__name__})",)
        )


def _read(text: str, trusted: Mapping[bytes, x509.Certificate], now: dt.datetime) -> SealReading:
    cose = _unwrap(text)
    kid = _parse_cose(cose)
    certificate = trusted.get(kid)
    if certificate is None:
        raise _Rejected(
            SealVerdict.UNKNOWN_ISSUER, "no trusted seal certificate for this kid", kid=kid
        )
    public_key = _check_certificate(certificate, kid)
    try:
        payload = _COSE.decode(cose, _verification_key(public_key, kid))
    except CoseVerifyError:
        raise _Rejected(
            SealVerdict.TAMPERED,
            "the signature does not match the content",
            kid=kid,
            certificate=certificate,
        ) from None
    try:
        claims = _claims_from_cbor(payload)
    except Exception as exc:  # cbor2 raises many kinds on odd input; all mean the same here
        raise _Rejected(
            SealVerdict.MALFORMED,
            f"signed but unreadable claims: {exc}",
            kid=kid,
            certificate=certificate,
        ) from None
    if not certificate.not_valid_before_utc <= claims.issued_at <= certificate.not_valid_after_utc:
        raise _Rejected(
            SealVerdict.UNKNOWN_ISSUER,
            "sealed outside the validity of its seal certificate",
            kid=kid,
            certificate=certificate,
        )
    if claims.expires_at is not None and now >= claims.expires_at:
        return SealReading(
            verdict=SealVerdict.EXPIRED,
            claims=claims,
            kid=kid,
            signer_certificate=certificate,
            problems=(f"expired on {claims.expires_at.isoformat()}",),
        )
    return SealReading(
        verdict=SealVerdict.VALID, claims=claims, kid=kid, signer_certificate=certificate
    )


def _malformed(problem: str) -> _Rejected:
    return _Rejected(SealVerdict.MALFORMED, problem)


def _unwrap(text: object) -> bytes:
    """``JM1:`` + base45 + zlib → the COSE bytes, within the bounds."""
    if not isinstance(text, str):
        raise _malformed("a seal is text")
    if len(text) > MAX_TEXT_CHARS:
        raise _malformed(f"longer than {MAX_TEXT_CHARS} characters")
    if not text.startswith(PREFIX):
        raise _malformed(f"does not start with {PREFIX}")
    body = text[len(PREFIX) :]
    # The library also accepts a trailing newline; a seal's text has exactly one spelling.
    if not _BASE45.fullmatch(body):
        raise _malformed("not base45")
    try:
        compressed = base45.b45decode(body)
    except ValueError:
        raise _malformed("not base45") from None
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS)  # zlib format only, no gzip
    try:
        cose = inflater.decompress(compressed, MAX_COSE_BYTES + 1)
    except zlib.error as exc:
        raise _malformed(f"not zlib: {exc}") from None
    if len(cose) > MAX_COSE_BYTES or inflater.unconsumed_tail:
        raise _malformed(f"decompresses to more than {MAX_COSE_BYTES} bytes")
    if not inflater.eof or inflater.unused_data:
        raise _malformed("truncated or trailing zlib data")
    return cose


def _parse_cose(cose: bytes) -> bytes:
    """Check the COSE_Sign1's shape and return its kid. Only the canonical encoding is
    accepted, so that bytes outside the signed parts have exactly one spelling."""
    try:
        message = cbor2.loads(cose)
    except Exception:
        # cbor2 raises more than CBORDecodeError on hostile input (decimal.Overflow,
        # RecursionError, MemoryError…): all of them mean the same here.
        raise _malformed("not CBOR") from None
    if not (
        isinstance(message, cbor2.CBORTag)
        and message.tag == _COSE_SIGN1_TAG
        and isinstance(message.value, list)
        and len(message.value) == 4
    ):
        raise _malformed("not a tagged COSE_Sign1")
    protected, unprotected, payload, signature = message.value
    if not (
        isinstance(protected, bytes)
        and isinstance(payload, bytes)
        and isinstance(signature, bytes)
        and unprotected == {}
    ):
        raise _malformed("COSE_Sign1 fields of the wrong type, or unprotected headers")
    if cbor2.dumps(message) != cose:
        raise _malformed("non-canonical CBOR")
    try:
        headers = cbor2.loads(protected)
    except Exception:
        raise _malformed("protected header is not CBOR") from None
    if not isinstance(headers, dict) or set(headers) != {COSEHeaders.ALG, COSEHeaders.KID}:
        raise _malformed("the protected header must hold exactly alg and kid")
    kid = headers[COSEHeaders.KID]
    if headers[COSEHeaders.ALG] != COSEAlgs.ES256:
        raise _malformed("the algorithm is not ES256")
    if not isinstance(kid, bytes) or len(kid) != KID_BYTES:
        raise _malformed(f"the kid is not {KID_BYTES} bytes")
    if len(signature) != 2 * _P256_BYTES:
        raise _Rejected(SealVerdict.MALFORMED, "the signature is not 64 bytes", kid=kid)
    return kid


def _check_certificate(certificate: x509.Certificate, kid: bytes) -> ec.EllipticCurvePublicKey:
    """The certificate's public key, if it may verify seals under ``kid``."""

    def untrusted(problem: str) -> _Rejected:
        return _Rejected(SealVerdict.UNKNOWN_ISSUER, problem, kid=kid, certificate=certificate)

    if kid_for(certificate) != kid:
        raise untrusted("the trusted certificate for this kid has another kid")
    if not _has_seal_policy(certificate):
        raise untrusted("the certificate for this kid is not a seal certificate")
    public_key = certificate.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(
        public_key.curve, ec.SECP256R1
    ):
        raise untrusted("the seal certificate's key is not ECDSA P-256")
    return public_key


def _has_seal_policy(certificate: x509.Certificate) -> bool:
    try:
        policies = certificate.extensions.get_extension_for_oid(
            ExtensionOID.CERTIFICATE_POLICIES
        ).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    return any(
        p.policy_identifier == Policy.SEAL
        for p in policies  # type: ignore[attr-defined]
    )


def _verification_key(public_key: ec.EllipticCurvePublicKey, kid: bytes) -> COSEKeyInterface:
    pem = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return COSEKey.from_pem(pem, alg=COSEAlgs.ES256, kid=kid)


def _claims_from_cbor(payload: bytes) -> SealClaims:
    claims = cbor2.loads(payload)
    if not isinstance(claims, dict) or not set(claims) <= _CLAIM_KEYS:
        raise ValueError("unknown or missing claims")
    document = claims.get(CLAIM_DOCUMENT)
    if not isinstance(document, dict) or set(document) != _DOCUMENT_KEYS:
        raise ValueError("the document claim does not hold exactly keys 1 to 8")
    if document[_VERSION] != FORMAT_VERSION or isinstance(document[_VERSION], bool):
        raise ValueError(f"document claim version {document[_VERSION]!r}, not 1")
    if not all(isinstance(document[key], str) for key in _TEXT_KEYS):
        raise ValueError("a document field that must be text is not")
    pdf_sha256 = document[_PDF_SHA256]
    if not isinstance(pdf_sha256, bytes) or len(pdf_sha256) != 32:
        raise ValueError("the PDF hash is not 32 bytes")
    issuer_code = claims.get(CWTClaims.ISS)
    if not isinstance(issuer_code, str):
        raise ValueError("iss is missing or not text")
    expires_at = None
    if CWTClaims.EXP in claims:
        expires_at = _from_epoch(claims[CWTClaims.EXP], "exp")
    issued_at = _from_epoch(claims.get(CWTClaims.IAT), "iat")
    if expires_at is not None and expires_at <= issued_at:
        raise ValueError("exp is not after iat")
    return SealClaims(
        issuer_code=issuer_code,
        issuer_country=document[_COUNTRY],
        kind=document[_KIND],
        number=document[_NUMBER],
        holder_given_names=document[_GIVEN],
        holder_family_name=document[_FAMILY],
        holder_birth_date=document[_BIRTH],
        issued_at=issued_at,
        expires_at=expires_at,
        pdf_sha256=pdf_sha256,
    )


def _from_epoch(value: object, name: str) -> dt.datetime:
    # bool is an int in Python, not in CBOR; floats are not NumericDates this format writes.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} is missing or not a non-negative integer")
    return dt.datetime.fromtimestamp(value, dt.UTC)


# --------------------------------------------------------------------------- printing


def seal_qr(text: str) -> segno.QRCode:
    """The QR code of a seal text: alphanumeric mode, error correction at least M (segno
    raises the level when it fits in the same version). Raises :class:`SealError` for a text
    that is not a ``JM1:`` seal's."""
    if not (
        isinstance(text, str)
        and text.startswith(PREFIX)
        and len(text) <= MAX_TEXT_CHARS
        and _BASE45.fullmatch(text[len(PREFIX) :])
    ):
        raise SealError("not the text of a JM1 seal")
    return segno.make_qr(text, error=QR_ERROR, mode="alphanumeric", boost_error=True)


def seal_qr_matrix(text: str, *, border: int = 4) -> tuple[tuple[bool, ...], ...]:
    """The modules of the seal's QR code, row by row (``True`` is dark), with a quiet zone of
    ``border`` modules (ISO/IEC 18004 asks for 4): what a PDF renderer draws."""
    return tuple(
        tuple(bool(module) for module in row)
        for row in seal_qr(text).matrix_iter(scale=1, border=border)
    )


def seal_qr_svg(text: str, *, scale: float = 1, border: int = 4) -> str:
    """The seal's QR code as an inline SVG element (one unit per module times ``scale``)."""
    return str(seal_qr(text).svg_inline(scale=scale, border=border))


def seal_qr_png(text: str, *, scale: int = 4, border: int = 4) -> bytes:
    """The seal's QR code as a PNG, ``scale`` pixels per module."""
    buffer = io.BytesIO()
    seal_qr(text).save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()
