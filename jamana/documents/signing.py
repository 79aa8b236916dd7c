"""Personal electronic signatures (remote signing): the platform holds the person's key in its
key store and signs only after an SMS code bound to the document's hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_event
from jamana.core.errors import JamanaError, NotFound
from jamana.documents.models import SigningSession, SigningStatus
from jamana.identity.actions import SignInError, check_code, do_send_code
from jamana.identity.models import Account, CodePurpose
from jamana.pki.actions import do_ensure_personal_certificate
from jamana.pki.queries import signing_material
from jamana.trust.pades import seal_pdf

SESSION_TTL = dt.timedelta(minutes=15)


def _looks_like_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-") and b"%%EOF" in data[-2048:]


def do_start_signing(*, account: Account, data: bytes, filename: str) -> SigningSession:
    """Fix the document to sign (its SHA-256) and send the SMS code bound to it."""
    if account.person_id is None:
        raise JamanaError(
            "no_person", _("Your account is not linked to a person yet. Go to a counter.")
        )
    if len(data) > settings.MAX_UPLOAD_BYTES:
        raise JamanaError("too_large", _("The file is too large."))
    if not _looks_like_pdf(data):
        raise JamanaError("not_pdf", _("Only PDF files can be signed."))
    assert account.person is not None  # noqa: S101
    # Refuse early (before any SMS) when the certificate is revoked or a NINA is missing.
    do_ensure_personal_certificate(account.person)
    digest = hashlib.sha256(data).hexdigest()
    now = timezone.now()
    token = secrets.token_hex(16)
    stored = default_storage.save(f"signing/{token}.pdf", ContentFile(data))
    try:
        with transaction.atomic():
            session = SigningSession.objects.create(
                token=token,
                account=account,
                filename=filename[:200] or "document.pdf",
                original_sha256=digest,
                original_file=stored,
                created_at=now,
                expires_at=now + SESSION_TTL,
            )
            do_send_code(
                account, CodePurpose.SIGNATURE, binding=digest, control=session.control_code
            )
            record_event(
                action="signature.requested",
                object_type="signing_session",
                object_ref=token,
                actor=account,
                detail={"sha256": digest, "filename": session.filename},
            )
    except BaseException:
        default_storage.delete(stored)
        raise
    return session


def access_own_session(account: Account, token: str) -> SigningSession:
    session = SigningSession.objects.filter(token=token, account=account).first()
    if session is None:
        raise NotFound("signing_not_found", _("No such signature in progress."))
    return session


def check_sign(*, account: Account, token: str, code: str) -> SigningSession:
    """Sign if ``code`` is the latest, unexpired, unused SMS code bound to this document.
    Every refusal is recorded."""
    session = access_own_session(account, token)
    if session.status != SigningStatus.PENDING:
        raise JamanaError("signing_closed", _("This signature is already closed."))
    if session.expires_at <= timezone.now():
        raise JamanaError("signing_expired", _("This signature request has expired. Start again."))
    with default_storage.open(session.original_file, "rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != session.original_sha256:
        raise JamanaError("document_changed", _("The document changed. Start again."))
    try:
        check_code(account, CodePurpose.SIGNATURE, code, binding=session.original_sha256)
        assert account.person is not None  # noqa: S101
        record = do_ensure_personal_certificate(account.person)
    except JamanaError as exc:
        with transaction.atomic():
            record_event(
                action="signature.refused",
                object_type="signing_session",
                object_ref=token,
                actor=account,
                detail={"code": exc.code},
            )
        raise
    signed = seal_pdf(
        data,
        signing_material(record),
        reason=str(_("Signed electronically")),
        location=settings.JAMANA_COUNTRY,
    )
    digest = hashlib.sha256(signed).hexdigest()
    stored = default_storage.save(f"signed/{token}.pdf", ContentFile(signed))
    try:
        with transaction.atomic():
            session.status = SigningStatus.SIGNED
            session.certificate = record
            session.signed_at = timezone.now()
            session.signed_sha256 = digest
            session.signed_file = stored
            session.save()
            record_event(
                action="signature.created",
                object_type="signing_session",
                object_ref=token,
                actor=account,
                detail={
                    "original_sha256": session.original_sha256,
                    "signed_sha256": digest,
                    "certificate": record.name,
                },
            )
    except BaseException:
        default_storage.delete(stored)
        raise
    return session


__all__ = ["SignInError", "access_own_session", "check_sign", "do_start_signing"]
