"""Certificate profiles of a national PKI (RFC 5280), built with ``cryptography``.

The hierarchy of one instance (one country):

    root CA ─┬─ seal CA ──── administration seals, the timestamping unit, OCSP responder
             └─ person CA ── personal signature certificates (issue 4), OCSP responder
    root CA ──── OCSP responder for the issuing CAs

Every non-root certificate carries AKI/SKI, a CRL distribution point and an authority
information access (OCSP + CA issuers) pointing at this platform's public URLs, and the
policy OID of its kind. Policy OIDs live under a UUID-derived arc (ITU-T X.667, 2.25), which
needs no registration; ``docs/pki/certificate-policies.md`` documents them.

Issuer keys come from a key store (:mod:`jamana.trust.keys`): ``cryptography``'s builders encode
the certificate and call the key's ``sign()``, which for an HSM key
(:class:`jamana.trust.pkcs11.Pkcs11PrivateKey`) runs on the token.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    CertificatePublicKeyTypes,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

POLICY_ARC = "2.25.12859325558671017564803736528171059073"


class Policy:
    """Certificate policy OIDs (see docs/pki/certificate-policies.md)."""

    CA = ObjectIdentifier(f"{POLICY_ARC}.1")
    SEAL = ObjectIdentifier(f"{POLICY_ARC}.2")
    PERSON = ObjectIdentifier(f"{POLICY_ARC}.3")
    TIMESTAMP = ObjectIdentifier(f"{POLICY_ARC}.4")
    OCSP = ObjectIdentifier(f"{POLICY_ARC}.5")
    TRUST_LIST = ObjectIdentifier(f"{POLICY_ARC}.6")


# RFC 9336 id-kp-documentSigning. poppler reports a certificate whose *only* EKU is this one
# as "Unknown issue", so seals also carry emailProtection (TRUST-NOTES.md).
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
ORGANIZATION_IDENTIFIER = ObjectIdentifier("2.5.4.97")


class Role(StrEnum):
    ROOT = "root"
    SEAL_CA = "seal-ca"
    PERSON_CA = "person-ca"
    TSA = "tsa"
    OCSP = "ocsp"
    SEAL = "seal"
    PERSON = "person"
    TRUST_LIST = "trust-list"


VALIDITY = {
    Role.ROOT: dt.timedelta(days=365 * 20),
    Role.SEAL_CA: dt.timedelta(days=365 * 10),
    Role.PERSON_CA: dt.timedelta(days=365 * 10),
    Role.TSA: dt.timedelta(days=365 * 6),
    Role.OCSP: dt.timedelta(days=365 * 2),
    Role.SEAL: dt.timedelta(days=365 * 3),
    Role.PERSON: dt.timedelta(days=365 * 3),
    Role.TRUST_LIST: dt.timedelta(days=365 * 3),
}


@dataclass(frozen=True)
class PkiUrls:
    """Where relying parties fetch CRLs, OCSP answers and CA certificates."""

    base_url: str

    def crl(self, ca_name: str) -> str:
        return f"{self.base_url.rstrip('/')}/pki/crl/{ca_name}.crl"

    def ocsp(self) -> str:
        return f"{self.base_url.rstrip('/')}/pki/ocsp"

    def ca_issuers(self, ca_name: str) -> str:
        return f"{self.base_url.rstrip('/')}/pki/certs/{ca_name}.cer"


def build_name(
    *, country: str, organisation: str, common_name: str, organisation_identifier: str = ""
) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, country),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
    ]
    if organisation_identifier:
        attributes.append(x509.NameAttribute(ORGANIZATION_IDENTIFIER, organisation_identifier))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _key_usage(
    *, cert_sign: bool = False, digital_signature: bool = False, non_repudiation: bool = False
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=non_repudiation,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _policies(*oids: ObjectIdentifier) -> x509.CertificatePolicies:
    return x509.CertificatePolicies([x509.PolicyInformation(oid, None) for oid in oids])


def create_root(
    *, key: CertificateIssuerPrivateKeyTypes, subject: x509.Name, now: dt.datetime
) -> x509.Certificate:
    public_key = key.public_key()
    ski = x509.SubjectKeyIdentifier.from_public_key(public_key)  # type: ignore[arg-type]
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY[Role.ROOT])
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )


def issue_certificate(
    *,
    role: Role,
    subject: x509.Name,
    public_key: CertificatePublicKeyTypes,
    issuer_certificate: x509.Certificate,
    issuer_key: CertificateIssuerPrivateKeyTypes,
    issuer_name: str,
    urls: PkiUrls,
    now: dt.datetime,
    validity: dt.timedelta | None = None,
    email: str = "",
) -> x509.Certificate:
    """Issue a certificate of ``role`` under ``issuer_certificate`` (named ``issuer_name`` in
    the platform's URLs). The validity never outlives the issuer's."""
    not_after = min(now + (validity or VALIDITY[role]), issuer_certificate.not_valid_after_utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer_certificate.public_key()  # type: ignore[arg-type]
            ),
            critical=False,
        )
    )
    if role is not Role.OCSP:
        # An OCSP responder certificate is not itself checked for revocation (id-pkix-ocsp-nocheck).
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(urls.crl(issuer_name))],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
    builder = builder.add_extension(
        x509.AuthorityInformationAccess(
            [
                x509.AccessDescription(
                    x509.AuthorityInformationAccessOID.OCSP,
                    x509.UniformResourceIdentifier(urls.ocsp()),
                ),
                x509.AccessDescription(
                    x509.AuthorityInformationAccessOID.CA_ISSUERS,
                    x509.UniformResourceIdentifier(urls.ca_issuers(issuer_name)),
                ),
            ]
        ),
        critical=False,
    )
    for extension, critical in _role_extensions(role, email):
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256())


def _role_extensions(role: Role, email: str) -> list[tuple[x509.ExtensionType, bool]]:
    if role in (Role.SEAL_CA, Role.PERSON_CA):
        return [
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (_key_usage(cert_sign=True), True),
            (_policies(Policy.CA), False),
        ]
    end_entity = (x509.BasicConstraints(ca=False, path_length=None), True)
    if role is Role.TSA:
        return [
            end_entity,
            (_key_usage(digital_signature=True, non_repudiation=True), True),
            # RFC 3161 §2.3: the TSA certificate has exactly this EKU, marked critical.
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True),
            (_policies(Policy.TIMESTAMP), False),
        ]
    if role is Role.OCSP:
        return [
            end_entity,
            (_key_usage(digital_signature=True), True),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), False),
            (x509.OCSPNoCheck(), False),
            (_policies(Policy.OCSP), False),
        ]
    if role is Role.SEAL:
        return [
            end_entity,
            (_key_usage(digital_signature=True, non_repudiation=True), True),
            (
                x509.ExtendedKeyUsage([DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                False,
            ),
            (_policies(Policy.SEAL), False),
        ]
    if role is Role.PERSON:
        extensions: list[tuple[x509.ExtensionType, bool]] = [
            end_entity,
            (_key_usage(digital_signature=True, non_repudiation=True), True),
            (
                x509.ExtendedKeyUsage([DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                False,
            ),
            (_policies(Policy.PERSON), False),
        ]
        if email:
            extensions.append((x509.SubjectAlternativeName([x509.RFC822Name(email)]), False))
        return extensions
    if role is Role.TRUST_LIST:
        return [
            end_entity,
            (_key_usage(digital_signature=True), True),
            (_policies(Policy.TRUST_LIST), False),
        ]
    raise ValueError(f"no profile for {role}")


def new_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 key, for tests and throw-away PKIs (the platform uses a KeyStore)."""
    return ec.generate_private_key(ec.SECP256R1())
