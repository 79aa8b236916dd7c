"""One lifecycle for every service: moves, timeline, refusals of invalid moves."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from jamana.audit.models import AuditEvent
from jamana.core.errors import JamanaError, NotFound, PermissionDenied
from jamana.core.references import format_reference, parse_reference
from jamana.notify.models import OutboundMessage
from jamana.procedures import actions
from jamana.procedures.access import access_own_request
from jamana.procedures.models import RequestEvent, RequestStatus, ServiceRequest

pytestmark = pytest.mark.django_db
S = RequestStatus


def _statuses(request):
    return [(e.from_status, e.to_status) for e in request.events.order_by("at", "pk")]


def test_paid_service_goes_to_awaiting_payment_with_a_timeline(citizen, service):
    request = actions.check_submit_request(account=citizen, service_code=service.code)
    request.refresh_from_db()
    assert request.status == S.AWAITING_PAYMENT
    assert request.fee_xof == 500
    assert request.due_at is not None
    assert _statuses(request) == [
        ("", S.DRAFT),
        (S.DRAFT, S.SUBMITTED),
        (S.SUBMITTED, S.AWAITING_PAYMENT),
    ]
    assert parse_reference(request.reference) == request.reference
    sms = OutboundMessage.objects.get(recipient=citizen.phone)
    assert format_reference(request.reference) in sms.body


def test_free_service_goes_straight_to_review(citizen, free_service):
    request = actions.check_submit_request(account=citizen, service_code=free_service.code)
    request.refresh_from_db()
    assert request.status == S.IN_REVIEW


def test_agent_moves_a_request_to_issued(citizen, agent, service):
    request = actions.check_submit_request(account=citizen, service_code=service.code)
    actions.check_record_counter_payment(agent=agent, reference=request.reference, receipt="R-1")
    actions.check_take_request(agent=agent, reference=request.reference)
    actions.check_decide_request(agent=agent, reference=request.reference, grant=True)
    request.refresh_from_db()
    assert request.status == S.ISSUED
    assert request.assigned_to == agent
    assert request.closed_at is not None
    last = request.events.order_by("-pk").first()
    assert (last.actor, last.organisation) == (agent, service.organisation)
    assert (
        AuditEvent.objects.filter(
            object_ref=request.reference, action="request.transition", actor=agent
        ).count()
        == 2
    )


def test_invalid_transition_is_refused_and_changes_nothing(citizen, agent, service):
    request = actions.check_submit_request(account=citizen, service_code=service.code)
    events_before = RequestEvent.objects.count()
    with pytest.raises(actions.InvalidTransition) as error:
        actions.check_decide_request(agent=agent, reference=request.reference, grant=True)
    assert error.value.code == "invalid_transition"
    with translation.override("en"):
        assert "Awaiting payment" in error.value.message
    with translation.override("fr"):
        assert "En attente de paiement" in error.value.message
    request.refresh_from_db()
    assert request.status == S.AWAITING_PAYMENT
    assert RequestEvent.objects.count() == events_before


def test_refusal_needs_a_reason(citizen, agent, free_service):
    request = actions.check_submit_request(account=citizen, service_code=free_service.code)
    with pytest.raises(JamanaError) as error:
        actions.check_decide_request(agent=agent, reference=request.reference, grant=False)
    assert error.value.code == "reason_required"
    actions.check_decide_request(
        agent=agent, reference=request.reference, grant=False, reason="Pièce manquante"
    )
    request.refresh_from_db()
    assert request.status == S.REFUSED
    assert request.events.last().reason == "Pièce manquante"


def test_closed_request_cannot_move_again(citizen, agent, free_service):
    request = actions.check_submit_request(account=citizen, service_code=free_service.code)
    actions.check_decide_request(agent=agent, reference=request.reference, grant=True)
    with pytest.raises(actions.InvalidTransition):
        actions.check_cancel_by_agent(agent=agent, reference=request.reference, reason="oops")


def test_citizen_can_withdraw_until_review(citizen, agent, service, free_service):
    waiting = actions.check_submit_request(account=citizen, service_code=service.code)
    actions.check_cancel_by_citizen(account=citizen, reference=waiting.reference)
    waiting.refresh_from_db()
    assert waiting.status == S.CANCELLED
    reviewing = actions.check_submit_request(account=citizen, service_code=free_service.code)
    with pytest.raises(actions.InvalidTransition) as error:
        actions.check_cancel_by_citizen(account=citizen, reference=reviewing.reference)
    assert error.value.code == "too_late_to_cancel"


def test_agent_of_another_organisation_cannot_act(citizen, outsider_agent, service):
    request = actions.check_submit_request(account=citizen, service_code=service.code)
    with pytest.raises(PermissionDenied):
        actions.check_record_counter_payment(
            agent=outsider_agent, reference=request.reference, receipt="R-2"
        )
    request.refresh_from_db()
    assert request.status == S.AWAITING_PAYMENT


def test_citizen_cannot_act_as_agent(citizen, other_citizen, service):
    request = actions.check_submit_request(account=citizen, service_code=service.code)
    with pytest.raises(PermissionDenied):
        actions.check_decide_request(agent=other_citizen, reference=request.reference, grant=True)


def test_unknown_service_is_refused(citizen):
    with pytest.raises(NotFound) as error:
        actions.check_submit_request(account=citizen, service_code="nope")
    assert error.value.code == "unknown_service"
    assert not ServiceRequest.objects.exists()


def test_another_citizens_request_is_not_found(client, citizen, other_citizen, service):
    request = actions.check_submit_request(account=citizen, service_code=service.code)
    with pytest.raises(NotFound):
        access_own_request(other_citizen, request.reference)
    client.force_login(other_citizen, backend="jamana.identity.backends.AccountBackend")
    response = client.get(reverse("procedures:request_detail", args=[request.reference]))
    assert response.status_code == 404
    response = client.post(reverse("procedures:cancel_request", args=[request.reference]))
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.status == S.AWAITING_PAYMENT


@pytest.mark.parametrize(
    ("typed", "code"), [("ABC", "reference_format"), ("flip", "reference_format")]
)
def test_malformed_reference_is_explained(citizen, typed, code):
    with pytest.raises(NotFound) as error:
        access_own_request(citizen, typed)
    assert error.value.code == code


def test_reference_with_one_wrong_character_is_caught(citizen, service):
    request = actions.check_submit_request(account=citizen, service_code=service.code)
    ref = request.reference
    wrong = ref[:3] + ("1" if ref[3] != "1" else "2") + ref[4:]
    with pytest.raises(NotFound) as error:
        access_own_request(citizen, wrong)
    assert error.value.code == "reference_check"
    # Read over the phone, with dashes and lower case, it still opens.
    assert access_own_request(citizen, format_reference(ref).lower()) == request


def test_citizen_submits_through_the_web(client, citizen, service):
    client.force_login(citizen, backend="jamana.identity.backends.AccountBackend")
    response = client.post(
        reverse("procedures:new_request", args=[service.code]), {"purpose": "Passeport"}
    )
    request = ServiceRequest.objects.get()
    assert response.url == reverse("procedures:request_detail", args=[request.reference])
    page = client.get(response.url).content.decode()
    assert format_reference(request.reference) in page
    assert request.details == {"purpose": "Passeport"}
    listing = client.get(reverse("procedures:my_requests")).content.decode()
    assert format_reference(request.reference) in listing
