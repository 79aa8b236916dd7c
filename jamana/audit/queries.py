from __future__ import annotations

from django.db.models import QuerySet

from jamana.audit.models import AccessEvent, AuditEvent


def list_accesses_to_person(person_id: int) -> QuerySet[AccessEvent]:
    """What the citizen sees on "Qui a consulté mes données", newest first."""
    return (
        AccessEvent.objects.filter(person_id=person_id)
        .select_related("actor", "organisation")
        .order_by("-at", "-pk")
    )


def list_events_for(object_type: str, object_ref: str) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type=object_type, object_ref=object_ref).order_by("at")
