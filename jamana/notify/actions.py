"""Writers of the outbox: queue messages (delivery starts only after the caller's transaction
commits), apply delivery reports, answer inbound SMS, and let an agent settle a message whose
outcome is unknown."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_event
from jamana.core.errors import NotFound, PermissionDenied
from jamana.core.phones import InvalidPhoneNumber, normalize_phone
from jamana.core.references import InvalidReference, format_reference, parse_reference
from jamana.identity.models import Account
from jamana.identity.permissions import VIEW_MESSAGES
from jamana.identity.queries import agent_organisations
from jamana.notify.gateways import DeliveryReport, InboundSms, ReportState
from jamana.notify.models import (
    Channel,
    DeliveryReceipt,
    InboundMessage,
    InboundOutcome,
    MessageStatus,
    OutboundMessage,
    SmsPart,
)
from jamana.notify.segments import sms_layout, sms_text

logger = logging.getLogger(__name__)
S = MessageStatus


def queue_sms(*, to: str, body: str, language: str, sensitive: bool = False) -> OutboundMessage:
    """Write an SMS into the outbox, in the caller's transaction; it leaves once that commits."""
    body = sms_text(body)
    layout = sms_layout(body)
    message = OutboundMessage.objects.create(
        channel=Channel.SMS,
        recipient=to,
        body=body,
        language=language,
        sensitive=sensitive,
        encoding=layout.encoding,
        segments=layout.segments,
    )
    _deliver_after_commit(message.pk)
    return message


def queue_email(
    *, to: str, subject: str, body: str, language: str, sensitive: bool = False
) -> OutboundMessage:
    """Write an e-mail into the outbox, like :func:`queue_sms`. Persons and accounts have no
    e-mail address yet: callers pass one the person gave for this purpose."""
    message = OutboundMessage.objects.create(
        channel=Channel.EMAIL,
        recipient=to,
        subject=subject,
        body=body,
        language=language,
        sensitive=sensitive,
    )
    _deliver_after_commit(message.pk)
    return message


def _deliver_after_commit(message_id: int) -> None:
    from jamana.notify.tasks import deliver_message

    transaction.on_commit(lambda: deliver_message.enqueue(message_id))


# Delivery reports -----------------------------------------------------------------------------


def do_apply_delivery_report(report: DeliveryReport) -> DeliveryReceipt:
    """Keep the operator's report and apply it to the segment it names (see
    :func:`do_apply_delivery_reports`)."""
    return do_apply_delivery_reports([report])[0]


def do_apply_delivery_reports(reports: Sequence[DeliveryReport]) -> list[DeliveryReceipt]:
    """Keep the operator's reports and apply each to the segment it names, in one transaction
    (an SMSC sends them in bursts). A report for a reference we have not recorded yet (it beat
    our commit) waits, and is applied when the reference is recorded. Applying the same report
    twice changes nothing more."""
    now = timezone.now()
    receipts = [
        DeliveryReceipt(
            gateway=report.gateway,
            reference=report.reference[:128],
            state=report.state.value,
            stat=report.stat[:16],
            error=report.error[:32],
            done_at=report.done_at,
            received_at=now,
        )
        for report in reports
    ]
    with transaction.atomic(durable=True):
        settle = _attach_to_parts(receipts)
        DeliveryReceipt.objects.bulk_create(receipts)
        _settle(settle)
    return receipts


def match_waiting_receipts(receipts: list[DeliveryReceipt]) -> None:
    """Apply receipts that arrived before their segment was recorded (inside the caller's
    transaction, right after it recorded the segments)."""
    settle = _attach_to_parts(receipts)
    DeliveryReceipt.objects.bulk_update([r for r in receipts if r.part_id], ["part"])
    _settle(settle)


def _attach_to_parts(receipts: list[DeliveryReceipt]) -> dict[int, DeliveryReceipt]:
    """Link each receipt to its segment and update the segment; returns, per message touched,
    its latest receipt."""
    references = {r.reference for r in receipts}
    parts = {
        (part.gateway, part.reference): part
        for part in SmsPart.objects.select_for_update().filter(reference__in=references)
    }
    touched: dict[int, SmsPart] = {}
    settle: dict[int, DeliveryReceipt] = {}
    for receipt in receipts:
        part = parts.get((receipt.gateway, receipt.reference))
        if part is None:
            continue
        receipt.part = part
        part.report_stat = receipt.stat
        part.reported_at = receipt.done_at or receipt.received_at
        # A failed segment stays failed: the person cannot read the whole text.
        if receipt.state != ReportState.PENDING and part.state != ReportState.FAILED:
            part.state = receipt.state
        touched[part.pk] = part
        settle[part.message_id] = receipt
    SmsPart.objects.bulk_update(list(touched.values()), ["state", "report_stat", "reported_at"])
    return settle


