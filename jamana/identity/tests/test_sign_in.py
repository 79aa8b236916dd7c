"""Sign-in with password then SMS code; lock-out; password reset."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from jamana.identity import actions
from jamana.identity.models import CodePurpose, OneTimeCode
from jamana.notify.models import OutboundMessage
from jamana.testing import PASSWORD, last_sms_code

pytestmark = pytest.mark.django_db


def _password_step(client, identifier, password=PASSWORD):
    return client.post(
        reverse("identity:sign_in"), {"identifier": identifier, "password": password}
    )


def test_sign_in_with_phone_then_sms_code_opens_a_session(client, citizen):
    response = _password_step(client, "76 00 00 01")
    assert response.status_code == 302
    assert response.url == reverse("identity:sign_in_code")
    # Not signed in after the password alone.
    assert client.get(reverse("procedures:my_requests")).status_code == 302

    code = last_sms_code(citizen.phone)
    response = client.post(reverse("identity:sign_in_code"), {"code": code})
    assert response.status_code == 302
    assert response.url == reverse("procedures:my_requests")
    assert client.get(reverse("procedures:my_requests")).status_code == 200


def test_sign_in_with_nina(client, citizen):
    response = _password_step(client, "19870312000045k")
    assert response.url == reverse("identity:sign_in_code")


def test_sms_code_is_sent_in_the_account_language(citizen):
    citizen.language = "en"
    citizen.save()
    actions.do_send_code(citizen, CodePurpose.LOGIN)
    body = OutboundMessage.objects.filter(recipient=citizen.phone).latest("pk").body
    assert body.startswith("Jamana: your sign-in code is")


def test_unknown_nina_and_wrong_password_get_the_same_error(client, citizen):
    unknown = _password_step(client, "11111111111111A")
    wrong = _password_step(client, citizen.phone, "not-the-password")
    assert "Mauvais numéro de téléphone/NINA ou mot de passe." in unknown.content.decode()
    assert "Mauvais numéro de téléphone/NINA ou mot de passe." in wrong.content.decode()
    assert not OutboundMessage.objects.exists()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "Un NINA compte 14 chiffres suivis d\u2019une lettre"),
        ("en", "A NINA is 14 digits followed by a letter"),
        ("bm", "NINA ye"),
    ],
)
def test_malformed_nina_is_explained_in_the_chosen_language(client, db, language, expected):
    client.cookies["jamana_language"] = language
    response = _password_step(client, "1987031200004")
    assert expected in response.content.decode()


def test_wrong_code_is_refused_and_changes_nothing(client, citizen):
    _password_step(client, citizen.phone)
    response = client.post(reverse("identity:sign_in_code"), {"code": "000000"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    otp = OneTimeCode.objects.get(account=citizen)
    assert otp.used_at is None and otp.attempts == 1


def test_replayed_code_is_refused(citizen):
    code = actions.do_send_code(citizen, CodePurpose.LOGIN) and last_sms_code(citizen.phone)
    actions.check_code(citizen, CodePurpose.LOGIN, code)
    with pytest.raises(actions.SignInError) as error:
        actions.check_code(citizen, CodePurpose.LOGIN, code)
    assert error.value.code == "code_used"


def test_only_the_latest_code_works(citizen):
    actions.do_send_code(citizen, CodePurpose.LOGIN)
    first = last_sms_code(citizen.phone)
    actions.do_send_code(citizen, CodePurpose.LOGIN)
    second = last_sms_code(citizen.phone)
    if first != second:
        with pytest.raises(actions.SignInError):
            actions.check_code(citizen, CodePurpose.LOGIN, first)
    actions.check_code(citizen, CodePurpose.LOGIN, second)


def test_code_expires(citizen):
    with time_machine.travel(dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC), tick=False):
        actions.do_send_code(citizen, CodePurpose.LOGIN)
        code = last_sms_code(citizen.phone)
    later = dt.datetime(2026, 11, 28, 10, 6, tzinfo=dt.UTC)
    with time_machine.travel(later, tick=False), pytest.raises(actions.SignInError) as error:
        actions.check_code(citizen, CodePurpose.LOGIN, code)
    assert error.value.code == "code_expired"


def test_a_code_dies_after_too_many_wrong_tries(citizen, settings):
    settings.LOGIN_FREE_FAILURES = 100  # isolate the per-code limit from the lock-out
    actions.do_send_code(citizen, CodePurpose.LOGIN)
    code = last_sms_code(citizen.phone)
    wrong = "111111" if code != "111111" else "222222"
    for _ in range(settings.OTP_MAX_ATTEMPTS):
        with pytest.raises(actions.SignInError):
            actions.check_code(citizen, CodePurpose.LOGIN, wrong)
    with pytest.raises(actions.SignInError) as error:
        actions.check_code(citizen, CodePurpose.LOGIN, code)
    assert error.value.code == "code_exhausted"


def test_lockout_grows_exponentially_and_expires(citizen, settings):
    settings.LOGIN_FREE_FAILURES = 3
    settings.LOGIN_LOCKOUT_BASE_SECONDS = 60
    start = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(3):
            with pytest.raises(actions.SignInError) as error:
                actions.check_password_step(citizen.phone, "bad-password")
            assert error.value.code == "invalid_credentials"
        # Fourth failure locks for 60 s; even the right password is refused meanwhile.
        with pytest.raises(actions.SignInError):
            actions.check_password_step(citizen.phone, "bad-password")
        with pytest.raises(actions.SignInError) as error:
            actions.check_password_step(citizen.phone, PASSWORD)
        assert error.value.code == "locked"
        clock.shift(61)
        # Fifth failure locks for 120 s.
        with pytest.raises(actions.SignInError):
            actions.check_password_step(citizen.phone, "bad-password")
        clock.shift(61)
        with pytest.raises(actions.SignInError) as error:
            actions.check_password_step(citizen.phone, PASSWORD)
        assert error.value.code == "locked"
        clock.shift(60)
        assert actions.check_password_step(citizen.phone, PASSWORD) == citizen


def test_password_reset_by_sms_code(client, citizen):
    response = client.post(reverse("identity:reset_request"), {"identifier": citizen.phone})
    assert response.url == reverse("identity:reset_confirm")
    code = last_sms_code(citizen.phone)
    response = client.post(
        reverse("identity:reset_confirm"), {"code": code, "new_password": "Nouveau-Mot-2026"}
    )
    assert response.url == reverse("identity:sign_in")
    citizen.refresh_from_db()
    assert citizen.check_password("Nouveau-Mot-2026")


def test_password_reset_for_unknown_number_reveals_nothing(client, db):
    response = client.post(reverse("identity:reset_request"), {"identifier": "+22376999999"})
    assert response.url == reverse("identity:reset_confirm")
    assert not OutboundMessage.objects.exists()
    response = client.post(
        reverse("identity:reset_confirm"), {"code": "123456", "new_password": "Nouveau-Mot-2026"}
    )
    assert response.status_code == 200


def test_session_expires_after_inactivity(settings, client, citizen):
    assert settings.SESSION_COOKIE_AGE <= 3600
    assert settings.SESSION_SAVE_EVERY_REQUEST
    start = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(citizen, backend="jamana.identity.backends.AccountBackend")
        assert client.get(reverse("procedures:my_requests")).status_code == 200
        # Activity keeps it alive (sliding expiry)…
        clock.shift(settings.SESSION_COOKIE_AGE - 60)
        assert client.get(reverse("procedures:my_requests")).status_code == 200
        # …inactivity ends it.
        clock.shift(settings.SESSION_COOKIE_AGE + 1)
        response = client.get(reverse("procedures:my_requests"))
        assert response.status_code == 302 and reverse("identity:sign_in") in response.url


def test_sign_up_with_nina_links_the_existing_person(client, db):
    person = actions.do_register_person(
        given_names="Fanta",
        family_name="Keïta",
        sex="F",
        birth_date=dt.date(1995, 6, 1),
        identifiers={"nina": "19950601000033D"},
    )
    response = client.post(
        reverse("identity:sign_up"),
        {
            "phone": "+22376123456",
            "nina": "19950601000033D",
            "sex": "F",
            "birth_date": "1995-06-01",
            "password": "Bamako-Kura-77",
        },
    )
    assert response.url == reverse("identity:sign_in_code")
    person.refresh_from_db()
    assert person.account.phone == "+22376123456"


def test_sign_up_with_a_nina_and_the_wrong_birth_date_is_refused(client, db):
    actions.do_register_person(
        given_names="Fanta",
        family_name="Keïta",
        sex="F",
        birth_date=dt.date(1995, 6, 1),
        identifiers={"nina": "19950601000033D"},
    )
    response = client.post(
        reverse("identity:sign_up"),
        {
            "phone": "+22376123456",
            "nina": "19950601000033D",
            "sex": "F",
            "birth_date": "1995-06-02",
            "password": "Bamako-Kura-77",
        },
    )
    assert response.status_code == 200
    from jamana.identity.models import Account

    assert not Account.objects.filter(phone="+22376123456").exists()
