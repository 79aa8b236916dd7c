"""Bulletin n°3 and certificate of nationality through the shared request lifecycle.

A bulletin n°3 request goes to the court that keeps the person's casier; once paid, the worker
computes the bulletin: a clean casier, or one the rules decide safely, is issued at once as a
sealed document; anything else (a decision not final, a foreign decision…) waits for the
greffe's review with the service's target delay. A certificate of nationality is always a
magistrate's decision, taken with the birth act fetched from the état civil ("tell us once")."""

from __future__ import annotations

from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_event
from jamana.core.errors import JamanaError, NotFound
from jamana.documents.models import Document
from jamana.identity.models import Account, Person
from jamana.identity.permissions import DECIDE_NATIONALITY, ISSUE_BULLETIN
from jamana.identity.queries import has_permission
from jamana.justice.bulletins import Bulletin
from jamana.justice.casier import competent_court, compute_bulletin
from jamana.procedures.models import RequestStatus, ServiceRequest

B3_SERVICE = "justice.b3"
NATIONALITY_SERVICE = "justice.nationality"
B3_KIND = "criminal_record_b3"
NATIONALITY_KIND = "nationality_certificate"
#: Bulletins are drawn up in French, the language of the courts.
LANGUAGE = "fr"


def check_request_bulletin(*, account: Account, service_code: str = B3_SERVICE) -> ServiceRequest:
    """A person asks for their own bulletin n°3 or certificate of nationality; the request goes
    to the competent court (from the place of birth). Nobody can ask for someone else's."""
    from jamana.procedures.actions import check_submit_request

    if service_code not in (B3_SERVICE, NATIONALITY_SERVICE):
        raise NotFound("unknown_service", _("This service does not exist or is closed."))
    person = account.person
    if person is None:
        raise JamanaError(
            "no_person", _("Your account is not linked to a person yet. Go to a counter.")
        )
    court = competent_court(person, timezone.localdate())
    return check_submit_request(
        account=account,
        service_code=service_code,
        applicant=person,
        organisation=court,
        area=court.area,
    )


def fulfil_justice_request(request: ServiceRequest) -> None:
    """Called by the procedures worker when a justice request is in review (paid)."""
    if request.service.code != B3_SERVICE:
        return  # a certificate of nationality is decided by a magistrate
    if Document.objects.filter(request=request, kind=B3_KIND).exists():
        _close(request, None)
        return
    today = timezone.localdate()
    result = compute_bulletin(request.applicant, 3, today)
    if result.needs_review:
        record_event(
            action="justice.review_needed",
            object_type="request",
            object_ref=request.reference,
            organisation=request.organisation,
            detail={"entries": list(result.needs_review)},
        )
        return
    with transaction.atomic():
        document = issue_bulletin_document(request, result, actor=None)
    _close(request, document)


def _close(request: ServiceRequest, document: Document | None) -> None:
    from jamana.procedures.actions import do_issue_request

    document = document or Document.objects.filter(request=request).first()
    do_issue_request(
        reference=request.reference,
        reason=f"{document.title} {document.number}" if document else "",
    )


def check_issue_reviewed_bulletin(*, agent: Account, reference: str) -> Document:
    """The greffe has reviewed a casier the automation could not decide alone, and issues the
    bulletin n°3 as the rules compute it."""
    request = _request_in_review(reference, B3_SERVICE)
    if not has_permission(agent, ISSUE_BULLETIN, request.organisation):
        raise NotFound("request_not_found", _("No request with this reference."))
    result = compute_bulletin(request.applicant, 3, timezone.localdate())
    with transaction.atomic():
        document = Document.objects.filter(request=request, kind=B3_KIND).first()
        if document is None:
            document = issue_bulletin_document(request, result, actor=agent)
        record_access_for_review(agent, request)
    _close(request, document)
    return document


def record_access_for_review(agent: Account, request: ServiceRequest) -> None:
    from jamana.audit.actions import record_access

    record_access(
        person=request.applicant,
        object_type="casier",
        object_ref=request.reference,
        purpose="bulletin n°3 review",
        actor=agent,
        organisation=request.organisation,
    )


def _request_in_review(reference: str, service_code: str) -> ServiceRequest:
    request = (
        ServiceRequest.objects.select_related("service", "organisation", "applicant")
        .filter(reference=reference, service__code=service_code)
        .first()
    )
    if request is None:
        raise NotFound("request_not_found", _("No request with this reference."))
    if request.status != RequestStatus.IN_REVIEW:
        raise JamanaError("not_in_review", _("Only a request in review can be decided."))
    return request


