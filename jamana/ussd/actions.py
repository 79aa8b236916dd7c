"""Writers for USSD: PINs (set on the web, checked on the phone) and the dialogue itself.

:func:`check_ussd_call` is the one entry point for a gateway call; the HTTP callback, the
development page and the command-line simulator all go through it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_event
from jamana.core.errors import JamanaError
from jamana.core.phones import InvalidPhoneNumber, normalize_phone
from jamana.identity.actions import SignInError, check_password_step
from jamana.identity.models import Account
from jamana.notify.actions import queue_sms
from jamana.ussd import pins, screens
from jamana.ussd.models import UssdExchange, UssdPin, UssdSession
from jamana.ussd.queries import minutes_left

logger = logging.getLogger(__name__)

MAX_SESSION_ID = 100
MAX_TEXT = 500


class UssdError(JamanaError):
    pass


class MalformedCall(UssdError):
    """The gateway's call lacks what the convention requires (answered with HTTP 400)."""


# ---------------------------------------------------------------- PINs


def check_set_pin(*, account: Account, password: str, pin: str, pin_again: str) -> UssdPin:
    """Set or change the USSD PIN of a signed-in person, who types their password again.

    The password goes through the sign-in check, with its lock-out. A new PIN also lifts a
    PIN lock-out. The person gets an SMS, so that a PIN set by someone else is noticed."""
    try:
        check_password_step(account.phone, password)
    except SignInError as exc:
        if exc.code == "invalid_credentials":
            raise UssdError("wrong_password", _("Wrong password.")) from None
        raise  # locked out: its own message says for how long
    if not pins.is_well_formed(pin):
        raise UssdError("pin_format", _("The PIN has 4 digits."))
    if pin != pin_again:
        raise UssdError("pin_mismatch", _("The two PINs are different."))
    if pins.is_too_easy(pin, known=_known_digits(account)):
        raise UssdError("pin_too_easy", _("This PIN is too easy to guess. Choose another one."))
    now = timezone.now()
    with transaction.atomic(durable=True):
        record, created = UssdPin.objects.select_for_update().get_or_create(
            account=account,
            defaults={"pin_hash": pins.hash_pin(account.pk, pin), "set_at": now},
        )
        if not created:
            record.pin_hash = pins.hash_pin(account.pk, pin)
            record.set_at = now
            record.failed_attempts = 0
            record.locked_until = None
            record.save()
        record_event(
            action="ussd.pin_set" if created else "ussd.pin_changed",
            object_type="account",
            object_ref=str(account.pk),
            actor=account,
        )
        with translation.override(account.language):
            text = gettext(
                "Jamana: your USSD PIN has been set. If you did not do it, go to a counter."
            )
        queue_sms(to=account.phone, body=text, language=account.language)
    return record


def _known_digits(account: Account) -> tuple[str, ...]:
    """What anyone near the person may know: their year of birth, the end of their number."""
    known = [account.phone[-4:]]
    person = account.person
    if person is not None and person.birth_date is not None:
        known.append(f"{person.birth_date.year:04d}")
    return tuple(known)


@dataclass(frozen=True)
class PinOutcome:
    """``ready`` (right PIN), ``wrong`` (``attempts_left`` more), ``locked`` (for
    ``minutes_left``) or ``none`` (no PIN set)."""

    state: str
    attempts_left: int = 0
    minutes_left: int = 0


def check_ussd_pin(
    *, account: Account, pin: str, now: dt.datetime, verdict: pins.PinVerdict | None = None
) -> PinOutcome:
    """Check a PIN typed on the phone, counting failures: the third wrong one in a row locks
    USSD for 15 minutes and tells the person by SMS. Runs in the caller's transaction.

    ``verdict``: the hash comparison already made outside the transaction, used if it was
    made against the PIN hash still stored."""
    record = UssdPin.objects.select_for_update().filter(account=account).first()
    if record is None:
        return PinOutcome("none")
    if record.locked_until is not None:
        if record.locked_until > now:
            return PinOutcome("locked", minutes_left=minutes_left(record.locked_until, now))
        # The lock-out is over: three new attempts.
        record.locked_until = None
        record.failed_attempts = 0
    if verdict is not None and (verdict.pin_hash, verdict.pin) == (record.pin_hash, pin):
        matches = verdict.matches
    else:
        matches = pins.pin_matches(account.pk, pin, record.pin_hash)
    if matches:
        if record.failed_attempts:
            record.failed_attempts = 0
            record.save(update_fields=["failed_attempts", "locked_until"])
        return PinOutcome("ready")
    record.failed_attempts += 1
    left = settings.USSD_PIN_MAX_ATTEMPTS - record.failed_attempts
    if left > 0:
        record.save(update_fields=["failed_attempts", "locked_until"])
        return PinOutcome("wrong", attempts_left=left)
    record.locked_until = now + dt.timedelta(seconds=settings.USSD_PIN_LOCKOUT_SECONDS)
    record.save(update_fields=["failed_attempts", "locked_until"])
    record_event(
        action="ussd.pin_locked",
        object_type="account",
        object_ref=str(account.pk),
        detail={"failures": record.failed_attempts},
    )
    minutes = minutes_left(record.locked_until, now)
    with translation.override(account.language):
        text = gettext(
            "Jamana: wrong USSD PIN typed %(count)s times. USSD is locked for %(minutes)s "
            "minutes. If it was not you, change your PIN."
        ) % {"count": record.failed_attempts, "minutes": minutes}
    queue_sms(to=account.phone, body=text, language=account.language)
    return PinOutcome("locked", minutes_left=minutes)


# ---------------------------------------------------------------- the dialogue


