"""Read-side of the PKI: the trust objects (TSA, OCSP responder, sealing material) built from
the database and the key store, and the certificates and CRLs served publicly."""

from __future__ import annotations

import functools
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from jamana.identity.models import Organisation
from jamana.pki.actions import (
    RFC5280_REASONS,
    do_ensure_seal_certificate,
    do_refresh_crl,
    load_certificate,
)
from jamana.pki.keystore import key_store
from jamana.pki.models import CertificateRecord, CrlRecord, PartnerAnchor, RevocationReason
from jamana.trust.pades import SealingMaterial
from jamana.trust.pki import Policy
from jamana.trust.revocation import CertStatus, OcspResponder, ResponderIdentity
from jamana.trust.tsa import InProcessTimeStamper, TimeStampAuthority

CA_NAMES = ("root", "seal-ca", "person-ca")


def get_record(name: str) -> CertificateRecord | None:
    return CertificateRecord.objects.select_related("issuer").filter(name=name).first()


def certificate(name: str) -> x509.Certificate:
    return load_certificate(CertificateRecord.objects.get(name=name))


def own_root() -> x509.Certificate:
    return certificate("root")


def trust_roots() -> list[x509.Certificate]:
    """This instance's root and the partner roots it imported."""
    roots = [own_root()]
    roots += [
        x509.load_der_x509_certificate(bytes(a.der))
        for a in PartnerAnchor.objects.filter(role="root")
    ]
    return roots


def time_stamp_authority() -> TimeStampAuthority:
    record = CertificateRecord.objects.get(name="tsa")
    return TimeStampAuthority(
        certificate=load_certificate(record),
        private_key=key_store().load(record.key_name),  # type: ignore[arg-type]
        chain=[certificate("seal-ca")],
        policy_oid=Policy.TIMESTAMP,
    )


def certificate_status(issuer: x509.Certificate, serial: int) -> CertStatus:
    """What OCSP says about ``serial`` under ``issuer``: unknown if we never issued it."""
    issuer_der = issuer.public_bytes(Encoding.DER)
    ca = next(
        (
            r
            for r in CertificateRecord.objects.filter(name__in=CA_NAMES)
            if bytes(r.der) == issuer_der
        ),
        None,
    )
    if ca is None:
        return CertStatus.UNKNOWN
    record = (
        CertificateRecord.objects.filter(issuer=ca, serial=f"{serial:x}").exclude(pk=ca.pk).first()
    )
    if record is None:
        return CertStatus.UNKNOWN
    if record.revoked_at is not None:
        return CertStatus.revoked(
            record.revoked_at, RFC5280_REASONS[RevocationReason(record.revocation_reason)]
        )
    return CertStatus.GOOD


def ocsp_responder() -> OcspResponder:
    """The responder for our CAs. Its keys are decrypted once per process and responder
    certificate set; the status of each certificate is read live from the database."""
    records = tuple(
        CertificateRecord.objects.filter(name__in=[f"ocsp-{n}" for n in CA_NAMES])
        .order_by("name")
        .values_list("name", "key_name")
    )
    return _ocsp_responder(records)


@functools.lru_cache(maxsize=4)
def _ocsp_responder(records: tuple[tuple[str, str], ...]) -> OcspResponder:
    identities = []
    for ca_name in CA_NAMES:
        responder = CertificateRecord.objects.get(name=f"ocsp-{ca_name}")
        identities.append(
            ResponderIdentity(
                issuer_certificate=certificate(ca_name),
                responder_certificate=load_certificate(responder),
                responder_key=key_store().load(responder.key_name),  # type: ignore[arg-type]
            )
        )
    return OcspResponder(identities, certificate_status)


def _ocsp_answer(
    responder: OcspResponder, cert: x509.Certificate, issuer: x509.Certificate
) -> bytes:
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA256()).build()
    return responder.respond(request.public_bytes(Encoding.DER))


# Preparing sealing material costs ~11 ms and 27 queries (bench/DOCUMENTS.md): it is reused
# for a few minutes. The key changes with the signing key and with every new CRL, so a
# revocation (which always issues a CRL) is seen by the very next document.
MATERIAL_TTL_SECONDS = 300
_material_cache: dict[tuple[str, str, int], tuple[float, SealingMaterial]] = {}
_material_lock = threading.Lock()


def signing_material(record: CertificateRecord) -> SealingMaterial:
    """Everything to sign with ``record``'s key (see ``_build_signing_material``), reused for
    up to MATERIAL_TTL_SECONDS while no CRL changes."""
    latest_crl = CrlRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    key = (record.key_name, record.serial, latest_crl)
    now = time.monotonic()
    with _material_lock:
        cached = _material_cache.get(key)
        if cached is not None and now - cached[0] < MATERIAL_TTL_SECONDS:
            return cached[1]
    material = _build_signing_material(record)
    with _material_lock:
        if len(_material_cache) > 256:
            _material_cache.clear()
        _material_cache[key] = (now, material)
    return material


