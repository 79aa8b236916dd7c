"""Writers of the audit trail. They run inside the caller's transaction, never their own:
an audit row exists exactly when the change or read it describes happened."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from jamana.audit.models import AccessEvent, AuditEvent

ACCESS_DEDUP_WINDOW = dt.timedelta(minutes=10)


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
    now = timezone.now()
    # Reloading a case page while working on it is one consultation, not many: the same
    # reader, object and purpose within a few minutes is recorded once.
    recent = AccessEvent.objects.filter(
        person=person,
        actor=actor,
        object_type=object_type,
        object_ref=object_ref,
        purpose=purpose,
        at__gte=now - ACCESS_DEDUP_WINDOW,
    ).first()
    if recent is not None:
        return recent
    return AccessEvent.objects.create(
        at=now,
        person=person,
        actor=actor,
        organisation=organisation,
        object_type=object_type,
        object_ref=object_ref,
        purpose=purpose,
    )
