"""Agents with VIEW_MESSAGES see recent messages with status and segments (numbers masked,
no text) and settle messages whose outcome is unknown; others see nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jamana.audit.models import AuditEvent
from jamana.core.errors import NotFound, PermissionDenied
from jamana.identity.models import Role
from jamana.notify.actions import check_settle_unknown, queue_sms
from jamana.notify.models import MessageStatus, OutboundMessage
from jamana.testing import make_agent, make_organisation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def operator(db):
    return make_agent(
        organisation=make_organisation(code="ML-OPS", name="Exploitation", kind="agency"),
        role=Role.ORG_ADMIN,
        extra_roles=(),
        phone="+22376000088",
        nina="19700101000088Y",
    )


def _sign_in(client, account):
    client.force_login(account, backend="jamana.identity.backends.AccountBackend")


def _unknown_message() -> OutboundMessage:
    message = queue_sms(to="+22376000001", body="Jamana: ɲinini sɔnna " * 5, language="bm")
    OutboundMessage.objects.filter(pk=message.pk).update(status=MessageStatus.UNKNOWN)
    return message


def test_the_page_lists_status_and_segments_with_masked_numbers(client, operator):
    queue_sms(to="+22376000001", body="Jamana: ɲinini TXW-9WV-14N sɔnna. " * 3, language="bm")
    _sign_in(client, operator)
    page = client.get(reverse("notify:agent_messages"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "ucs2" in html and "+223 •• •• 00 01" in html
    assert "+22376000001" not in html and "TXW-9WV-14N" not in html
    assert client.get(reverse("notify:agent_messages"), {"status": "sent"}).status_code == 200


def test_agents_without_the_permission_get_a_404(client, agent):
    _sign_in(client, agent)
    assert client.get(reverse("notify:agent_messages")).status_code == 404


def test_an_unknown_message_can_be_sent_again_with_an_audit_event(client, operator):
    message = _unknown_message()
    _sign_in(client, operator)
    response = client.post(
        reverse("notify:agent_messages"), {"message": message.pk, "decision": "resend"}
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 2
    assert AuditEvent.objects.filter(
        action="notify.message_resent", object_ref=str(message.uid), actor=operator
    ).exists()


def test_an_unknown_message_can_be_closed_as_failed(operator):
    message = _unknown_message()
    check_settle_unknown(agent=operator, message_id=message.pk, resend=False)
    assert OutboundMessage.objects.get(pk=message.pk).status == MessageStatus.FAILED


def test_only_unknown_messages_are_settled_and_only_by_permitted_agents(operator, agent):
    message = queue_sms(to="+22376000001", body="x", language="fr")
    with pytest.raises(NotFound) as refused:
        check_settle_unknown(agent=operator, message_id=message.pk, resend=True)
    assert refused.value.code == "message_not_unknown"
    with pytest.raises(PermissionDenied):
        check_settle_unknown(agent=agent, message_id=_unknown_message().pk, resend=True)
