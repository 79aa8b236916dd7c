"""Writers of the PKI state: initialise the hierarchy, issue seal certificates, revoke,
regenerate CRLs. Each is one transaction with its audit event."""

from __future__ import annotations

import datetime as dt
import secrets

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_event
from jamana.core.errors import JamanaError, NotFound, PermissionDenied
from jamana.identity.models import Account, Organisation, Person
from jamana.identity.permissions import REVOKE_CERTIFICATE
from jamana.identity.queries import has_permission, nina_of
from jamana.pki.keystore import key_store, public_urls
from jamana.pki.models import CertificateRecord, CrlRecord, PartnerAnchor, RevocationReason
from jamana.trust.pki import Role, build_name, create_root, issue_certificate
from jamana.trust.revocation import RevokedEntry, build_crl

CRL_VALIDITY = dt.timedelta(days=7)
# A CRL is re-issued when less than this remains before its nextUpdate.
CRL_RENEW_BEFORE = dt.timedelta(days=2)

# name → (role, issuer name, common name)
HIERARCHY: list[tuple[str, Role, str | None, str]] = [
    ("root", Role.ROOT, None, "Racine nationale"),
    ("seal-ca", Role.SEAL_CA, "root", "AC Cachets de l'administration"),
    ("person-ca", Role.PERSON_CA, "root", "AC Signatures des personnes"),
    ("tsa", Role.TSA, "seal-ca", "Unité d'horodatage"),
    ("ocsp-root", Role.OCSP, "root", "Répondeur OCSP (racine)"),
    ("ocsp-seal-ca", Role.OCSP, "seal-ca", "Répondeur OCSP (cachets)"),
    ("ocsp-person-ca", Role.OCSP, "person-ca", "Répondeur OCSP (personnes)"),
    ("trust-list", Role.TRUST_LIST, "seal-ca", "Liste de confiance"),
]
COUNTRY_NAMES = {"ML": "Mali", "BF": "Burkina Faso", "NE": "Niger"}
RFC5280_REASONS = {
    RevocationReason.UNSPECIFIED: x509.ReasonFlags.unspecified,
    RevocationReason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    RevocationReason.AFFILIATION_CHANGED: x509.ReasonFlags.affiliation_changed,
    RevocationReason.SUPERSEDED: x509.ReasonFlags.superseded,
    RevocationReason.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
}


def _pki_organisation_name() -> str:
    return f"Jamana {COUNTRY_NAMES[settings.JAMANA_COUNTRY]} PKI"


def load_certificate(record: CertificateRecord) -> x509.Certificate:
    return x509.load_der_x509_certificate(bytes(record.der))


def _save(
    *,
    name: str,
    role: Role,
    certificate: x509.Certificate,
    key_name: str,
    issuer: CertificateRecord | None,
    organisation: Organisation | None = None,
    person: Person | None = None,
) -> CertificateRecord:
    record = CertificateRecord.objects.create(
        name=name,
        role=role.value,
        issuer=issuer,
        serial=f"{certificate.serial_number:x}",
        subject=certificate.subject.rfc4514_string(),
        der=certificate.public_bytes(Encoding.DER),
        key_name=key_name,
        organisation=organisation,
        person=person,
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )
    if issuer is None:  # the root is its own issuer
        record.issuer = record
        record.save(update_fields=["issuer"])
    record_event(
        action="pki.certificate_issued",
        object_type="certificate",
        object_ref=name,
        organisation=organisation,
        detail={"serial": record.serial, "role": role.value},
    )
    return record


def _issue_under(
    *,
    name: str,
    role: Role,
    issuer: CertificateRecord,
    subject: x509.Name,
    organisation: Organisation | None = None,
    person: Person | None = None,
) -> CertificateRecord:
    key_name = f"{name}-{secrets.token_hex(4)}"
    key = key_store().generate(key_name)
    certificate = issue_certificate(
        role=role,
        subject=subject,
        public_key=key.public_key(),
        issuer_certificate=load_certificate(issuer),
        issuer_key=key_store().load(issuer.key_name),  # type: ignore[arg-type]
        issuer_name=issuer.name,
        urls=public_urls(),
        now=timezone.now(),
    )
    return _save(
        name=name,
        role=role,
        certificate=certificate,
        key_name=key_name,
        issuer=issuer,
        organisation=organisation,
        person=person,
    )


