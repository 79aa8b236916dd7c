"""Deliver outbox messages: never lost, never sent twice by us.

One try is three short steps, none holding a lock while the gateway is called:

1. **claim** — ``queued → sending`` by a conditional UPDATE, committed. Only one worker wins;
   the others see "skipped".
2. **send** — through the gateway, with the message's ``uid`` as the idempotency key / client
   reference where the gateway has one.
3. **record** — ``sending → sent`` with the gateway's references, committed.

A crash between 2 and 3 leaves the message in ``sending``, where :func:`recover_stuck` finds it:
it asks the gateway whether it accepted that ``uid`` (HTTP: yes → sent; no → queued again), and
when the gateway cannot tell (SMPP 3.4, console, e-mail) marks it ``unknown`` for an agent:
resending blindly could give the person the SMS twice. A transient failure puts the message back
to ``queued`` with an exponential back-off; the retry is a deferred task when the task backend
supports ``run_after``, and in any case the poller (``manage.py deliver_messages``) picks up every
due message.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from jamana.notify.gateways import (
    LookupResult,
    LookupUnsupported,
    OutcomeUnknown,
    PermanentGatewayError,
    ReportState,
    SendResult,
    TransientGatewayError,
    get_sms_gateway,
)
from jamana.notify.models import (
    Channel,
    DeliveryReceipt,
    MessageStatus,
    OutboundMessage,
    SmsPart,
)

logger = logging.getLogger(__name__)
S = MessageStatus
REDACTED = "[redacted after delivery]"
# A fresh message is the on-commit task's; the poller waits this long before taking it too.
POLLER_GRACE = dt.timedelta(seconds=10)


def deliver(message_id: int) -> str:
    """Try one message if it is queued and due. Returns what happened: "sent", "retry" (back to
    queued, later), "failed", "pending" (no answer from the gateway: left to the recovery
    pass), "unknown", or "skipped" (not due, claimed by another worker, or already done)."""
    if not _claim(message_id):
        return "skipped"
    message = OutboundMessage.objects.get(pk=message_id)
    try:
        result = _send(message)
    except TransientGatewayError as exc:
        return _retry_later(message, exc)
    except PermanentGatewayError as exc:
        _finish_unsent(message, exc, status=S.FAILED)
        return "failed"
    except OutcomeUnknown as exc:
        if exc.accepted:
            # Some segments went, the rest is unknown: an agent decides.
            _finish_unsent(message, exc, status=S.UNKNOWN)
            return "unknown"
        _note_error(message, exc)
        return "pending"
    _record_sent(message, result)
    return "sent"


def _claim(message_id: int) -> bool:
    now = timezone.now()
    with transaction.atomic(durable=True):
        claimed = (
            OutboundMessage.objects.filter(pk=message_id, status=S.QUEUED)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .update(
                status=S.SENDING,
                # The gateway is written down before it is called: recovery must ask that one.
                gateway=Case(
                    When(channel=Channel.SMS, then=Value(settings.SMS_GATEWAY)),
                    default=Value("email"),
                ),
                claimed_at=now,
                status_changed_at=now,
                attempts=F("attempts") + 1,
            )
        )
    return claimed == 1


def _send(message: OutboundMessage) -> SendResult:
    if message.channel == Channel.SMS:
        return get_sms_gateway(message.gateway).send(
            to=message.recipient,
            body=message.body,
            sender=settings.SMS_SENDER_ID,
            client_ref=str(message.uid),
        )
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "jamana"
    # The Message-ID is the message's uid: a second copy is recognisable as the same e-mail.
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        to=[message.recipient],
        headers={"Message-ID": f"<{message.uid}@{domain}>"},
    )
    try:
        email.send(fail_silently=False)
    except smtplib.SMTPResponseException as exc:
        # 5xx: the server refused this message (bad address…); 4xx: try again later.
        if exc.smtp_code >= 500:
            raise PermanentGatewayError(str(exc), code=f"smtp_{exc.smtp_code}") from exc
        raise TransientGatewayError(str(exc), code=f"smtp_{exc.smtp_code}") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentGatewayError(str(exc), code="smtp_recipient") from exc
    except OSError as exc:
        # Connection refused, timeout, TLS. Should a timed-out e-mail have gone after all, the
        # retry carries the same Message-ID: recognisable as the same e-mail.
        raise TransientGatewayError(str(exc), code="smtp") from exc
    return SendResult(gateway="email", references=(f"<{message.uid}@{domain}>",))


def _record_sent(message: OutboundMessage, result: SendResult, *, stat: str = "") -> None:
    """``sending`` (or ``unknown``, when proof comes late) → ``sent`` with the references;
    delivery reports that arrived before this commit are applied now."""
    now = timezone.now()
    changes: dict[str, object] = {
        "status": S.SENT,
        "status_changed_at": now,
        "sent_at": now,
        "gateway": result.gateway,
        "gateway_ref": result.reference[:128],
        "last_error": "",
        "claimed_at": None,
    }
    if message.sensitive and not settings.SMS_DEV_INBOX:
        changes["body"] = REDACTED
    with transaction.atomic(durable=True):
        updated = OutboundMessage.objects.filter(
            pk=message.pk, status__in=[S.SENDING, S.UNKNOWN]
        ).update(**changes)
        if not updated:
            return
        if message.channel == Channel.SMS:
            _record_parts(message, result)
    if stat:
        from jamana.notify.actions import apply_lookup_state

        apply_lookup_state(message.pk, stat)


def _record_parts(message: OutboundMessage, result: SendResult) -> None:
    parts = [
        SmsPart(message=message, number=number, gateway=result.gateway, reference=ref[:128])
        for number, ref in enumerate(result.references, start=1)
        if ref
    ]
    SmsPart.objects.bulk_create(parts, ignore_conflicts=True)
    waiting = list(
        DeliveryReceipt.objects.filter(
            gateway=result.gateway, reference__in=[p.reference for p in parts], part__isnull=True
        ).order_by("received_at", "pk")
    )
    if waiting:
        from jamana.notify.actions import match_waiting_receipts

        match_waiting_receipts(waiting)


def _retry_later(message: OutboundMessage, exc: TransientGatewayError) -> str:
    attempts = message.attempts  # already counted by the claim
    if attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        _finish_unsent(message, exc, status=S.FAILED)
        return "failed"
    next_at = timezone.now() + backoff(attempts)
    with transaction.atomic(durable=True):
        OutboundMessage.objects.filter(pk=message.pk, status=S.SENDING).update(
            status=S.QUEUED,
            status_changed_at=timezone.now(),
            next_attempt_at=next_at,
            claimed_at=None,
            last_error=_error_text(exc),
        )
    _schedule(message.pk, next_at)
    logger.info("message %s: %s; retry at %s", message.pk, exc.code, next_at.isoformat())
    return "retry"


def backoff(attempts: int) -> dt.timedelta:
    """Wait before try ``attempts + 1``: base * 2^(attempts-1), capped, ±10 % so that messages
    failed together do not all come back together."""
    base = settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)
    seconds = min(settings.NOTIFY_RETRY_MAX_SECONDS, base)
    jitter = random.uniform(0.9, 1.1)  # noqa: S311 (spreading retries, not a secret)
    return dt.timedelta(seconds=seconds * jitter)


def _schedule(message_id: int, run_after: dt.datetime) -> None:
    from jamana.notify.tasks import deliver_message

    backend = deliver_message.get_backend()
    if backend.supports_defer:
        deliver_message.using(run_after=run_after).enqueue(message_id)
    # Otherwise (the immediate backend of tests) the poller is the retry loop.


def _finish_unsent(message: OutboundMessage, exc: Exception, *, status: str) -> None:
    now = timezone.now()
    refs: tuple[str, ...] = getattr(exc, "accepted", ())
    with transaction.atomic(durable=True):
        OutboundMessage.objects.filter(pk=message.pk, status=S.SENDING).update(
            status=status,
            status_changed_at=now,
            claimed_at=None,
            last_error=_error_text(exc),
            gateway_ref=refs[0][:128] if refs else "",
        )
        if refs and message.channel == Channel.SMS:
            _record_parts(message, SendResult(gateway=message.gateway, references=refs))


def _note_error(message: OutboundMessage, exc: Exception) -> None:
    with transaction.atomic(durable=True):
        OutboundMessage.objects.filter(pk=message.pk).update(last_error=_error_text(exc))


def _error_text(exc: Exception) -> str:
    code = getattr(exc, "code", type(exc).__name__)
    return f"{code}: {exc}"[:255]


# The poller's passes --------------------------------------------------------------------------


def deliver_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Try every queued message that is due (its back-off passed, or older than the grace the
    on-commit task has); returns how many were tried."""
    now = now or timezone.now()
    due = (
        OutboundMessage.objects.filter(status=S.QUEUED)
        .filter(
            Q(next_attempt_at__lte=now)
            | Q(next_attempt_at__isnull=True, created_at__lte=now - POLLER_GRACE)
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    tried = 0
    for message_id in list(due):
        deliver(message_id)
        tried += 1
    return tried


def recover_stuck(*, now: dt.datetime | None = None, older_than: dt.timedelta | None = None) -> int:
    """Resolve messages left in ``sending`` for longer than ``older_than`` (a worker crashed or
    a gateway never answered): ask the gateway by ``uid`` where it can be asked — accepted →
    sent, never accepted → queued again — else mark them ``unknown`` for an agent."""
    now = now or timezone.now()
    older_than = (
        older_than
        if older_than is not None
        else dt.timedelta(seconds=settings.NOTIFY_SENDING_TIMEOUT_SECONDS)
    )
    stuck = OutboundMessage.objects.filter(
        status=S.SENDING, claimed_at__lte=now - older_than
    ).order_by("claimed_at", "pk")[:500]
    resolved = 0
    for message in list(stuck):
        found: LookupResult | None
        try:
            if message.channel != Channel.SMS or not message.gateway:
                raise LookupUnsupported("no way to ask")
            found = get_sms_gateway(message.gateway).lookup(str(message.uid))
        except LookupUnsupported:
            _mark_unknown(message)
        except (TransientGatewayError, KeyError):
            continue  # ask again on the next round
        else:
            if found is None:
                _requeue_never_accepted(message)
            else:
                stat = found.stat if found.state != ReportState.PENDING else ""
                _record_sent(
                    message,
                    SendResult(gateway=message.gateway, references=found.references),
                    stat=stat,
                )
        resolved += 1
    return resolved


def _mark_unknown(message: OutboundMessage) -> None:
    with transaction.atomic(durable=True):
        OutboundMessage.objects.filter(pk=message.pk, status=S.SENDING).update(
            status=S.UNKNOWN,
            status_changed_at=timezone.now(),
            claimed_at=None,
            last_error="crash_or_no_answer: the gateway cannot tell whether it was sent",
        )
    logger.warning("message %s: outcome unknown, left to an agent", message.pk)


def _requeue_never_accepted(message: OutboundMessage) -> None:
    with transaction.atomic(durable=True):
        OutboundMessage.objects.filter(pk=message.pk, status=S.SENDING).update(
            status=S.QUEUED,
            status_changed_at=timezone.now(),
            claimed_at=None,
            next_attempt_at=timezone.now(),
        )


def query_unreported(*, now: dt.datetime | None = None, limit: int = 100) -> int:
    """Ask the SMSC (SMPP ``query_sm``) about segments sent long ago that still have no final
    report (a lost receipt); each is asked at most once per ``NOTIFY_REPORT_QUERY_AFTER_SECONDS``
    and for a week at most. Returns how many were asked."""
    from jamana.notify.actions import do_apply_delivery_report
    from jamana.notify.gateways import DeliveryReport

    now = now or timezone.now()
    every = dt.timedelta(seconds=settings.NOTIFY_REPORT_QUERY_AFTER_SECONDS)
    parts = (
        SmsPart.objects.filter(
            gateway="smpp",
            state=ReportState.PENDING,
            message__status=S.SENT,
            message__sent_at__lte=now - every,
            message__sent_at__gte=now - dt.timedelta(days=7),
        )
        .filter(Q(reported_at__isnull=True) | Q(reported_at__lte=now - every))
        .order_by("pk")[:limit]
    )
    asked = 0
    gateway = None
    for part in list(parts):
        gateway = gateway or get_sms_gateway("smpp")
        query = getattr(gateway, "query", None)
        if query is None:
            break
        try:
            state, stat = query(part.reference, sender=settings.SMS_SENDER_ID)
        except TransientGatewayError:
            break  # the SMSC is not reachable now: next round
        except PermanentGatewayError:
            state, stat = ReportState.PENDING, "UNKNOWN"
        asked += 1
        if state == ReportState.PENDING:
            with transaction.atomic(durable=True):
                SmsPart.objects.filter(pk=part.pk).update(report_stat=stat, reported_at=now)
        else:
            do_apply_delivery_report(
                DeliveryReport(gateway="smpp", reference=part.reference, state=state, stat=stat)
            )
    return asked
