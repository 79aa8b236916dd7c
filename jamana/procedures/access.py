"""Fetch a request and authorize it in one step. Someone else's request is reported exactly
like a missing one, so that references cannot be probed."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_access
from jamana.core.errors import NotFound
from jamana.core.i18n import record_text
from jamana.core.references import InvalidReference, format_reference, parse_reference
from jamana.identity.models import Account
from jamana.identity.permissions import VIEW_REQUEST
from jamana.identity.queries import require_permission
from jamana.procedures.models import ServiceRequest


class BadReference(NotFound):
    pass


def parse_typed_reference(text: str) -> str:
    try:
        return parse_reference(text)
    except InvalidReference as exc:
        if exc.code == "check":
            raise BadReference(
                "reference_check",
                _("This reference has a typing error (its check character does not match)."),
            ) from None
        raise BadReference(
            "reference_format", _("A reference has 9 letters and digits, e.g. 7K3-Q9P-X2M.")
        ) from None


def _by_reference(reference: str) -> ServiceRequest | None:
    return (
        ServiceRequest.objects.select_related(
            "service",
            "service__organisation",
            "organisation",
            "applicant",
            "submitted_by",
            "assigned_to",
            "area",
        )
        .filter(reference=reference)
        .first()
    )


def access_own_request(account: Account, typed_reference: str) -> ServiceRequest:
    reference = parse_typed_reference(typed_reference)
    request = _by_reference(reference)
    if request is None or (
        request.submitted_by_id != account.pk and request.applicant_id != account.person_id
    ):
        raise NotFound("request_not_found", _("You have no request with this reference."))
    return request


def access_request_for_agent(account: Account, typed_reference: str) -> ServiceRequest:
    """An agent opens a case: permission in the owning organisation and jurisdiction, then an
    access event the applicant will see."""
    reference = parse_typed_reference(typed_reference)
    request = _by_reference(reference)
    if request is None:
        raise NotFound("request_not_found", _("No request with this reference."))
    require_permission(account, VIEW_REQUEST, request.organisation, request.area)
    record_access(
        person=request.applicant,
        actor=account,
        organisation=request.organisation,
        object_type="request",
        object_ref=request.reference,
        purpose=record_text(_("Processing request %(ref)s"), ref=format_reference(reference)),
    )
    return request
