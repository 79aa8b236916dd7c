"""Writers for persons, accounts, sign-in and agents. Each public function is one transaction
that writes its own audit event."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_event
from jamana.core.errors import JamanaError
from jamana.core.models import AdminArea
from jamana.core.phones import InvalidPhoneNumber, looks_like_phone, normalize_phone
from jamana.identity.models import (
    Account,
    Agent,
    CodePurpose,
    DatePrecision,
    IdentifierKind,
    LoginThrottle,
    OneTimeCode,
    Organisation,
    Person,
    PersonIdentifier,
)
from jamana.identity.nina import is_valid_identifier, looks_like_nina, normalize_identifier
from jamana.notify.actions import queue_sms


class SignInError(JamanaError):
    pass


# ---------------------------------------------------------------- persons


def do_register_person(
    *,
    given_names: str,
    family_name: str,
    sex: str,
    birth_date: dt.date | None = None,
    birth_date_precision: str = DatePrecision.DAY,
    birth_commune: AdminArea | None = None,
    birth_place_abroad: str = "",
    birth_country: str = "ML",
    father: Person | None = None,
    father_name: str = "",
    mother: Person | None = None,
    mother_name: str = "",
    phone: str = "",
    preferred_language: str = "fr",
    identifiers: Mapping[str, str] | None = None,
    actor: Account | None = None,
) -> Person:
    if not (given_names.strip() or family_name.strip()):
        raise JamanaError("name_required", _("A person needs at least one name."))
    with transaction.atomic():
        person = Person.objects.create(
            given_names=given_names.strip(),
            family_name=family_name.strip(),
            sex=sex,
            birth_date=birth_date,
            birth_date_precision=birth_date_precision,
            birth_commune=birth_commune,
            birth_place_abroad=birth_place_abroad,
            birth_country=birth_country,
            father=father,
            father_name=father_name or (father.full_name if father else ""),
            mother=mother,
            mother_name=mother_name or (mother.full_name if mother else ""),
            phone=normalize_phone(phone) if phone else "",
            preferred_language=preferred_language,
        )
        for kind, value in (identifiers or {}).items():
            _add_identifier(person, kind, value)
        record_event(
            action="person.registered",
            object_type="person",
            object_ref=str(person.pk),
            actor=actor,
        )
    return person


def _add_identifier(person: Person, kind: str, value: str) -> PersonIdentifier:
    value = normalize_identifier(value)
    if not is_valid_identifier(kind, value):
        raise JamanaError(
            "invalid_identifier",
            _("“%(value)s” is not a valid %(kind)s."),
            value=value,
            kind=IdentifierKind(kind).label,
        )
    if PersonIdentifier.objects.filter(kind=kind, value=value).exists():
        raise JamanaError("identifier_taken", _("This identifier already belongs to someone."))
    return PersonIdentifier.objects.create(person=person, kind=kind, value=value)


# ---------------------------------------------------------------- accounts


def do_create_account(
    *,
    phone: str,
    password: str,
    person: Person | None = None,
    language: str = "fr",
    display_name: str = "",
) -> Account:
    try:
        phone = normalize_phone(phone)
    except InvalidPhoneNumber:
        raise JamanaError("invalid_phone", _("This phone number is not valid.")) from None
    with transaction.atomic():
        if Account.objects.filter(phone=phone).exists():
            raise JamanaError(
                "phone_taken",
                _("An account already uses this number. Reset its password if it is yours."),
            )
        account = Account.objects.create_user(
            phone=phone,
            password=password,
            person=person,
            language=language,
            display_name=display_name or (person.full_name if person else ""),
        )
        record_event(action="account.created", object_type="account", object_ref=str(account.pk))
    return account


def check_sign_up(
    *,
    phone: str,
    password: str,
    nina: str,
    given_names: str,
    family_name: str,
    sex: str,
    birth_date: dt.date,
    language: str = "fr",
) -> Account:
    """Open an account. With a NINA the person must already be known and match the birth date;
    without one a new person record is opened (lower assurance until a NINA is linked)."""
    try:
        validate_password(password)
    except ValidationError as exc:
        raise JamanaError("weak_password", " ".join(exc.messages)) from None
    with transaction.atomic():
        if nina.strip():
            person = _person_by_nina(nina)
            if person.birth_date != birth_date:
                raise JamanaError(
                    "identity_mismatch",
                    _("The NINA and the date of birth do not match our records."),
                )
            if hasattr(person, "account"):
                raise JamanaError(
                    "person_has_account",
                    _("This person already has an account. Reset its password if it is yours."),
                )
        else:
            person = do_register_person(
                given_names=given_names,
                family_name=family_name,
                sex=sex,
                birth_date=birth_date,
                preferred_language=language,
            )
        return do_create_account(phone=phone, password=password, person=person, language=language)


def _person_by_nina(nina: str) -> Person:
    value = normalize_identifier(nina)
    if not is_valid_identifier(IdentifierKind.NINA, value):
        raise JamanaError(
            "invalid_nina", _("A NINA is 14 digits followed by a letter, e.g. 12345678901234A.")
        )
    found = PersonIdentifier.objects.filter(kind=IdentifierKind.NINA, value=value).first()
    if found is None:
        raise JamanaError("unknown_nina", _("No person is registered with this NINA."))
    return found.person


def do_set_language(account: Account, language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise JamanaError("unknown_language", _("Unknown language."))
    with transaction.atomic():
        Account.objects.filter(pk=account.pk).update(language=language)
        account.language = language


# ---------------------------------------------------------------- sign-in


def _throttle_key(identifier: str) -> str:
    return hashlib.sha256(identifier.encode()).hexdigest()


def _check_not_locked(key: str) -> None:
    throttle = LoginThrottle.objects.filter(key=key).first()
    now = timezone.now()
    if throttle and throttle.locked_until and throttle.locked_until > now:
        seconds = int((throttle.locked_until - now).total_seconds()) + 1
        raise SignInError(
            "locked",
            ngettext_lazy(
                "Too many failed attempts. Try again in %(minutes)s minute.",
                "Too many failed attempts. Try again in %(minutes)s minutes.",
                "minutes",
            ),
            minutes=max(1, (seconds + 59) // 60),
        )


def _record_failure(key: str) -> None:
    """Failures past the free ones lock the identifier for base·2ⁿ seconds, capped."""
    with transaction.atomic():
        throttle, _created = LoginThrottle.objects.select_for_update().get_or_create(key=key)
        throttle.failures += 1
        now = timezone.now()
        throttle.last_failure_at = now
        over = throttle.failures - settings.LOGIN_FREE_FAILURES
        if over > 0:
            seconds = min(
                settings.LOGIN_LOCKOUT_BASE_SECONDS * 2 ** (over - 1),
                settings.LOGIN_LOCKOUT_MAX_SECONDS,
            )
            throttle.locked_until = now + dt.timedelta(seconds=seconds)
        throttle.save()


def _clear_failures(key: str) -> None:
    LoginThrottle.objects.filter(key=key).delete()


def find_account(identifier: str) -> Account | None:
    """Resolve what a person typed (phone number or NINA) to an active account."""
    text = identifier.strip()
    if looks_like_nina(text):
        value = normalize_identifier(text)
        return Account.objects.filter(
            is_active=True,
            person__identifiers__kind=IdentifierKind.NINA,
            person__identifiers__value=value,
        ).first()
    if looks_like_phone(text):
        try:
            phone = normalize_phone(text)
        except InvalidPhoneNumber:
            return None
        return Account.objects.filter(phone=phone, is_active=True).first()
    return None


def _identifier_problem(identifier: str) -> SignInError | None:
    text = identifier.strip()
    if looks_like_nina(text):
        if not is_valid_identifier(IdentifierKind.NINA, text):
            return SignInError(
                "invalid_nina",
                _("A NINA is 14 digits followed by a letter, e.g. 12345678901234A."),
            )
        return None
    if looks_like_phone(text):
        try:
            normalize_phone(text)
        except InvalidPhoneNumber:
            return SignInError("invalid_phone", _("This phone number is not valid."))
        return None
    return SignInError("invalid_identifier", _("Enter your phone number or your NINA."))


def check_password_step(identifier: str, password: str) -> Account:
    """First factor. Unknown identifier and wrong password give the same error on purpose."""
    problem = _identifier_problem(identifier)
    if problem:
        raise problem
    key = _throttle_key(normalize_identifier(identifier))
    _check_not_locked(key)
    account = find_account(identifier)
    if account is None or not account.check_password(password):
        _record_failure(key)
        _check_not_locked(key)
        raise SignInError("invalid_credentials", _("Wrong phone number/NINA or password."))
    _clear_failures(key)
    return account


def _hash_code(account_id: int, purpose: str, code: str, binding: str = "") -> str:
    return salted_hmac(
        "jamana.identity.otp", f"{account_id}:{purpose}:{binding}:{code}"
    ).hexdigest()


def do_send_code(
    account: Account, purpose: str, *, binding: str = "", control: str = ""
) -> OneTimeCode:
    """Issue a fresh 6-digit code by SMS; earlier unused codes of that purpose stop working.

    ``binding`` ties the code to one object (the SHA-256 of a document to sign): the code is
    then accepted for that object only. ``control`` is the short fingerprint shown both on the
    screen and in the SMS, so the person can see that they sign what they think they sign.
    """
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        OneTimeCode.objects.filter(
            account=account, purpose=purpose, used_at__isnull=True, superseded=False
        ).update(superseded=True)
        otp = OneTimeCode.objects.create(
            account=account,
            purpose=purpose,
            code_hash=_hash_code(account.pk, purpose, code, binding),
            binding=binding,
            created_at=now,
            expires_at=now + dt.timedelta(seconds=settings.OTP_TTL_SECONDS),
        )
        with translation.override(account.language):
            if purpose == CodePurpose.LOGIN:
                text = gettext("Jamana: your sign-in code is %(code)s. Never share it.")
            elif purpose == CodePurpose.SIGNATURE:
                text = gettext(
                    "Jamana: code %(code)s signs the document %(control)s in your name. "
                    "Enter it only if you are signing it."
                )
            else:
                text = gettext("Jamana: your password reset code is %(code)s. Never share it.")
        queue_sms(
            to=account.phone,
            body=text % {"code": code, "control": control},
            language=account.language,
            sensitive=True,
        )
        record_event(
            action=f"otp.sent.{purpose}",
            object_type="account",
            object_ref=str(account.pk),
            actor=account,
        )
    return otp


def check_code(account: Account, purpose: str, code: str, *, binding: str = "") -> None:
    """Second factor: the latest code, once, before expiry, within a few attempts, and for
    the object it was bound to."""
    key = f"otp:{account.pk}"
    _check_not_locked(key)
    code = code.strip().replace(" ", "")
    with transaction.atomic():
        otp = (
            OneTimeCode.objects.select_for_update()
            .filter(account=account, purpose=purpose)
            .order_by("-created_at", "-pk")
            .first()
        )
        if otp is None:
            raise SignInError("no_code", _("Ask for a new code."))
        if otp.used_at is not None:
            raise SignInError("code_used", _("This code has already been used. Ask for a new one."))
        if otp.superseded:
            raise SignInError("code_superseded", _("A newer code was sent. Use the latest one."))
        if otp.expires_at <= timezone.now():
            raise SignInError("code_expired", _("This code has expired. Ask for a new one."))
        if otp.attempts >= settings.OTP_MAX_ATTEMPTS:
            raise SignInError("code_exhausted", _("Too many wrong codes. Ask for a new one."))
        if otp.binding != binding:
            raise SignInError("code_other_document", _("This code was sent for another document."))
        if not constant_time_compare(otp.code_hash, _hash_code(account.pk, purpose, code, binding)):
            otp.attempts += 1
            otp.save(update_fields=["attempts"])
            failed = True
        else:
            otp.used_at = timezone.now()
            otp.save(update_fields=["used_at"])
            record_event(
                action=f"otp.accepted.{purpose}",
                object_type="account",
                object_ref=str(account.pk),
                actor=account,
            )
            failed = False
    if failed:
        _record_failure(key)
        raise SignInError("wrong_code", _("Wrong code. Check the SMS and try again."))
    _clear_failures(key)


def do_request_password_reset(identifier: str) -> Account | None:
    """Send a reset code if the identifier names an account. The caller shows the same
    message either way, so that nobody learns which numbers have accounts."""
    problem = _identifier_problem(identifier)
    if problem:
        raise problem
    key = _throttle_key("reset:" + normalize_identifier(identifier))
    _check_not_locked(key)
    # Every request counts towards the lock-out, to stop SMS flooding of one number.
    _record_failure(key)
    account = find_account(identifier)
    if account is None:
        return None
    do_send_code(account, CodePurpose.PASSWORD_RESET)
    return account


def check_password_reset(account: Account, code: str, new_password: str) -> None:
    try:
        validate_password(new_password, user=account)
    except ValidationError as exc:
        raise JamanaError("weak_password", " ".join(exc.messages)) from None
    check_code(account, CodePurpose.PASSWORD_RESET, code)
    with transaction.atomic():
        account.set_password(new_password)
        account.save(update_fields=["password"])
        _clear_failures(_throttle_key(normalize_identifier(account.phone)))
        record_event(
            action="account.password_reset",
            object_type="account",
            object_ref=str(account.pk),
            actor=account,
        )


# ---------------------------------------------------------------- organisations and agents


def do_create_organisation(
    *,
    code: str,
    name: str,
    kind: str,
    country: str = "ML",
    area: AdminArea | None = None,
    parent: Organisation | None = None,
) -> Organisation:
    with transaction.atomic():
        organisation = Organisation.objects.create(
            code=code, name=name, kind=kind, country=country, area=area, parent=parent
        )
        record_event(action="organisation.created", object_type="organisation", object_ref=code)
    return organisation


def do_grant_role(
    *,
    account: Account,
    organisation: Organisation,
    role: str,
    jurisdiction: AdminArea | None = None,
    granted_by: Account | None = None,
) -> Agent:
    with transaction.atomic():
        agent, _created = Agent.objects.update_or_create(
            account=account,
            organisation=organisation,
            role=role,
            defaults={"jurisdiction": jurisdiction, "is_active": True},
        )
        record_event(
            action="agent.role_granted",
            object_type="account",
            object_ref=str(account.pk),
            actor=granted_by,
            organisation=organisation,
            detail={"role": role},
        )
    return agent