def _identity_fields(person: Person) -> list[tuple[str, str]]:
    return [
        (gettext("Family name"), person.family_name),
        (gettext("Given names"), person.given_names),
        (gettext("Born on"), person.birth_date_display()),
        (gettext("Place of birth"), person.birth_place_display() or "—"),
        (
            gettext("Father"),
            person.father.full_name if person.father else person.father_name or "—",
        ),
        (
            gettext("Mother"),
            person.mother.full_name if person.mother else person.mother_name or "—",
        ),
    ]


def bulletin_paragraphs(result: Bulletin) -> list[str]:
    if result.is_blank:
        return [gettext("NÉANT — no conviction is to appear on this bulletin.")]
    lines = []
    for line in result.lines:
        lines.append(
            gettext("%(date)s — %(court)s, decision no. %(number)s: %(offence)s — %(sentence)s")
            % {
                "date": formats.date_format(line.decided_on, "j F Y"),
                "court": line.court,
                "number": line.decision_number,
                "offence": line.offence_label,
                "sentence": line.sentence_text,
            }
        )
    return lines


def issue_bulletin_document(
    request: ServiceRequest, result: Bulletin, *, actor: Account | None
) -> Document:
    from jamana.documents.actions import issue_document

    person = request.applicant
    with translation.override(LANGUAGE):
        fields = [
            (gettext("Bulletin"), gettext("No. 3 (for the person concerned)")),
            *_identity_fields(person),
            (gettext("Situation on"), formats.date_format(result.on, "j F Y")),
        ]
        paragraphs = bulletin_paragraphs(result)
    document = issue_document(
        kind=B3_KIND,
        issuer=request.organisation,
        holder=person,
        fields=fields,
        paragraphs=paragraphs,
        request=request,
        language=LANGUAGE,
        actor=actor,
    )
    record_event(
        action="justice.bulletin_issued",
        object_type="request",
        object_ref=request.reference,
        actor=actor,
        organisation=request.organisation,
        detail={"document": document.number, "blank": result.is_blank, "number": 3},
    )
    return document


def check_decide_nationality(
    *, magistrate: Account, reference: str, grant: bool, reason: str = ""
) -> Document | None:
    """The competent magistrate decides a request for a certificate of nationality, with the
    birth act from the état civil in front of them (fetched, and the read recorded)."""
    from jamana.documents.actions import issue_document
    from jamana.procedures.actions import check_decide_request

    request = _request_in_review(reference, NATIONALITY_SERVICE)
    if not has_permission(magistrate, DECIDE_NATIONALITY, request.organisation):
        raise NotFound("request_not_found", _("No request with this reference."))
    if not grant:
        check_decide_request(agent=magistrate, reference=reference, grant=False, reason=reason)
        return None
    act = birth_act_for_decision(magistrate, request)
    if act is None:
        raise JamanaError(
            "birth_act_missing",
            _(
                "No birth act of this person is in the digital register: ask the person for "
                "their birth certificate before deciding."
            ),
        )
    person = request.applicant
    with translation.override(LANGUAGE):
        fields = [
            *_identity_fields(person),
            (
                gettext("Birth act"),
                gettext("no. %(number)s, %(centre)s")
                % {"number": act.register_number, "centre": act.centre.organisation.name},
            ),
        ]
        paragraphs = [
            gettext(
                "The magistrate certifies that the person named above is of Malian nationality, "
                "on the basis of the birth act cited and of the parents' nationality."
            ),
            reason.strip(),
        ]
    with transaction.atomic():
        document = issue_document(
            kind=NATIONALITY_KIND,
            issuer=request.organisation,
            holder=person,
            fields=fields,
            paragraphs=[p for p in paragraphs if p],
            request=request,
            language=LANGUAGE,
            actor=magistrate,
        )
        check_decide_request(
            agent=magistrate,
            reference=reference,
            grant=True,
            reason=f"{document.title} {document.number}",
        )
    return document


def birth_act_for_decision(agent: Account, request: ServiceRequest):  # type: ignore[no-untyped-def]
    """Tell us once: the birth act from the état civil, read for this decision."""
    from jamana.civil.queries import get_birth_act_of_person

    return get_birth_act_of_person(
        request.applicant,
        actor=agent,
        organisation=request.organisation,
        purpose="certificate of nationality",
    )
