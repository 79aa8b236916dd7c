"""Reads of the casier judiciaire. Every read of a person's casier by someone other than the
person is an access event the person sees in "who accessed my data"."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_access
from jamana.core.errors import JamanaError, NotFound
from jamana.documents.models import Document, DocumentStatus
from jamana.identity.models import Account, Organisation, OrganisationKind, Person
from jamana.identity.permissions import DECIDE_NATIONALITY, ISSUE_BULLETIN, RECORD_CONVICTION
from jamana.identity.queries import agent_organisations, person_and_merged_ids
from jamana.justice.bulletins import Bulletin
from jamana.justice.casier import competent_court, compute_bulletin
from jamana.justice.models import Conviction
from jamana.justice.requests import B3_SERVICE, NATIONALITY_SERVICE
from jamana.procedures.models import RequestStatus, ServiceRequest

#: Administrations that may be given a bulletin n°2 when they state their legal basis.
B2_RECIPIENT_KINDS = (
    OrganisationKind.RECRUITING_BODY,
    OrganisationKind.MINISTRY,
    OrganisationKind.AGENCY,
    OrganisationKind.COURT,
)


def get_bulletin_2_for_administration(
    *, organisation: Organisation, person: Person, legal_basis: str, actor: Account | None = None
) -> Bulletin:
    """Bulletin n°2, for an administration only, on a stated legal basis (a recruiting body
    checking a candidate, for instance). Other apps call this; the person sees the read."""
    legal_basis = " ".join(legal_basis.split())
    if organisation.kind not in B2_RECIPIENT_KINDS:
        raise JamanaError(
            "b2_not_allowed", _("Bulletin no. 2 is given only to public administrations.")
        )
    if len(legal_basis) < 5:
        raise JamanaError(
            "legal_basis_required", _("State the legal basis for asking for bulletin no. 2.")
        )
    today = timezone.localdate()
    result = compute_bulletin(person, 2, today)
    record_access(
        person=person,
        object_type="casier_b2",
        object_ref=str(person.pk),
        purpose=f"Bulletin n°2 — {legal_basis}"[:200],
        actor=actor,
        organisation=organisation,
    )
    return result


def get_casier_for_clerk(account: Account, person: Person) -> list[Conviction]:
    """The convictions of a person whose casier this clerk's court keeps (else 404)."""
    court = competent_court(person, timezone.localdate())
    if court not in agent_organisations(account, RECORD_CONVICTION):
        raise NotFound("casier_not_found", _("No criminal record here for this person."))
    record_access(
        person=person,
        object_type="casier",
        object_ref=str(person.pk),
        purpose="casier consulted by the greffe",
        actor=account,
        organisation=court,
    )
    return list(
        Conviction.objects.filter(person_id__in=person_and_merged_ids(person))
        .select_related("court")
        .prefetch_related("events")
        .order_by("-decided_on", "-pk")
    )


def list_review_queue(account: Account) -> QuerySet[ServiceRequest]:
    """Bulletins n°3 waiting for the greffe, and certificates of nationality waiting for a
    magistrate, in the courts where the account may act, oldest first (with their due date)."""
    bulletin_courts = agent_organisations(account, ISSUE_BULLETIN)
    nationality_courts = agent_organisations(account, DECIDE_NATIONALITY)
    return (
        ServiceRequest.objects.filter(status=RequestStatus.IN_REVIEW)
        .filter(
            Q(service__code=B3_SERVICE, organisation__in=bulletin_courts)
            | Q(service__code=NATIONALITY_SERVICE, organisation__in=nationality_courts)
        )
        .select_related("service", "applicant", "organisation")
        .order_by("submitted_at", "pk")
    )


def list_my_justice_requests(account: Account) -> QuerySet[ServiceRequest]:
    return (
        ServiceRequest.objects.filter(
            submitted_by=account, service__code__in=(B3_SERVICE, NATIONALITY_SERVICE)
        )
        .select_related("service", "organisation")
        .order_by("-created_at")
    )


def get_bulletin_3_with_consent(
    *, person: Person, organisation: Organisation, purpose: str, actor: Account | None = None
) -> Bulletin:
    """The bulletin n°3 a person would be given, read by an administration the person asked to
    fetch it (an application to a recruitment call) instead of bringing the paper. The caller
    records the consent; the person sees the read."""
    result = compute_bulletin(person, 3, timezone.localdate())
    record_access(
        person=person,
        object_type="casier_b3",
        object_ref=str(person.pk),
        purpose=purpose[:200],
        actor=actor,
        organisation=organisation,
    )
    return result


def get_nationality_certificate_of_person(
    *, person: Person, organisation: Organisation, purpose: str, actor: Account | None = None
) -> Document | None:
    """The person's valid certificate of nationality, if one was issued, read by another
    administration ("tell us once"); the read is recorded when there is something to read."""
    from jamana.justice.requests import NATIONALITY_KIND

    document = (
        Document.objects.filter(
            holder_id__in=person_and_merged_ids(person),
            kind=NATIONALITY_KIND,
            status=DocumentStatus.VALID,
        )
        .order_by("-issued_at")
        .first()
    )
    if document is not None:
        record_access(
            person=person,
            object_type="document",
            object_ref=document.number,
            purpose=purpose[:200],
            actor=actor,
            organisation=organisation,
        )
    return document


def get_open_nationality_request(person: Person) -> ServiceRequest | None:
    """A certificate of nationality the person asked for and that is not decided yet."""
    return (
        ServiceRequest.objects.filter(
            applicant_id__in=person_and_merged_ids(person), service__code=NATIONALITY_SERVICE
        )
        .exclude(status__in=[RequestStatus.ISSUED, RequestStatus.REFUSED, RequestStatus.CANCELLED])
        .order_by("-created_at")
        .first()
    )