def check_ussd_call(
    *,
    session_id: str,
    phone: str,
    text: str,
    service_code: str = "",
    now: dt.datetime | None = None,
) -> str:
    """Answer one gateway call (Africa's Talking convention): ``text`` is everything typed in
    the session so far, joined by ``*``. Returns the reply, ``CON …`` or ``END …``.

    The same (session id, text) always gets the same reply and acts once: a gateway retrying
    a call it got no answer to does not pay twice or count a wrong PIN twice. Raises
    :class:`MalformedCall` for a call without session id or phone number."""
    now = now or timezone.now()
    session_id = session_id.strip()
    if not session_id or len(session_id) > MAX_SESSION_ID:
        raise MalformedCall("bad_session_id", _("A USSD call needs a session id."))
    try:
        phone = normalize_phone(phone.strip())
    except InvalidPhoneNumber:
        with translation.override(settings.LANGUAGE_CODE):
            return screens.invalid_phone().render()
    if len(text) > MAX_TEXT:
        with translation.override(settings.LANGUAGE_CODE):
            return screens.session_over().render()
    # A retry: answered from what was stored, without taking the session's lock.
    stored = _stored_reply(session_id, phone, text)
    if stored is not None:
        return stored
    verdict = _pin_verdict(session_id, phone, text)
    with transaction.atomic(durable=True):
        session, is_new = _locked_session(session_id, phone, service_code, now)
        stored = None if is_new else _stored_reply(session_id, phone, text)  # a quicker twin
        if stored is not None:
            return stored
        if session.phone != phone:
            # The same session id from another phone: never continue someone else's dialogue
            # (and do not end it either).
            logger.warning("USSD session %s called from another number", session_id)
            with translation.override(settings.LANGUAGE_CODE):
                return screens.session_over().render()
        with translation.override(session.language):
            reply = _answer(session, text, is_new, now, verdict).render()
        UssdExchange.objects.create(session=session, text=text, reply=reply, at=now)
        session.last_text = text
        session.last_seen_at = now
        if reply.startswith("END ") and session.ended_at is None:
            session.ended_at = now
        session.save()
    return reply


def _stored_reply(session_id: str, phone: str, text: str) -> str | None:
    return (
        UssdExchange.objects.filter(session__session_id=session_id, session__phone=phone, text=text)
        .values_list("reply", flat=True)
        .first()
    )


def _locked_session(
    session_id: str, phone: str, service_code: str, now: dt.datetime
) -> tuple[UssdSession, bool]:
    """The session, locked for this call, or a new one (with the number's account)."""
    sessions = UssdSession.objects.select_for_update(of=("self",)).select_related("account")
    session = sessions.filter(session_id=session_id).first()
    if session is not None:
        return session, False
    account = Account.objects.filter(phone=phone, is_active=True).first()
    try:
        with transaction.atomic():
            session = UssdSession.objects.create(
                session_id=session_id,
                phone=phone,
                service_code=service_code[:32],
                account=account,
                language=account.language if account else settings.LANGUAGE_CODE,
                started_at=now,
                last_seen_at=now,
            )
    except IntegrityError:  # the gateway's retry of a first call raced it
        return sessions.get(session_id=session_id), False
    return session, True


def _answer(
    session: UssdSession,
    text: str,
    is_new: bool,
    now: dt.datetime,
    verdict: pins.PinVerdict | None,
) -> screens.Screen:
    from jamana.ussd import menus

    if session.ended_at is not None:
        return screens.session_over()
    idle = dt.timedelta(seconds=settings.USSD_SESSION_IDLE_SECONDS)
    if not is_new and now - session.last_seen_at > idle:
        return screens.session_expired()
    call = menus.Call(session=session, account=session.account, now=now, pin_verdict=verdict)
    screen = menus.start(call) if is_new else None
    for value in _new_inputs(session.last_text, text, is_new):
        screen = menus.step(call, value)
        if screen.end:
            break
    if screen is None:  # the same text again in a session that showed nothing: show the menu
        screen = menus.start(call)
    return screen


def _pin_verdict(session_id: str, phone: str, text: str) -> pins.PinVerdict | None:
    """If this call answers the PIN screen, compare the PIN with its hash now, before the
    session is locked (read without a lock: check_ussd_pin uses it only if the hash is the
    one still stored)."""
    if not text:  # a first call answers nothing
        return None
    session = (
        UssdSession.objects.filter(session_id=session_id, phone=phone, ended_at__isnull=True)
        .only("state", "last_text", "account_id")
        .first()
    )
    if session is None or session.account_id is None or session.state.get("screen") != "pin":
        return None
    typed = _new_inputs(session.last_text, text, is_new=False)[0].strip()
    pin_hash = (
        UssdPin.objects.filter(account_id=session.account_id)
        .values_list("pin_hash", flat=True)
        .first()
    )
    if pin_hash is None or not pins.is_well_formed(typed):
        return None
    return pins.PinVerdict(pin_hash, typed, pins.pin_matches(session.account_id, typed, pin_hash))


def _new_inputs(previous: str, text: str, is_new: bool) -> list[str]:
    """What was typed since the last call. A first call may carry several inputs already
    (``*123*2*1234#`` dialled at once gives "2*1234"); a gateway that does not repeat the
    whole path sends only the last one."""
    if is_new:
        return text.split("*") if text else []
    if previous == "":
        return text.split("*")
    if text.startswith(previous + "*"):
        return text[len(previous) + 1 :].split("*")
    return [text.rsplit("*", 1)[-1]]


def purge_sessions(*, older_than: dt.timedelta) -> int:
    """Delete sessions (and their exchanges) not used for ``older_than``: they hold phone
    numbers and what was shown, and serve nothing once over."""
    cutoff = timezone.now() - older_than
    with transaction.atomic(durable=True):
        deleted, _by_model = UssdSession.objects.filter(last_seen_at__lt=cutoff).delete()
    return deleted
