"""Issue and revoke documents. Issuing is all-or-nothing: render → seal (PAdES B-LT) → store →
register in one transaction; if anything fails, no row and no file remain."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_event
from jamana.core.errors import JamanaError, NotFound
from jamana.core.references import format_reference, new_reference
from jamana.documents.kinds import KINDS
from jamana.documents.models import Document, DocumentStatus
from jamana.documents.rendering import DocumentContent, render_pdf
from jamana.identity.models import Account, DatePrecision, Organisation, Person
from jamana.identity.permissions import REVOKE_DOCUMENT
from jamana.identity.queries import require_permission
from jamana.pki.queries import sealing_material
from jamana.procedures.models import ServiceRequest
from jamana.trust.pades import seal_pdf
from jamana.trust.seal2d import SealClaims, kid_for, make_seal

COUNTRY_HEADINGS = {
    "ML": ("République du Mali", "Un Peuple – Un But – Une Foi"),
    "BF": ("Burkina Faso", "La Patrie ou la Mort, nous Vaincrons"),
    "NE": ("République du Niger", "Fraternité – Travail – Progrès"),
}


def verification_url(number: str) -> str:
    return f"{settings.JAMANA_PUBLIC_URL.rstrip('/')}/verify/{format_reference(number)}"


def issue_document(
    *,
    kind: str,
    issuer: Organisation,
    holder: Person | None,
    holder_name: str = "",
    fields: list[tuple[str, str]],
    paragraphs: list[str] | None = None,
    request: ServiceRequest | None = None,
    language: str = "fr",
    actor: Account | None = None,
) -> Document:
    """Render, seal and register one document; returns the registered Document."""
    if kind not in KINDS:
        raise JamanaError("unknown_document_kind", _("Unknown kind of document."))
    spec = KINDS[kind]
    holder_name = holder_name or (holder.full_name if holder else "")
    if not holder_name:
        raise JamanaError("holder_required", _("A document needs a holder."))
    now = timezone.now()
    number = new_reference()
    heading, motto = COUNTRY_HEADINGS.get(issuer.country, COUNTRY_HEADINGS["ML"])
    with translation.override(language):
        title = str(spec.title)
        content = DocumentContent(
            country_heading=heading,
            motto=motto,
            issuer=issuer.name,
            title=title,
            number=format_reference(number),
            fields=fields,
            paragraphs=paragraphs or [],
            issued_line=gettext("Issued on %(date)s") % {"date": formats.date_format(now, "j F Y")},
            verification_url=verification_url(number),
            verification_hint=gettext(
                "Check this document: scan the code or open the address below. "
                "It is electronically sealed; any change makes the seal invalid."
            ),
            language=language,
            seal2d_hint=gettext(
                "2D seal: verifiable offline with the Jamana verifier, even without Internet."
            ),
        )
        reason = gettext("Issued by %(issuer)s") % {"issuer": issuer.name}
    material, seal_record = sealing_material(issuer)
    # Two sealed files: the electronic original, and the printable copy whose 2D seal carries
    # the original's SHA-256 (a seal cannot hold the hash of the very file it is printed in).
    original = seal_pdf(render_pdf(content), material, reason=reason, location=issuer.country)
    digest = hashlib.sha256(original).hexdigest()
    expires_at = now + spec.validity if spec.validity else None
    seal_text = make_seal(
        SealClaims(
            issuer_code=issuer.code,
            issuer_country=issuer.country,
            kind=kind,
            number=number,
            holder_given_names=holder.given_names if holder else holder_name,
            holder_family_name=holder.family_name if holder else "",
            holder_birth_date=_birth_date_as_printed(holder),
            issued_at=now,
            expires_at=expires_at,
            pdf_sha256=bytes.fromhex(digest),
        ),
        signer=material.private_key,  # type: ignore[arg-type]
        kid=kid_for(material.certificate),
    )
    printable = seal_pdf(
        render_pdf(replace(content, seal2d=seal_text)),
        material,
        reason=reason,
        location=issuer.country,
    )
    printable_digest = hashlib.sha256(printable).hexdigest()
    stored: list[str] = []
    try:
        with transaction.atomic():
            stored.append(default_storage.save(f"documents/{number}.pdf", ContentFile(original)))
            stored.append(
                default_storage.save(f"documents/{number}-print.pdf", ContentFile(printable))
            )
            document = Document.objects.create(
                number=number,
                kind=kind,
                title=title,
                holder=holder,
                holder_name=holder_name,
                issuer=issuer,
                seal_certificate=seal_record,
                request=request,
                issued_at=now,
                expires_at=expires_at,
                language=language,
                sha256=digest,
                file=stored[0],
                size=len(original),
                printable_sha256=printable_digest,
                printable_file=stored[1],
                seal2d=seal_text,
            )
            record_event(
                action="document.issued",
                object_type="document",
                object_ref=number,
                actor=actor,
                organisation=issuer,
                detail={"kind": kind, "sha256": digest, "printable_sha256": printable_digest},
            )
    except BaseException:
        # The row was rolled back; the files must not outlive it.
        for name in stored:
            default_storage.delete(name)
        raise
    return document


def _birth_date_as_printed(holder: Person | None) -> str:
    """ISO date when known to the day, else what is printed ("1962", "about 1962")."""
    if holder is None or holder.birth_date is None:
        return ""
    if holder.birth_date_precision == DatePrecision.DAY:
        return holder.birth_date.isoformat()
    with translation.override("fr"):
        return holder.birth_date_display()


def read_document_file(document: Document, *, printable: bool = False) -> bytes:
    with default_storage.open(
        document.printable_file if printable else document.file, "rb"
    ) as handle:
        return handle.read()


def do_revoke_document(*, agent: Account, number: str, reason: str) -> Document:
    reason = reason.strip()
    if not reason:
        raise JamanaError("reason_required", _("A revocation must give its reason."))
    with transaction.atomic():
        document = Document.objects.select_for_update(of=("self",)).filter(number=number).first()
        if document is None:
            raise NotFound("document_not_found", _("No document with this number."))
        require_permission(agent, REVOKE_DOCUMENT, document.issuer)
        if document.status == DocumentStatus.REVOKED:
            raise JamanaError("already_revoked", _("This document is already revoked."))
        document.status = DocumentStatus.REVOKED
        document.revoked_at = timezone.now()
        document.revocation_reason = reason
        document.revoked_by = agent
        document.save()
        record_event(
            action="document.revoked",
            object_type="document",
            object_ref=number,
            actor=agent,
            organisation=document.issuer,
            detail={"reason": reason},
        )
    return document


def demo_residence_fields(person: Person, address: str) -> dict[str, Any]:
    return {
        "fields": [
            (gettext("Name"), person.full_name),
            (gettext("Date of birth"), person.birth_date_display()),
            (gettext("Place of birth"), person.birth_place_display()),
            (gettext("Address"), address),
        ],
        "paragraphs": [
            gettext(
                "The undersigned authority certifies that the person named above resides at "
                "the address given."
            )
        ],
    }
