"""An RFC 3161 Time-Stamp Authority (with the RFC 5816 ESS signing-certificate-v2 update).

:class:`TimeStampAuthority` turns a ``TimeStampReq`` into a ``TimeStampResp`` whose token is a
CMS ``SignedData`` over a ``TSTInfo``, signed with ECDSA/SHA-256 by a certificate that carries
the critical timeStamping EKU (``Role.TSA`` in :mod:`jamana.trust.pki`). The tokens verify with
``openssl ts -verify`` and with pyHanko; :class:`InProcessTimeStamper` lets pyHanko obtain them
without HTTP when the platform seals its own PDFs.

Requests are untrusted input: :meth:`TimeStampAuthority.respond` never raises because of one and
answers a ``rejection`` with the RFC 3161 failure code instead (the stable code a client
branches on; the status string is for humans only):

``badDataFormat``
    not a DER ``TimeStampReq`` (SHA-2 identifiers with parameters other than NULL included),
    trailing bytes, oversized, or an imprint whose length is not the digest length of its
    algorithm;
``badRequest``
    a request version other than 1;
``badAlg``
    an imprint hash other than SHA-256, SHA-384 or SHA-512;
``unacceptedPolicy``
    a ``reqPolicy`` other than the authority's policy;
``unacceptedExtension``
    any request extension (none is supported);
``systemFailure``
    the authority itself failed (clock, key, expired certificate); the cause is logged.

SHA-1 (and MD5) imprints are refused: chosen-prefix SHA-1 collisions are practical (Leurent and
Peyrin, "SHA-1 is a Shambles", 2020), so a SHA-1 token could vouch for a document that was never
presented, and ETSI TS 119 312 no longer allows SHA-1 for new time-stamps. OpenSSL and pyHanko
default to SHA-256, so no current client needs it.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Sequence
from typing import Any

from asn1crypto import algos, cms, core, tsp
from asn1crypto import parser as asn1_parser
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import ExtendedKeyUsageOID
from pyhanko.sign.timestamps.api import TimeStamper

from jamana.trust.errors import MalformedRequest, TrustError

__all__ = ["ACCEPTED_HASHES", "InProcessTimeStamper", "TimeStampAuthority", "TimeStampResp"]

logger = logging.getLogger(__name__)

#: Imprint hash algorithms we stamp (asn1crypto names), with their digest length in bytes.
ACCEPTED_HASHES: dict[str, int] = {
    "sha256": hashes.SHA256.digest_size,
    "sha384": hashes.SHA384.digest_size,
    "sha512": hashes.SHA512.digest_size,
}

# A real TimeStampReq is about 100 bytes; anything far larger is not one, and since the nonce is
# echoed, a cap also bounds what a caller can make us sign and send back.
_MAX_REQUEST_BYTES = 16 * 1024


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _random_serial() -> int:
    """A uniformly random positive serial of at most 128 bits (RFC 3161 allows up to 160)."""
    return 1 + secrets.randbelow(2**128 - 1)


class TimeStampResp(tsp.TimeStampResp):
    """asn1crypto's ``TimeStampResp`` with ``timeStampToken`` OPTIONAL, as RFC 3161 §2.4.2 has it.

    asn1crypto 1.5.1 marks the token mandatory, so it can neither encode nor parse a rejection
    (https://github.com/wbond/asn1crypto/issues/286). Load responses with this class; it is a
    subclass, so code expecting ``tsp.TimeStampResp`` (pyHanko) accepts it. asn1crypto itself is
    not patched, to leave other users of ``tsp`` undisturbed.
    """

    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


class _Rejected(MalformedRequest):
    """A request we answer with PKIStatus ``rejection`` and ``failure`` as PKIFailureInfo."""

    def __init__(self, failure: str, text: str) -> None:
        super().__init__(text)
        self.failure = failure
        self.text = text


class TimeStampAuthority:
    """One time-stamping unit: a TSA certificate, its private key and a policy.

    The instance holds no mutable state, so one can serve concurrent requests.

    :param certificate: the TSA certificate; its only extended key usage must be
        timeStamping, marked critical (RFC 3161 §2.3), and it must match ``private_key``.
    :param private_key: the ECDSA key that signs the tokens (SHA-256, whatever the curve): a
        software key or a :class:`jamana.trust.pkcs11.Pkcs11PrivateKey` on an HSM token.
    :param chain: intermediate certificates sent with the TSA certificate when the request
        asks for certificates (the root is the relying party's business, but is harmless).
    :param policy_oid: the TSA policy OID written into every ``TSTInfo`` (for the platform,
        ``Policy.TIMESTAMP``); a request naming another policy is refused.
    :param clock: returns the current time, timezone-aware; injected so tests can fix it.
    :param accuracy_seconds: the ``accuracy`` announced in every token, at least 1 because
        ``genTime`` is truncated to the second.
    :param serial_source: returns a fresh positive serial number for each token; the default
        draws 128 random bits, which makes collisions negligible without any shared counter.
    :raises TrustError: if the certificate does not fit the key or is not a TSA certificate.
    :raises ValueError: if ``policy_oid`` is not an OID or ``accuracy_seconds`` is below 1.
    """

    def __init__(
        self,
        *,
        certificate: x509.Certificate,
        private_key: ec.EllipticCurvePrivateKey,
        chain: Sequence[x509.Certificate] = (),
        policy_oid: str | x509.ObjectIdentifier,
        clock: Callable[[], dt.datetime] = _utc_now,
        accuracy_seconds: int = 1,
        serial_source: Callable[[], int] = _random_serial,
    ) -> None:
        if accuracy_seconds < 1:
            raise ValueError("accuracy_seconds must be at least 1 (genTime has no fraction)")
        if isinstance(policy_oid, x509.ObjectIdentifier):
            policy_oid = policy_oid.dotted_string
        try:
            x509.ObjectIdentifier(policy_oid)
        except ValueError as error:
            raise ValueError(f"policy_oid {policy_oid!r} is not a dotted OID") from error
        _check_tsa_certificate(certificate, private_key)

        self.certificate = certificate
        self.policy_oid = policy_oid
        self.accuracy_seconds = accuracy_seconds
        self._key = private_key
        self._clock = clock
        self._serial_source = serial_source
        # Only bytes are kept and every response parses fresh asn1crypto objects from them:
        # asn1crypto values are mutable, and re-embedding one shared value makes it re-encode
        # itself each time (2 ms per token for the ESS attribute alone).
        tsa_der = certificate.public_bytes(Encoding.DER)
        chain_der = [c.public_bytes(Encoding.DER) for c in chain]
        self._certificates_der = (tsa_der, *(der for der in chain_der if der != tsa_der))
        self._signing_certificate_v2_der: bytes = _signing_certificate_v2(certificate).dump()

    def respond(self, request_der: bytes) -> bytes:
        """Answer a DER ``TimeStampReq`` with a DER ``TimeStampResp``.

        Never raises: a malformed or unacceptable request gets PKIStatus ``rejection`` with the
        matching PKIFailureInfo (see the module docstring), and a failure of the authority
        itself (clock, key, certificate out of its validity) gets ``systemFailure`` and is
        logged, so an HTTP endpoint can always return this body with status 200.

        :param request_der: the body of an ``application/timestamp-query`` request.
        :return: the body of the ``application/timestamp-reply`` answer.
        """
        try:
            der: bytes = self._answer(_parse_request(request_der))
        except _Rejected as rejected:
            der = _rejection(rejected.failure, rejected.text).dump()
        except Exception:
            # A broken key store or clock must not leak a traceback to a network client;
            # RFC 3161 §2.4.2 has a code for exactly this.
            logger.exception("time-stamp authority failure")
            der = _rejection("system_failure", "The time-stamp authority failed.").dump()
        return der

    def stamp(
        self,
        message_imprint: bytes,
        hash_algorithm: str = "sha256",
        *,
        nonce: int | None = None,
        cert_req: bool = True,
    ) -> TimeStampResp:
        """Time-stamp a digest in process (for PDF sealing), without DER round trip.

        The same checks as :meth:`respond` apply and an unacceptable imprint is answered, not
        raised: an algorithm outside :data:`ACCEPTED_HASHES` (``sha1``, ``md5``…) gets a
        ``rejection`` with ``badAlg``, a digest of the wrong length one with ``badDataFormat``.
        Unlike :meth:`respond`, a failure of the authority itself is raised, since the caller is
        our own code.

        :param message_imprint: the digest of the data to stamp.
        :param hash_algorithm: the asn1crypto name of the algorithm that produced the digest.
        :param nonce: echoed in the token when given, so a caller can match the answer.
        :param cert_req: include the TSA certificate and the chain in the token.
        :return: a :class:`TimeStampResp` whose ``status`` says whether a token is present.
        :raises TrustError: if the clock, the serial source or the certificate's validity
            does not allow a token to be issued now.
        """
        if hash_algorithm not in ACCEPTED_HASHES:
            return _rejection("bad_alg", f"Hash algorithm {hash_algorithm!r} is not accepted.")
        fields: dict[str, Any] = {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": hash_algorithm},
                "hashed_message": message_imprint,
            },
            "cert_req": cert_req,
        }
        if nonce is not None:
            fields["nonce"] = nonce
        try:
            return TimeStampResp.load(self._answer(tsp.TimeStampReq(fields)))
        except _Rejected as rejected:
            return _rejection(rejected.failure, rejected.text)

    def _answer(self, request: tsp.TimeStampReq) -> bytes:
        """The DER ``TimeStampResp`` granting a token for ``request``."""
        _check_request(request, self.policy_oid)
        now = self._now()
        serial = self._serial_source()
        if not isinstance(serial, int) or serial <= 0:
            raise TrustError("the serial source must return a positive integer")

        tsa_certificate = asn1_x509.Certificate.load(self._certificates_der[0])
        tst_info_fields: dict[str, Any] = {
            "version": "v1",
            "policy": self.policy_oid,
            # Echoed as received, NULL or absent parameters included (verifiers compare it with
            # the request), but re-encoded: asn1crypto accepts BER and would copy it verbatim.
            "message_imprint": tsp.MessageImprint.load(request["message_imprint"].dump(force=True)),
            "serial_number": serial,
            "gen_time": now,
            "accuracy": {"seconds": self.accuracy_seconds},
            "ordering": False,
            "tsa": asn1_x509.GeneralName(name="directory_name", value=tsa_certificate.subject),
        }
        if request["nonce"].native is not None:
            tst_info_fields["nonce"] = request["nonce"]
        tst_info_der = tsp.TSTInfo(tst_info_fields).dump()

        content_digest = hashes.Hash(hashes.SHA256())
        content_digest.update(tst_info_der)
        signed_attrs = cms.CMSAttributes(
            [
                _attribute("content_type", "tst_info"),
                _attribute("message_digest", content_digest.finalize()),
                _attribute("signing_time", _cms_time(now)),
                _attribute(
                    "signing_certificate_v2",
                    tsp.SigningCertificateV2.load(self._signing_certificate_v2_der),
                ),
            ]
        )
        # RFC 5652 §5.4: the signature covers the DER of the attributes as a SET OF (tag 0x31),
        # not the [0] IMPLICIT form they take inside SignerInfo. asn1crypto sorts the set.
        signature = self._key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))

        sha256 = algos.DigestAlgorithm({"algorithm": "sha256"})
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    name="issuer_and_serial_number",
                    value=cms.IssuerAndSerialNumber(
                        {
                            "issuer": tsa_certificate.issuer,
                            "serial_number": tsa_certificate.serial_number,
                        }
                    ),
                ),
                "digest_algorithm": sha256,
                "signed_attrs": signed_attrs,
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
                "signature": signature,
            }
        )
        signed_data: dict[str, Any] = {
            # v3 because the encapsulated content is not id-data (RFC 5652 §5.1).
            "version": "v3",
            "digest_algorithms": [sha256],
            "encap_content_info": {
                "content_type": "tst_info",
                "content": cms.ParsableOctetString(tst_info_der),
            },
            "signer_infos": [signer_info],
        }
        if request["cert_req"].native:
            signed_data["certificates"] = [
                asn1_x509.Certificate.load(der) for der in self._certificates_der
            ]
        return _granted(cms.SignedData(signed_data))

    def _now(self) -> dt.datetime:
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise TrustError("the TSA clock must return timezone-aware datetimes")
        # Truncated to the second: the true time lies in [genTime, genTime + 1 s), inside the
        # announced accuracy, and the encoding stays free of fractions.
        now = now.astimezone(dt.UTC).replace(microsecond=0)
        # A token from an expired (or not yet valid) TSA certificate verifies nowhere.
        if not (
            self.certificate.not_valid_before_utc <= now <= self.certificate.not_valid_after_utc
        ):
            raise TrustError(f"the TSA certificate is not valid at {now.isoformat()}")
        return now


class InProcessTimeStamper(TimeStamper):
    """A pyHanko :class:`~pyhanko.sign.timestamps.api.TimeStamper` backed by our own authority.

    It sends pyHanko's request through :meth:`TimeStampAuthority.respond` (the same DER path
    as the HTTP endpoint) instead of the network, so PDF sealing gets exactly the tokens
    external clients get. pyHanko checks the status and the nonce of the answer.

    :param authority: the time-stamp authority that answers.
    :param include_nonce: whether pyHanko puts a nonce in its requests.
    """

    def __init__(self, authority: TimeStampAuthority, *, include_nonce: bool = True) -> None:
        super().__init__(include_nonce=include_nonce)
        self.authority = authority

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """Answer ``req`` with the authority (synchronously: signing is a few microseconds).

        :param req: the request pyHanko built.
        :return: the authority's response, parsed (a rejection makes pyHanko raise its
            ``TimestampRequestError``).
        """
        return TimeStampResp.load(self.authority.respond(req.dump()))


_SIGNED_DATA_FIELDS = (
    "version",
    "digest_algorithms",
    "encap_content_info",
    "certificates",
    "crls",
    "signer_infos",
)
_ID_SIGNED_DATA = core.ObjectIdentifier("1.2.840.113549.1.7.2").dump()
_GRANTED = tsp.PKIStatusInfo({"status": "granted"}).dump()


def _granted(signed_data: cms.SignedData) -> bytes:
    """The DER ``TimeStampResp`` { granted, ContentInfo { signedData, ``signed_data`` } },
    assembled from the DER of the SignedData's fields.

    asn1crypto 1.5.1 mistakes some definite lengths for indefinite ones and then re-encodes
    the value from scratch (wbond/asn1crypto#249, as ``cms.py`` explains): dumping the whole
    response as one asn1crypto value took ~150 ms instead of ~1 ms for three tokens in ten,
    depending on the length the random serial, nonce and signature gave the SignedData. Each
    field dumps alone in microseconds; only the three enclosing headers are written here.
    """
    fields = b"".join(signed_data[name].dump() for name in _SIGNED_DATA_FIELDS)
    content_info = _ID_SIGNED_DATA + asn1_parser.emit(2, 1, 0, asn1_parser.emit(0, 1, 16, fields))
    return asn1_parser.emit(0, 1, 16, _GRANTED + asn1_parser.emit(0, 1, 16, content_info))


def _check_tsa_certificate(
    certificate: x509.Certificate, private_key: ec.EllipticCurvePrivateKey
) -> None:
    spki = (Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    if certificate.public_key().public_bytes(*spki) != private_key.public_key().public_bytes(*spki):
        raise TrustError("the TSA certificate does not match the private key")
    try:
        eku = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        raise TrustError("the TSA certificate has no extended key usage") from None
    # RFC 3161 §2.3: exactly id-kp-timeStamping, critical. OpenSSL refuses anything else.
    if not eku.critical or list(eku.value) != [ExtendedKeyUsageOID.TIME_STAMPING]:
        raise TrustError("the TSA certificate needs the sole, critical timeStamping EKU")


def _signing_certificate_v2(certificate: x509.Certificate) -> tsp.SigningCertificateV2:
    """ESS signing-certificate-v2 (RFC 5035, required in tokens by RFC 5816) for ``certificate``.

    The hash algorithm is left at its DEFAULT, SHA-256, which DER encodes by omission.
    """
    return tsp.SigningCertificateV2(
        {
            "certs": [
                {
                    "cert_hash": certificate.fingerprint(hashes.SHA256()),
                    "issuer_serial": {
                        "issuer": [
                            asn1_x509.GeneralName(
                                name="directory_name",
                                value=asn1_x509.Name.load(certificate.issuer.public_bytes()),
                            )
                        ],
                        "serial_number": certificate.serial_number,
                    },
                }
            ]
        }
    )


def _attribute(kind: str, value: object) -> cms.CMSAttribute:
    return cms.CMSAttribute({"type": kind, "values": [value]})


def _cms_time(moment: dt.datetime) -> cms.Time:
    # RFC 5652 §11.3: UTCTime for 1950-2049, GeneralizedTime otherwise.
    if 1950 <= moment.year < 2050:
        return cms.Time(name="utc_time", value=core.UTCTime(moment))
    return cms.Time(name="generalized_time", value=core.GeneralizedTime(moment))


def _parse_request(request_der: bytes) -> tsp.TimeStampReq:
    if len(request_der) > _MAX_REQUEST_BYTES:
        raise _Rejected("bad_data_format", "The request is too large.")
    try:
        request = tsp.TimeStampReq.load(request_der, strict=True)
        # asn1crypto parses lazily: walk every field now so that a malformed inner value is
        # a badDataFormat here rather than an exception later.
        request.native  # noqa: B018
    except Exception:
        # asn1crypto reports malformed input with ValueError, TypeError, OverflowError…;
        # whatever it raises, the bytes were not a TimeStampReq.
        raise _Rejected("bad_data_format", "The request is not a DER TimeStampReq.") from None
    return request


def _check_request(request: tsp.TimeStampReq, policy_oid: str) -> None:
    """Refuse what we cannot stamp, in the order OpenSSL's own TSA checks it."""
    if request["version"].native != "v1":
        raise _Rejected("bad_request", "Only version 1 requests are supported.")
    algorithm = request["message_imprint"]["hash_algorithm"]
    # SHA-2 parameters other than absent or NULL (RFC 5754 §2) never get here: asn1crypto types
    # them as NULL, so _parse_request already answered badDataFormat.
    name = algorithm["algorithm"].native
    if name not in ACCEPTED_HASHES:
        raise _Rejected(
            "bad_alg",
            f"Hash algorithm {name} is not accepted; use one of {', '.join(ACCEPTED_HASHES)}.",
        )
    if len(request["message_imprint"]["hashed_message"].native) != ACCEPTED_HASHES[name]:
        raise _Rejected("bad_data_format", f"The imprint is not a {name} digest.")
    # .dotted, not .native: asn1crypto names the OIDs it knows.
    requested_policy = request["req_policy"]
    if requested_policy.native is not None and requested_policy.dotted != policy_oid:
        raise _Rejected("unaccepted_policy", f"Only policy {policy_oid} is offered.")
    if request["extensions"].native:
        raise _Rejected("unaccepted_extensions", "No request extension is supported.")


def _rejection(failure: str, text: str) -> TimeStampResp:
    return TimeStampResp(
        {
            "status": {
                "status": "rejection",
                "status_string": [text],
                "fail_info": tsp.PKIFailureInfo({failure}),
            }
        }
    )
