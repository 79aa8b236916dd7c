"""The only writers of requests. Every move is one transaction: the status change, its
timeline event, its audit event and any SMS to the applicant commit together or not at all."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_event
from jamana.core.errors import JamanaError, NotFound
from jamana.core.i18n import record_text
from jamana.core.models import AdminArea
from jamana.core.references import format_reference, new_reference
from jamana.identity.models import Account, Organisation, Person
from jamana.identity.permissions import (
    CANCEL_REQUEST,
    DECIDE_REQUEST,
    RECORD_COUNTER_PAYMENT,
    TAKE_REQUEST,
)
from jamana.identity.queries import require_permission
from jamana.notify.actions import queue_sms
from jamana.procedures.lifecycle import CITIZEN_CANCELLABLE, can_move
from jamana.procedures.models import RequestEvent, RequestStatus, Service, ServiceRequest

S = RequestStatus


class InvalidTransition(JamanaError):
    pass


def _locked(reference: str) -> ServiceRequest:
    found = (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("service", "organisation", "area", "submitted_by")
        .filter(reference=reference)
        .first()
    )
    if found is None:
        raise NotFound("request_not_found", _("No request with this reference."))
    return found


def _move(
    request: ServiceRequest,
    to_status: str,
    *,
    actor: Account | None,
    organisation: Organisation | None = None,
    reason: str = "",
) -> RequestEvent:
    if not can_move(request.status, to_status):
        raise InvalidTransition(
            "invalid_transition",
            _("A request that is “%(current)s” cannot become “%(target)s”."),
            current=S(request.status).label,
            target=S(to_status).label,
        )
    now = timezone.now()
    from_status = request.status
    request.status = to_status
    if to_status == S.SUBMITTED:
        request.submitted_at = now
        request.due_at = now + dt.timedelta(days=request.service.target_delay_days)
    if to_status in (S.ISSUED, S.REFUSED, S.CANCELLED):
        request.closed_at = now
    request.save()
    event = RequestEvent.objects.create(
        request=request,
        at=now,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        organisation=organisation,
        reason=reason,
    )
    record_event(
        action="request.transition",
        object_type="request",
        object_ref=request.reference,
        actor=actor,
        organisation=organisation,
        detail={"from": from_status, "to": to_status, "reason": reason},
    )
    if to_status in (S.AWAITING_PAYMENT, S.ISSUED, S.REFUSED):
        _tell_applicant(request, to_status)
    if to_status == S.IN_REVIEW and _fulfilment_for(request.service.code):
        # Paid (or free) and now the owning app's turn: it may issue at once (a certificate
        # from a register) or leave the case to an agent. After commit, in the task worker.
        from jamana.procedures.tasks import fulfil_request

        reference = request.reference
        transaction.on_commit(lambda: fulfil_request.enqueue(reference))
    return event


def _fulfilment_for(service_code: str) -> str | None:
    """The owning app's function for requests of ``service_code`` (settings, by prefix)."""
    for prefix, path in settings.SERVICE_FULFILMENT.items():
        if service_code.startswith(prefix):
            return str(path)
    return None


def do_fulfil_request(reference: str) -> None:
    """Hand a request in review to its owning app (``SERVICE_FULFILMENT``)."""
    request = ServiceRequest.objects.select_related("service").get(reference=reference)
    path = _fulfilment_for(request.service.code)
    if request.status == S.IN_REVIEW and path:
        import_string(path)(request)


def do_issue_request(*, reference: str, reason: str = "", actor: Account | None = None) -> bool:
    """Close a request in review as issued, for an owning app that produced its document.
    False if it was no longer in review (issued by a concurrent worker, withdrawn)."""
    with transaction.atomic():
        request = _locked(reference)
        if request.status != S.IN_REVIEW:
            return False
        _move(request, S.ISSUED, actor=actor, organisation=request.organisation, reason=reason)
    return True


def _tell_applicant(request: ServiceRequest, to_status: str) -> None:
    account = request.submitted_by
    with translation.override(account.language):
        ref = format_reference(request.reference)
        if to_status == S.AWAITING_PAYMENT:
            text = gettext("Jamana: request %(ref)s received. Amount to pay: %(fee)s FCFA.") % {
                "ref": ref,
                "fee": request.fee_xof,
            }
        elif to_status == S.ISSUED:
            text = gettext("Jamana: your request %(ref)s has been granted.") % {"ref": ref}
        else:
            text = gettext(
                "Jamana: your request %(ref)s has been refused. See the reason online."
            ) % {"ref": ref}
    queue_sms(to=account.phone, body=text, language=account.language)


def _get_service(code: str) -> Service:
    service = (
        Service.objects.select_related("organisation").filter(code=code, is_active=True).first()
    )
    if service is None:
        raise NotFound("unknown_service", _("This service does not exist or is closed."))
    return service


