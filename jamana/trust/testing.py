"""A complete throw-away PKI for tests: same profiles as the platform, keys in memory."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

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
