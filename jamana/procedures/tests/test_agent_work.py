"""Agents' work queue and case pages; every opening of a case is an access event the
citizen sees on "Qui a consulté mes données"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jamana.audit.models import AccessEvent
from jamana.core.references import format_reference
from jamana.identity.models import Role
from jamana.procedures import actions
from jamana.procedures.models import RequestStatus
from jamana.testing import make_agent

pytestmark = pytest.mark.django_db
BACKEND = "jamana.identity.backends.AccountBackend"


@pytest.fixture
def submitted(citizen, service):
    return actions.check_submit_request(account=citizen, service_code=service.code)


def test_queue_lists_the_organisations_requests_without_names(client, agent, submitted):
    client.force_login(agent, backend=BACKEND)
    page = client.get(reverse("agent:queue")).content.decode()
    assert format_reference(submitted.reference) in page
    assert "Traoré" not in page  # the list carries no personal data
    assert not AccessEvent.objects.exists()


def test_queue_filters_by_status(client, agent, submitted, free_service, citizen):
    other = actions.check_submit_request(account=citizen, service_code=free_service.code)
    client.force_login(agent, backend=BACKEND)
    page = client.get(reverse("agent:queue"), {"status": "in_review"}).content.decode()
    assert format_reference(other.reference) in page
    assert format_reference(submitted.reference) not in page


def test_queue_lookup_by_reference_opens_the_case(client, agent, submitted):
    client.force_login(agent, backend=BACKEND)
    response = client.get(
        reverse("agent:queue"), {"reference": format_reference(submitted.reference)}
    )
    assert response.url == reverse("agent:request_detail", args=[submitted.reference])


def test_opening_a_case_is_recorded_and_shown_to_the_citizen(client, agent, citizen, submitted):
    client.force_login(agent, backend=BACKEND)
    page = client.get(reverse("agent:request_detail", args=[submitted.reference]))
    assert page.status_code == 200
    event = AccessEvent.objects.get()
    assert (event.person_id, event.actor, event.object_ref) == (
        citizen.person_id,
        agent,
        submitted.reference,
    )

    client.force_login(citizen, backend=BACKEND)
    mine = client.get(reverse("identity:who_accessed")).content.decode()
    assert format_reference(submitted.reference) in mine
    assert "Centre d&#x27;état civil test" in mine or "Centre d'état civil test" in mine


def test_agent_acts_through_the_web(client, agent, submitted):
    client.force_login(agent, backend=BACKEND)
    url = reverse("agent:act_on_request", args=[submitted.reference, "pay"])
    client.post(url, {"receipt": "Q-42"})
    client.post(reverse("agent:act_on_request", args=[submitted.reference, "issue"]))
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.ISSUED


def test_invalid_action_through_the_web_shows_an_error(client, agent, submitted):
    client.force_login(agent, backend=BACKEND)
    response = client.post(
        reverse("agent:act_on_request", args=[submitted.reference, "issue"]), follow=True
    )
    assert "messages" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.AWAITING_PAYMENT


def test_outsider_agent_gets_404_and_no_access_is_recorded(client, outsider_agent, submitted):
    client.force_login(outsider_agent, backend=BACKEND)
    response = client.get(reverse("agent:request_detail", args=[submitted.reference]))
    assert response.status_code == 404
    assert not AccessEvent.objects.exists()


def test_citizen_cannot_open_agent_pages(client, citizen, submitted):
    client.force_login(citizen, backend=BACKEND)
    assert client.get(reverse("agent:queue")).status_code == 404


def test_person_lookup_by_nina_needs_a_reason_and_is_recorded(client, agent, citizen):
    client.force_login(agent, backend=BACKEND)
    response = client.post(reverse("agent:person_lookup"), {"nina": "19870312000045K"})
    assert response.status_code == 200
    assert not AccessEvent.objects.exists()
    response = client.post(
        reverse("agent:person_lookup"),
        {"nina": "19870312000045K", "purpose": "Guichet: délivrance d'extrait"},
    )
    assert "Aminata Traoré" in response.content.decode()
    event = AccessEvent.objects.get()
    assert event.purpose == "Guichet: délivrance d'extrait"


def test_person_lookup_unknown_nina_is_explained(client, agent):
    client.force_login(agent, backend=BACKEND)
    response = client.post(
        reverse("agent:person_lookup"), {"nina": "11111111111111A", "purpose": "Guichet"}
    )
    assert response.status_code == 200
    assert not AccessEvent.objects.exists()


def test_jurisdiction_limits_an_agent(citizen, organisation, service):
    from jamana.core.geography import load_geography
    from jamana.core.models import AdminArea
    from jamana.identity import actions as identity

    load_geography()
    communes = AdminArea.objects.filter(level="commune", valid_to__isnull=True).order_by("code")
    here, elsewhere = communes[0], communes[len(communes) - 1]
    person = citizen.person
    person.birth_commune = here
    person.save()
    limited = make_agent(
        organisation=organisation,
        role=Role.COUNTER_AGENT,
        extra_roles=(),
        phone="+22376000011",
        nina="19800101000011A",
    )
    identity.do_grant_role(
        account=limited,
        organisation=organisation,
        role=Role.COUNTER_AGENT,
        jurisdiction=elsewhere,
    )
    request = actions.check_submit_request(account=citizen, service_code=service.code)
    from jamana.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.check_record_counter_payment(
            agent=limited, reference=request.reference, receipt="R-3"
        )


def test_working_on_a_case_is_one_consultation_not_many(client, agent, submitted):
    client.force_login(agent, backend=BACKEND)
    url = reverse("agent:request_detail", args=[submitted.reference])
    client.get(url)
    client.post(
        reverse("agent:act_on_request", args=[submitted.reference, "pay"]),
        {"receipt": "Q-7"},
        follow=True,
    )
    client.get(url)
    assert AccessEvent.objects.count() == 1


def test_queue_names_each_organisation_once(client, agent, submitted, organisation):
    client.force_login(agent, backend=BACKEND)
    page = client.get(reverse("agent:queue")).content.decode()
    assert page.count(organisation.name.replace("'", "&#x27;")) == 1