def do_trust_init() -> list[str]:
    """Create whatever part of the hierarchy is missing; running it again changes nothing."""
    created: list[str] = []
    country = settings.JAMANA_COUNTRY
    with transaction.atomic():
        for name, role, issuer_name, common_name in HIERARCHY:
            if CertificateRecord.objects.filter(name=name).exists():
                continue
            subject = build_name(
                country=country,
                organisation=_pki_organisation_name(),
                common_name=f"Jamana {country} — {common_name}",
            )
            if issuer_name is None:
                key_name = f"{name}-{secrets.token_hex(4)}"
                key = key_store().generate(key_name)
                certificate = create_root(key=key, subject=subject, now=timezone.now())
                _save(name=name, role=role, certificate=certificate, key_name=key_name, issuer=None)
            else:
                issuer = CertificateRecord.objects.get(name=issuer_name)
                _issue_under(name=name, role=role, issuer=issuer, subject=subject)
            created.append(name)
        for ca in ("root", "seal-ca", "person-ca"):
            if not CrlRecord.objects.filter(ca__name=ca).exists():
                _new_crl(CertificateRecord.objects.get(name=ca))
    return created


def seal_certificate_name(organisation: Organisation) -> str:
    return f"seal-{organisation.code.lower()}"


def do_ensure_seal_certificate(organisation: Organisation) -> CertificateRecord:
    """The organisation's current seal certificate, issued on first use (and again after a
    revocation or expiry, under a new name)."""
    now = timezone.now()
    current = (
        CertificateRecord.objects.filter(
            organisation=organisation,
            role=Role.SEAL.value,
            revoked_at__isnull=True,
            not_after__gt=now + dt.timedelta(days=1),
        )
        .order_by("-not_before")
        .first()
    )
    if current is not None:
        return current
    with transaction.atomic():
        issuer = CertificateRecord.objects.select_for_update().get(name="seal-ca")
        base = seal_certificate_name(organisation)
        previous = CertificateRecord.objects.filter(name__startswith=base).count()
        name = base if previous == 0 else f"{base}-{previous + 1}"
        subject = build_name(
            country=organisation.country,
            organisation=organisation.name[:64],
            common_name=organisation.name[:64],
            organisation_identifier=f"GOV{organisation.country}-{organisation.code}",
        )
        return _issue_under(
            name=name, role=Role.SEAL, issuer=issuer, subject=subject, organisation=organisation
        )


def _new_crl(ca: CertificateRecord) -> CrlRecord:
    now = timezone.now()
    last = ca.crls.order_by("-number").first()
    number = (last.number + 1) if last else 1
    revoked = [
        RevokedEntry(
            serial_number=int(r.serial, 16),
            revoked_at=r.revoked_at,  # type: ignore[arg-type]  # filtered on not null
            reason=RFC5280_REASONS[RevocationReason(r.revocation_reason)],
        )
        for r in CertificateRecord.objects.filter(issuer=ca, revoked_at__isnull=False).exclude(
            pk=ca.pk
        )
    ]
    der = build_crl(
        issuer_certificate=load_certificate(ca),
        issuer_key=key_store().load(ca.key_name),  # type: ignore[arg-type]
        revoked=revoked,
        crl_number=number,
        this_update=now,
        next_update=now + CRL_VALIDITY,
    )
    return CrlRecord.objects.create(
        ca=ca, number=number, this_update=now, next_update=now + CRL_VALIDITY, der=der
    )


def do_refresh_crl(ca_name: str) -> CrlRecord:
    """The CA's current CRL, re-issued if it is close to its nextUpdate."""
    ca = CertificateRecord.objects.filter(name=ca_name, role__in=["root", "seal-ca", "person-ca"])
    record = ca.first()
    if record is None:
        raise NotFound("unknown_ca", _("No such certification authority."))
    latest = record.crls.order_by("-number").first()
    if latest is None or latest.next_update - timezone.now() < CRL_RENEW_BEFORE:
        with transaction.atomic():
            latest = _new_crl(record)
    return latest


