"""Writers of the audit trail. They run inside the caller's transaction, never their own:
an audit row exists exactly when the change or read it describes happened."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from jamana.audit.models import AccessEvent, AuditEvent


def record_event(
    *,
    action: str,
    object_type: str,
    object_ref: str,
    actor: Any = None,
    organisation: Any = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        at=timezone.now(),
        actor=actor,
        organisation=organisation,
        action=action,
        object_type=object_type,
        object_ref=object_ref,
        detail=detail or {},
    )


def record_access(
    *,
    person: Any,
    object_type: str,
    object_ref: str,
    purpose: str,
    actor: Any = None,
    organisation: Any = None,
) -> AccessEvent | None:
    """Record a read of ``person``'s data; a person reading their own data is not recorded."""
    if actor is not None and getattr(actor, "person_id", None) == person.pk:
        return None
    return AccessEvent.objects.create(
        at=timezone.now(),
        person=person,
        actor=actor,
        organisation=organisation,
        object_type=object_type,
        object_ref=object_ref,
        purpose=purpose,
    )