def _build_signing_material(record: CertificateRecord) -> SealingMaterial:
    """The certificate and its chain, the TSA, and fresh revocation data (OCSP for the signer
    and the TSA, CRLs of their CAs) to embed."""
    assert record.issuer is not None  # noqa: S101 — every signing certificate has an issuer
    signer = load_certificate(record)
    issuing_ca, seal_ca, root = certificate(record.issuer.name), certificate("seal-ca"), own_root()
    tsa = time_stamp_authority()
    responder = ocsp_responder()
    ca_names = dict.fromkeys(["root", "seal-ca", record.issuer.name])
    crls = [bytes(do_refresh_crl(name).der) for name in ca_names]
    ocsps = [
        _ocsp_answer(responder, signer, issuing_ca),
        _ocsp_answer(responder, tsa.certificate, seal_ca),
    ]
    return SealingMaterial(
        certificate=signer,
        chain=[issuing_ca, root] if issuing_ca == seal_ca else [issuing_ca, seal_ca, root],
        private_key=key_store().load(record.key_name),  # type: ignore[arg-type]
        timestamper=InProcessTimeStamper(tsa),
        trust_roots=[root],
        crls=crls,
        ocsp_responses=ocsps,
    )


def cms_signing_material(record: CertificateRecord) -> SealingMaterial:
    """What a detached CMS signature (CAdES B-T, ``trust.cms.sign_detached``) needs: the key,
    its certificate and chain, and a timestamper. Nothing about revocation: a B-T signature
    embeds none (verifiers fetch it), so the CRL refreshes and OCSP answers that
    ``signing_material`` prepares for PAdES B-LT would be built for nothing on every
    applicant's first signature."""
    assert record.issuer is not None  # noqa: S101 — every signing certificate has an issuer
    issuing_ca, seal_ca, root = certificate(record.issuer.name), certificate("seal-ca"), own_root()
    return SealingMaterial(
        certificate=load_certificate(record),
        # The seal CA too, as in ``signing_material``: it issued the TSA's certificate.
        chain=[issuing_ca, root] if issuing_ca == seal_ca else [issuing_ca, seal_ca, root],
        private_key=key_store().load(record.key_name),  # type: ignore[arg-type]
        timestamper=InProcessTimeStamper(time_stamp_authority()),
        trust_roots=[root],
    )


def sealing_material(organisation: Organisation) -> tuple[SealingMaterial, CertificateRecord]:
    """The organisation's seal (issued on first use) and what it needs to seal."""
    record = do_ensure_seal_certificate(organisation)
    return signing_material(record), record


def published_trust_list() -> dict[str, object]:
    """This instance's signed trust list (root, issuing CAs, TSA)."""
    from django.conf import settings
    from django.utils import timezone

    from jamana.trust.trustlist import TrustListEntry, build_trust_list

    entries = [
        TrustListEntry(name, role, certificate(name))
        for name, role in [
            ("root", "root"),
            ("seal-ca", "seal-ca"),
            ("person-ca", "person-ca"),
            ("tsa", "tsa"),
        ]
    ]
    # Seal certificates let an offline verifier read 2D seals (kid → certificate).
    entries += [
        TrustListEntry(r.name, "seal", load_certificate(r))
        for r in CertificateRecord.objects.filter(role="seal").exclude(
            revocation_reason=RevocationReason.KEY_COMPROMISE
        )
    ]
    signer = CertificateRecord.objects.get(name="trust-list")
    return build_trust_list(
        country=settings.JAMANA_COUNTRY,
        entries=entries,
        signer_certificate=load_certificate(signer),
        signer_key=key_store().load(signer.key_name),  # type: ignore[arg-type]
        chain=[certificate("seal-ca"), own_root()],
        now=timezone.now(),
    )


def trusted_seal_map() -> dict[bytes, x509.Certificate]:
    """kid → seal certificate, for reading 2D seals: ours (all, since rotated seals keep old
    documents valid; compromise is checked separately) and the partners' imported ones."""
    from jamana.trust.seal2d import trusted_seal_certificates

    certificates = [load_certificate(r) for r in CertificateRecord.objects.filter(role="seal")]
    certificates += [
        x509.load_der_x509_certificate(bytes(a.der))
        for a in PartnerAnchor.objects.filter(role="seal")
    ]
    return trusted_seal_certificates(certificates)