def do_revoke_certificate(
    *,
    agent: Account | None,
    name: str,
    reason: str,
    compromised_at: dt.datetime | None = None,
) -> CertificateRecord:
    """Revoke a certificate and re-issue its CA's CRL at once; audited.

    ``agent`` None means the operator console (a key ceremony on the server itself).
    ``compromised_at`` (key compromise only) is when the key stopped being trustworthy:
    documents sealed from then on verify as invalid, earlier ones stay valid."""
    if reason not in RevocationReason.values:
        raise JamanaError("reason_required", _("Choose the reason for the revocation."))
    if compromised_at is not None and reason != RevocationReason.KEY_COMPROMISE:
        raise JamanaError(
            "compromise_date_without_compromise",
            _("A compromise date goes only with the reason “key compromise”."),
        )
    now = timezone.now()
    if compromised_at is not None and compromised_at > now:
        raise JamanaError("compromise_in_future", _("The compromise date is in the future."))
    with transaction.atomic():
        record = CertificateRecord.objects.select_for_update().filter(name=name).first()
        if record is None:
            raise NotFound("unknown_certificate", _("No such certificate."))
        # The organisation that owns a seal may revoke it; the PKI operator may revoke any.
        operator = Organisation.objects.filter(code=settings.JAMANA_PKI_ORGANISATION).first()
        owners = [o for o in (record.organisation, operator) if o is not None]
        if agent is not None and not any(
            has_permission(agent, REVOKE_CERTIFICATE, o) for o in owners
        ):
            raise PermissionDenied(
                "permission_denied", _("Your role does not allow this action here.")
            )
        owner = record.organisation or operator
        if record.role == Role.ROOT.value:
            raise JamanaError("root_not_revocable", _("The root is replaced, not revoked."))
        if record.revoked_at is not None:
            raise JamanaError("already_revoked", _("This certificate is already revoked."))
        record.revoked_at = now
        record.revocation_reason = reason
        record.revoked_by = agent
        record.compromised_at = compromised_at
        record.save()
        record_event(
            action="pki.certificate_revoked",
            object_type="certificate",
            object_ref=name,
            actor=agent,
            organisation=owner,
            detail={
                "reason": reason,
                "serial": record.serial,
                "compromised_at": compromised_at.isoformat() if compromised_at else None,
                "by": "agent" if agent else "operator-console",
            },
        )
        assert record.issuer is not None  # noqa: S101 — only the root issues itself
        _new_crl(record.issuer)
    return record


def do_import_partner_trust_list(
    *, document: bytes | str, country: str, pinned_root_sha256: str, source: str
) -> list[PartnerAnchor]:
    """Import an AES partner's signed trust list after verifying it against its pinned root.
    Importing the same list again changes nothing."""
    from jamana.trust.trustlist import TrustListError, read_trust_list

    if country == settings.JAMANA_COUNTRY:
        raise JamanaError("own_country", _("An instance does not import its own trust list."))
    try:
        trust_list = read_trust_list(
            document,
            pinned_root_sha256=pinned_root_sha256,
            expected_country=country,
            now=timezone.now(),
        )
    except TrustListError as exc:
        raise JamanaError(
            "bad_trust_list", _("Trust list refused: %(why)s"), why=str(exc)
        ) from None
    anchors = []
    with transaction.atomic():
        for entry in trust_list.entries:
            anchor, _created = PartnerAnchor.objects.update_or_create(
                sha256=entry.sha256,
                defaults={
                    "country": country,
                    "name": entry.name,
                    "role": entry.role,
                    "der": entry.certificate.public_bytes(Encoding.DER),
                    "source": source,
                    "imported_at": timezone.now(),
                },
            )
            anchors.append(anchor)
        record_event(
            action="pki.partner_trust_list_imported",
            object_type="trust_list",
            object_ref=country,
            detail={"source": source, "entries": len(anchors)},
        )
    return anchors


class CertificateRevoked(JamanaError):
    pass


def do_ensure_personal_certificate(person: Person) -> CertificateRecord:
    """The person's signature certificate, issued on first use. A revoked certificate is not
    silently replaced: the holder asks for a new one (``do_renew_personal_certificate``)."""
    latest = _usable_personal(person)
    if latest is not None:
        return latest
    with transaction.atomic():
        # Two first signatures of the same person at once (two devices) issue one
        # certificate: the second waits on the person's row, then finds the first's.
        Person.objects.select_for_update().filter(pk=person.pk).first()
        return _usable_personal(person) or _issue_personal(person)


