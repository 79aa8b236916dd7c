"""A complete throw-away PKI for tests: same profiles as the platform, keys in memory."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from jamana.trust.pades import SealingMaterial
from jamana.trust.pki import PkiUrls, Role, build_name, create_root, issue_certificate, new_key


@dataclass(frozen=True)
class Issued:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class TestPki:
    urls: PkiUrls
    root: Issued
    seal_ca: Issued
    person_ca: Issued
    tsa: Issued
    ocsp_root: Issued
    ocsp_seal: Issued
    seal: Issued
    trust_list: Issued


def make_test_pki(
    *,
    base_url: str = "http://127.0.0.1:8000",
    country: str = "ML",
    now: dt.datetime | None = None,
) -> TestPki:
    now = now or dt.datetime.now(dt.UTC)
    urls = PkiUrls(base_url)

    def name(cn: str, org: str = "Jamana PKI", org_id: str = "") -> x509.Name:
        return build_name(
            country=country, organisation=org, common_name=cn, organisation_identifier=org_id
        )

    root_key = new_key()
    root = Issued(
        create_root(key=root_key, subject=name("Jamana Root CA (test)"), now=now), root_key
    )

    def under(parent: Issued, parent_name: str, role: Role, subject: x509.Name) -> Issued:
        key = new_key()
        cert = issue_certificate(
            role=role,
            subject=subject,
            public_key=key.public_key(),
            issuer_certificate=parent.certificate,
            issuer_key=parent.key,
            issuer_name=parent_name,
            urls=urls,
            now=now,
        )
        return Issued(cert, key)

    seal_ca = under(root, "root", Role.SEAL_CA, name("Jamana Seal CA (test)"))
    person_ca = under(root, "root", Role.PERSON_CA, name("Jamana Person CA (test)"))
    return TestPki(
        urls=urls,
        root=root,
        seal_ca=seal_ca,
        person_ca=person_ca,
        tsa=under(seal_ca, "seal-ca", Role.TSA, name("Jamana Time-Stamping Unit (test)")),
        ocsp_root=under(root, "root", Role.OCSP, name("Jamana OCSP responder (root, test)")),
        ocsp_seal=under(seal_ca, "seal-ca", Role.OCSP, name("Jamana OCSP responder (test)")),
        seal=under(
            seal_ca,
            "seal-ca",
            Role.SEAL,
            name("Centre d'état civil test", "Centre d'état civil test", f"{country}-TEST-CEC"),
        ),
        trust_list=under(seal_ca, "seal-ca", Role.TRUST_LIST, name("Jamana trust list (test)")),
    )


def sealing_material_for(pki: TestPki) -> SealingMaterial:
    """Sealing material from a test PKI: its seal, its TSA, fresh CRLs and OCSP answers."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509 import ocsp

    from jamana.trust.pki import Policy
    from jamana.trust.revocation import (
        CertStatus,
        OcspResponder,
        ResponderIdentity,
        build_crl,
    )
    from jamana.trust.tsa import InProcessTimeStamper, TimeStampAuthority

    now = dt.datetime.now(dt.UTC)
    crls = [
        build_crl(
            issuer_certificate=ca.certificate,
            issuer_key=ca.key,
            revoked=[],
            crl_number=1,
            this_update=now,
            next_update=now + dt.timedelta(days=7),
        )
        for ca in (pki.root, pki.seal_ca)
    ]
    responder = OcspResponder(
        [ResponderIdentity(pki.seal_ca.certificate, pki.ocsp_seal.certificate, pki.ocsp_seal.key)],
        lambda issuer, serial: CertStatus.GOOD,
    )

    def answer(cert: x509.Certificate) -> bytes:
        request = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(cert, pki.seal_ca.certificate, hashes.SHA256())
            .build()
        )
        return responder.respond(request.public_bytes(Encoding.DER))

    tsa = TimeStampAuthority(
        certificate=pki.tsa.certificate,
        private_key=pki.tsa.key,
        chain=[pki.seal_ca.certificate],
        policy_oid=Policy.TIMESTAMP,
    )
    return SealingMaterial(
        certificate=pki.seal.certificate,
        chain=[pki.seal_ca.certificate, pki.root.certificate],
        private_key=pki.seal.key,
        timestamper=InProcessTimeStamper(tsa),
        trust_roots=[pki.root.certificate],
        crls=crls,
        ocsp_responses=[answer(pki.seal.certificate), answer(pki.tsa.certificate)],
    )
