"""Signed trust lists, so that AES partner instances can trust each other's documents.

A trust list is a JWS (RFC 7515, flattened JSON serialization, ES256) whose payload lists the
certificates an instance trusts for its own documents (its root, issuing CAs and TSA). The
protected header carries the signer's chain in ``x5c`` (signer, seal CA, root). A reader pins
the partner's root by its SHA-256 fingerprint, exchanged out of band (e.g. in the AES
agreement): the list is accepted only if its chain ends at that root, the signer certificate
has the trust-list policy, the signature verifies, and the country is the one expected.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtensionOID
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from jamana.trust.errors import TrustError
from jamana.trust.pki import Policy

MEDIA_TYPE = "application/jamana-trust-list+jws+json"


def _registry() -> jws.JWSRegistry:
    registry = jws.JWSRegistry(algorithms=["ES256"])
    # joserfc caps headers at 512 bytes; ours carries a three-certificate x5c chain.
    registry.max_header_length = 8192
    return registry


class TrustListError(TrustError):
    """A trust list that must not be imported, and why."""


@dataclass(frozen=True)
class TrustListEntry:
    name: str
    role: str
    certificate: x509.Certificate

    @property
    def sha256(self) -> str:
        return fingerprint(self.certificate)


@dataclass(frozen=True)
class TrustList:
    country: str
    issued_at: dt.datetime
    next_update: dt.datetime
    entries: tuple[TrustListEntry, ...]


def fingerprint(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def build_trust_list(
    *,
    country: str,
    entries: Sequence[TrustListEntry],
    signer_certificate: x509.Certificate,
    signer_key: ec.EllipticCurvePrivateKey,
    chain: Sequence[x509.Certificate],
    now: dt.datetime,
    validity: dt.timedelta = dt.timedelta(days=7),
) -> dict[str, object]:
    """The signed list as a JSON-ready dict (flattened JWS serialization)."""
    payload = {
        "version": 1,
        "country": country,
        "issued_at": now.isoformat(),
        "next_update": (now + validity).isoformat(),
        "entries": [
            {
                "name": e.name,
                "role": e.role,
                "sha256": e.sha256,
                "certificate": _b64(e.certificate.public_bytes(Encoding.DER)),
            }
            for e in entries
        ],
    }
    header = {
        "alg": "ES256",
        "typ": "jamana-trust-list+jws",
        "x5c": [_b64(c.public_bytes(Encoding.DER)) for c in (signer_certificate, *chain)],
    }
    # Built from the public JWK, joserfc never reads the private value (an HSM key has none to
    # give, jamana.trust.pkcs11); it signs through the key's sign().
    key = ECKey(signer_key, ECKey.import_key(signer_key.public_key()).as_dict())
    payload_bytes = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return dict(jws.serialize_json({"protected": header}, payload_bytes, key, registry=_registry()))


def read_trust_list(
    document: dict[str, object] | str | bytes,
    *,
    pinned_root_sha256: str,
    expected_country: str,
    now: dt.datetime,
) -> TrustList:
    """Verify and parse a partner's trust list. Raises TrustListError with the reason."""
    try:
        value = json.loads(document) if isinstance(document, str | bytes) else document
        protected = json.loads(_b64url_decode(str(value["protected"])))  # type: ignore[index]
        chain = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in protected["x5c"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise TrustListError(f"not a trust list: {exc}") from None
    if protected.get("alg") != "ES256" or len(chain) < 2 or len(chain) > 4:
        raise TrustListError("unexpected algorithm or chain length")
    root = chain[-1]
    if fingerprint(root) != pinned_root_sha256.lower().replace(":", ""):
        raise TrustListError("the chain does not end at the pinned root")
    try:
        for child, parent in itertools.pairwise(chain):
            child.verify_directly_issued_by(parent)
        root.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise TrustListError(f"broken certificate chain: {exc}") from None
    signer = chain[0]
    if not signer.not_valid_before_utc <= now <= signer.not_valid_after_utc:
        raise TrustListError("the trust list signer certificate is not valid now")
    try:
        policies = signer.extensions.get_extension_for_oid(ExtensionOID.CERTIFICATE_POLICIES)
    except x509.ExtensionNotFound:
        raise TrustListError("the signer is not a trust-list signer") from None
    policy_ids = [p.policy_identifier for p in policies.value]  # type: ignore[attr-defined]
    if Policy.TRUST_LIST not in policy_ids:
        raise TrustListError("the signer is not a trust-list signer")
    try:
        verified = jws.deserialize_json(
            value,  # type: ignore[arg-type]
            ECKey.import_key(signer.public_key()),  # type: ignore[arg-type]
            algorithms=["ES256"],
            registry=_registry(),
        )
        payload = json.loads(verified.payload)
    except (JoseError, ValueError) as exc:
        raise TrustListError(f"bad signature: {exc}") from None
    if payload.get("country") != expected_country:
        raise TrustListError(f"the list is for {payload.get('country')}, not {expected_country}")
    next_update = dt.datetime.fromisoformat(payload["next_update"])
    entries = []
    for raw in payload["entries"]:
        certificate = x509.load_der_x509_certificate(base64.b64decode(raw["certificate"]))
        if fingerprint(certificate) != raw["sha256"]:
            raise TrustListError(f"fingerprint mismatch for {raw['name']}")
        entries.append(TrustListEntry(raw["name"], raw["role"], certificate))
    if not any(
        e.role == "root" and fingerprint(e.certificate) == fingerprint(root) for e in entries
    ):
        raise TrustListError("the list does not contain its own root")
    return TrustList(
        country=payload["country"],
        issued_at=dt.datetime.fromisoformat(payload["issued_at"]),
        next_update=next_update,
        entries=tuple(entries),
    )


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