def _usable_personal(person: Person) -> CertificateRecord | None:
    """The person's current certificate if it can sign for at least a day; None when a new one
    is due; CertificateRevoked when the latest was revoked."""
    latest = (
        CertificateRecord.objects.filter(person=person, role=Role.PERSON.value)
        .order_by("-not_before", "-pk")
        .first()
    )
    if latest is not None and latest.revoked_at is not None:
        raise CertificateRevoked(
            "certificate_revoked",
            _("Your signature certificate is revoked. Ask for a new one before signing."),
        )
    if latest is not None and latest.not_after > timezone.now() + dt.timedelta(days=1):
        return latest
    return None


def do_renew_personal_certificate(person: Person) -> CertificateRecord:
    return _issue_personal(person)


def _issue_personal(person: Person) -> CertificateRecord:
    nina = nina_of(person)
    if not nina:
        raise JamanaError(
            "nina_required",
            _("A personal signature needs your NINA. Have it linked to your account at a counter."),
        )
    with transaction.atomic():
        # Lock the person, not the CA: certificate serials are random, only this person's
        # certificate names are numbered, and a CA-wide lock made every first-time signer in
        # a deadline rush wait for every other (bench/CALLS.md).
        Person.objects.select_for_update().filter(pk=person.pk).first()
        issuer = CertificateRecord.objects.get(name="person-ca")
        count = CertificateRecord.objects.filter(person=person).count()
        attributes = [
            x509.NameAttribute(NameOID.COUNTRY_NAME, settings.JAMANA_COUNTRY),
            x509.NameAttribute(NameOID.COMMON_NAME, person.full_name[:64]),
            # ETSI EN 319 412-1 semantics identifier: IDC<country>-<national id number>.
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"IDC{settings.JAMANA_COUNTRY}-{nina}"),
        ]
        if person.given_names:
            attributes.insert(1, x509.NameAttribute(NameOID.GIVEN_NAME, person.given_names[:64]))
        if person.family_name:
            attributes.insert(1, x509.NameAttribute(NameOID.SURNAME, person.family_name[:64]))
        return _issue_under(
            name=f"person-{person.pk}-{count + 1}",
            role=Role.PERSON,
            issuer=issuer,
            subject=x509.Name(attributes),
            person=person,
        )


def do_revoke_own_certificate(*, account: Account, name: str, reason: str) -> CertificateRecord:
    """The holder revokes their own signature certificate (lost phone, doubt about an SMS)."""
    with transaction.atomic():
        record = (
            CertificateRecord.objects.select_for_update()
            .filter(name=name, person_id=account.person_id or 0, role=Role.PERSON.value)
            .first()
        )
        if record is None or account.person_id is None:
            raise NotFound("unknown_certificate", _("No such certificate."))
        if record.revoked_at is not None:
            raise JamanaError("already_revoked", _("This certificate is already revoked."))
        if reason not in RevocationReason.values:
            raise JamanaError("reason_required", _("Choose the reason for the revocation."))
        record.revoked_at = timezone.now()
        record.revocation_reason = reason
        record.revoked_by = account
        record.save()
        record_event(
            action="pki.certificate_revoked",
            object_type="certificate",
            object_ref=name,
            actor=account,
            detail={"reason": reason, "serial": record.serial, "by": "holder"},
        )
        assert record.issuer is not None  # noqa: S101
        _new_crl(record.issuer)
    return record


def do_rotate_seal(
    *, organisation: Organisation, agent: Account | None = None
) -> CertificateRecord:
    """Planned rotation: the current seal certificate is revoked as superseded (documents it
    sealed stay valid: their timestamps and embedded revocation data predate the revocation)
    and a new key and certificate are issued."""
    current = (
        CertificateRecord.objects.filter(
            organisation=organisation, role=Role.SEAL.value, revoked_at__isnull=True
        )
        .order_by("-not_before")
        .first()
    )
    if current is not None:
        do_revoke_certificate(agent=agent, name=current.name, reason=RevocationReason.SUPERSEDED)
    return do_ensure_seal_certificate(organisation)