def do_create_draft(
    *,
    account: Account,
    service_code: str,
    applicant: Person | None = None,
    details: dict[str, Any] | None = None,
    organisation: Organisation | None = None,
    area: AdminArea | None = None,
) -> ServiceRequest:
    """A draft request. ``organisation``/``area`` route it to the competent office when that
    is not the service's owner (a certificate goes to the centre that holds the act)."""
    applicant = applicant or account.person
    if applicant is None:
        raise JamanaError(
            "no_person", _("Your account is not linked to a person yet. Go to a counter.")
        )
    service = _get_service(service_code)
    now = timezone.now()
    # A clash on a random 8-character reference is rare; retry a few times rather than fail.
    for _attempt in range(5):
        try:
            with transaction.atomic():
                request = ServiceRequest.objects.create(
                    reference=new_reference(),
                    service=service,
                    applicant=applicant,
                    submitted_by=account,
                    organisation=organisation or service.organisation,
                    area=area or applicant.birth_commune,
                    fee_xof=service.fee_xof,
                    details=details or {},
                    created_at=now,
                )
                RequestEvent.objects.create(
                    request=request, at=now, from_status="", to_status=S.DRAFT, actor=account
                )
                record_event(
                    action="request.created",
                    object_type="request",
                    object_ref=request.reference,
                    actor=account,
                )
            return request
        except IntegrityError:
            continue
    raise JamanaError("reference_exhausted", _("Please try again."))


def _submit(request: ServiceRequest, account: Account) -> None:
    _move(request, S.SUBMITTED, actor=account)
    if request.fee_xof > 0:
        _move(request, S.AWAITING_PAYMENT, actor=None)
    else:
        _move(request, S.IN_REVIEW, actor=None)


def check_submit_request(
    *,
    account: Account,
    service_code: str,
    details: dict[str, Any] | None = None,
    applicant: Person | None = None,
    organisation: Organisation | None = None,
    area: AdminArea | None = None,
) -> ServiceRequest:
    """Create and submit in one go: the citizen's usual path."""
    with transaction.atomic():
        request = do_create_draft(
            account=account,
            service_code=service_code,
            details=details,
            applicant=applicant,
            organisation=organisation,
            area=area,
        )
        request = _locked(request.reference)
        _submit(request, account)
    return request


def check_submit_draft(*, account: Account, reference: str) -> ServiceRequest:
    with transaction.atomic():
        request = _locked(reference)
        if request.submitted_by_id != account.pk:
            raise NotFound("request_not_found", _("No request with this reference."))
        _submit(request, account)
    return request


def check_cancel_by_citizen(*, account: Account, reference: str, reason: str = "") -> None:
    with transaction.atomic():
        request = _locked(reference)
        if request.submitted_by_id != account.pk:
            raise NotFound("request_not_found", _("No request with this reference."))
        if request.status not in CITIZEN_CANCELLABLE:
            raise InvalidTransition(
                "too_late_to_cancel",
                _("This request is already being decided and can no longer be withdrawn."),
            )
        _move(request, S.CANCELLED, actor=account, reason=reason or record_text(_("Withdrawn")))


def check_record_counter_payment(*, agent: Account, reference: str, receipt: str) -> None:
    """A fee paid in cash at the counter, against a numbered receipt."""
    receipt = receipt.strip()
    if not receipt:
        raise JamanaError("receipt_required", _("Enter the receipt number."))
    with transaction.atomic():
        request = _locked(reference)
        require_permission(agent, RECORD_COUNTER_PAYMENT, request.organisation, request.area)
        from jamana.payments.actions import do_record_counter_payment

        # The cash is booked like any payment (ledger, sealed receipt).
        do_record_counter_payment(
            agent=agent,
            purpose_type="request_fee",
            purpose_ref=request.reference,
            beneficiary=request.organisation,
            amount_xof=request.fee_xof,
            receipt=receipt,
            payer=request.applicant,
        )
        _move(
            request,
            S.IN_REVIEW,
            actor=agent,
            organisation=request.organisation,
            reason=record_text(_("Paid at the counter, receipt %(receipt)s"), receipt=receipt),
        )


def check_take_request(*, agent: Account, reference: str) -> None:
    with transaction.atomic():
        request = _locked(reference)
        require_permission(agent, TAKE_REQUEST, request.organisation, request.area)
        if request.status != S.IN_REVIEW:
            raise InvalidTransition("not_in_review", _("Only a request in review can be taken."))
        request.assigned_to = agent
        request.save(update_fields=["assigned_to"])
        record_event(
            action="request.assigned",
            object_type="request",
            object_ref=reference,
            actor=agent,
            organisation=request.organisation,
        )


def check_decide_request(*, agent: Account, reference: str, grant: bool, reason: str = "") -> None:
    reason = reason.strip()
    if not grant and not reason:
        raise JamanaError("reason_required", _("A refusal must give its reason."))
    with transaction.atomic():
        request = _locked(reference)
        require_permission(agent, DECIDE_REQUEST, request.organisation, request.area)
        _move(
            request,
            S.ISSUED if grant else S.REFUSED,
            actor=agent,
            organisation=request.organisation,
            reason=reason,
        )


def check_cancel_by_agent(*, agent: Account, reference: str, reason: str) -> None:
    reason = reason.strip()
    if not reason:
        raise JamanaError("reason_required", _("A cancellation must give its reason."))
    with transaction.atomic():
        request = _locked(reference)
        require_permission(agent, CANCEL_REQUEST, request.organisation, request.area)
        _move(request, S.CANCELLED, actor=agent, organisation=request.organisation, reason=reason)


def do_upsert_service(*, code: str, organisation: Organisation, **fields: Any) -> Service:
    with transaction.atomic():
        service, created = Service.objects.update_or_create(
            code=code, defaults={"organisation": organisation, **fields}
        )
        record_event(
            action="service.created" if created else "service.updated",
            object_type="service",
            object_ref=code,
        )
    return service