def _settle(latest: dict[int, DeliveryReceipt]) -> None:
    """Delivered once every segment is; failed as soon as one is."""
    if not latest:
        return
    states: dict[int, list[str]] = {}
    for message_id, state in SmsPart.objects.filter(message_id__in=latest).values_list(
        "message_id", "state"
    ):
        states.setdefault(message_id, []).append(state)
    now = timezone.now()
    for message in OutboundMessage.objects.select_for_update().filter(pk__in=latest):
        receipt = latest[message.pk]
        parts = states.get(message.pk, [])
        changes: dict[str, object] = {}
        if message.status in (S.SENT, S.UNKNOWN, S.DELIVERED) and ReportState.FAILED in parts:
            if message.status != S.FAILED:
                changes.update(status=S.FAILED, status_changed_at=now)
        elif message.status == S.SENT and parts and all(p == ReportState.DELIVERED for p in parts):
            # When we learned it: the operator's "done date" is to the minute only.
            changes.update(status=S.DELIVERED, status_changed_at=now, delivered_at=now)
        if changes or message.report_stat != receipt.stat:
            changes["report_stat"] = receipt.stat
            OutboundMessage.objects.filter(pk=message.pk).update(**changes)


def apply_lookup_state(message_id: int, stat: str) -> None:
    """What a gateway's status lookup said of a message, applied as a report on each part."""
    from jamana.notify.gateways.base import report_state

    do_apply_delivery_reports(
        [
            DeliveryReport(
                gateway=part.gateway, reference=part.reference, state=report_state(stat), stat=stat
            )
            for part in SmsPart.objects.filter(message_id=message_id)
        ]
    )


# Inbound SMS ----------------------------------------------------------------------------------


def do_handle_inbound_sms(sms: InboundSms) -> InboundMessage | None:
    """A person texted us, usually a request reference: answer with its status, in the
    language of the phone's account; any other question goes to the procedure assistant.
    Only the account that submitted a request learns anything about it; any other phone is
    told no such request is known, exactly as for a reference that does not exist. The same
    inbound SMS (by gateway id) is answered once; a phone gets at most
    ``NOTIFY_INBOUND_REPLIES_PER_HOUR`` answers an hour.

    Returns None for a duplicate."""
    now = timezone.now()
    sender = _e164(sms.sender)
    with transaction.atomic(durable=True):
        if (
            sms.reference
            and InboundMessage.objects.filter(
                gateway=sms.gateway, gateway_ref=sms.reference
            ).exists()
        ):
            return None
        inbound = InboundMessage(
            gateway=sms.gateway,
            gateway_ref=sms.reference[:64],
            sender=(sender or sms.sender)[:32],
            recipient=sms.recipient[:32],
            text=sms.text[:480],
            received_at=sms.received_at or now,
        )
        if sender is None:
            inbound.outcome = InboundOutcome.IGNORED
            inbound.save()
            return inbound
        answered = InboundMessage.objects.filter(
            sender=sender,
            received_at__gte=now - dt.timedelta(hours=1),
            reply__isnull=False,
        ).count()
        if answered >= settings.NOTIFY_INBOUND_REPLIES_PER_HOUR:
            inbound.outcome = InboundOutcome.LIMITED
            inbound.save()
            return inbound
        # identity and procedures import this module (queue_sms): imported late.
        from jamana.identity.actions import find_account

        account = find_account(sender)
        language = account.language if account is not None else settings.LANGUAGE_CODE
        inbound.outcome, text = _answer(account, sms.text, language)
        if inbound.outcome == InboundOutcome.HELP and find_reference(sms.text) == (None, None):
            # Not a reference: a question for the procedure assistant, answered in its language.
            from jamana.assistant.actions import answer_sms

            assisted = answer_sms(text=sms.text, phone=sender, account=account, language=language)
            if assisted is not None:
                inbound.outcome, text, language = assisted
        inbound.reply = queue_sms(to=sender, body=text, language=language)
        inbound.save()
    return inbound


def _e164(sender: str) -> str | None:
    text = sender.strip()
    if text.isdigit() and len(text) > 10:
        text = "+" + text  # an international number without its "+"
    try:
        return normalize_phone(text)
    except InvalidPhoneNumber:
        return None


def find_reference(text: str) -> tuple[str | None, str | None]:
    """(reference, typo): the first request reference in ``text`` (the whole text, or one of its
    words), or the first word shaped like one whose check character is wrong."""
    typo = None
    candidates = [text, *text.split()]
    for candidate in candidates:
        try:
            return parse_reference(candidate), None
        except InvalidReference as exc:
            # A nine-letter word ("passeport", "naissance") is not a mistyped reference:
            # only a word with a digit or written in groups (7K3-Q9P-…) is taken for one.
            looks_typed = any(c.isdigit() or c == "-" for c in candidate)
            if exc.code == "check" and typo is None and looks_typed:
                typo = candidate.strip().upper()
    return None, typo


def _answer(account: Account | None, text: str, language: str) -> tuple[str, str]:
    from jamana.procedures.models import RequestStatus
    from jamana.procedures.queries import get_request_submitted_by

    reference, typo = find_reference(text)
    with translation.override(language):
        if reference is None:
            if typo:
                return InboundOutcome.HELP, gettext(
                    "Jamana: the reference %(ref)s has a typing error. Check it and send it again."
                ) % {"ref": typo}
            return InboundOutcome.HELP, gettext(
                "Jamana: to follow a request, send its reference, e.g. 7K3-Q9P-X2M."
            )
        ref = format_reference(reference)
        request = get_request_submitted_by(account, reference) if account is not None else None
        if request is None and account is not None:
            line = _application_status_line(account, reference)
            if line is not None:
                return InboundOutcome.STATUS, line
        if request is None:
            return InboundOutcome.NOT_FOUND, gettext(
                "Jamana: no request %(ref)s is known for this phone number."
            ) % {"ref": ref}
        service = getattr(request.service, f"title_{language}", "") or request.service.title_fr
        if request.status == RequestStatus.AWAITING_PAYMENT:
            return InboundOutcome.STATUS, gettext(
                "Jamana: request %(ref)s (%(service)s) awaits payment of %(fee)s FCFA."
            ) % {"ref": ref, "service": service, "fee": request.fee_xof}
        return InboundOutcome.STATUS, gettext(
            "Jamana: request %(ref)s (%(service)s): %(status)s."
        ) % {"ref": ref, "service": service, "status": request.get_status_display()}


def _application_status_line(account: Account, reference: str) -> str | None:
    """The status line of the account's application to a call with this reference, if any."""
    from jamana.calls.queries import get_my_application

    application = get_my_application(account, reference)
    if application is None:
        return None
    ref = format_reference(reference)
    if application.rank and application.call.results_published_at:
        return gettext("Jamana: application %(ref)s (%(call)s): %(status)s, rank %(rank)s.") % {
            "ref": ref,
            "call": application.call.code,
            "status": application.status_for_applicant(),
            "rank": application.rank,
        }
    return gettext("Jamana: application %(ref)s (%(call)s): %(status)s.") % {
        "ref": ref,
        "call": application.call.code,
        "status": application.status_for_applicant(),
    }


# An agent settles a message whose outcome is unknown -------------------------------------------


def check_settle_unknown(*, agent: Account, message_id: int, resend: bool) -> OutboundMessage:
    """Send again (the agent judged the person did not get it) or close as failed a message
    whose outcome is unknown; recorded in the audit trail.

    Raises:
        PermissionDenied: the agent has no role with ``VIEW_MESSAGES``.
        NotFound: no such message, or its outcome is no longer unknown.
    """
    if not agent_organisations(agent, VIEW_MESSAGES):
        raise PermissionDenied("permission_denied", _("Your role does not allow this action here."))
    now = timezone.now()
    with transaction.atomic(durable=True):
        message = (
            OutboundMessage.objects.select_for_update()
            .filter(pk=message_id, status=S.UNKNOWN)
            .first()
        )
        if message is None:
            raise NotFound("message_not_unknown", _("No message with an unknown outcome here."))
        if resend:
            message.status, message.next_attempt_at = S.QUEUED, now
        else:
            message.status = S.FAILED
        message.status_changed_at = now
        message.save(update_fields=["status", "next_attempt_at", "status_changed_at"])
        record_event(
            action="notify.message_resent" if resend else "notify.message_closed_failed",
            object_type="outbound_message",
            object_ref=str(message.uid),
            actor=agent,
        )
        if resend:
            _deliver_after_commit(message.pk)
    return message
