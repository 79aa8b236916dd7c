"""The main menu: polite re-asking, options not available yet, quitting, and the language."""

from __future__ import annotations

import pytest
from django.utils import translation

from jamana.identity.models import Account
from jamana.ussd.tests.conftest import PIN, Phone

pytestmark = pytest.mark.django_db


def test_menu_is_in_the_accounts_language(client, citizen):
    citizen.language = "en"
    citizen.save()
    reply = Phone(client, citizen.phone).dial()
    with translation.override("en"):
        from jamana.ussd import screens

        assert reply == screens.main_menu().render()


def test_invalid_choice_shows_the_same_menu_with_a_short_line(phone):
    menu = phone.dial()
    reply = phone.send("9")
    assert reply.startswith("CON ")
    assert "Invalid choice." in reply
    assert reply.replace("Invalid choice.\n", "") == menu
    # And then a valid choice works.
    assert phone.send("7").startswith("CON ")


def test_empty_and_letter_inputs_are_invalid_choices(phone):
    menu = phone.dial()
    # An empty first answer makes the same text as the first call: the gateway's retry.
    assert phone.send("") == menu
    assert "Invalid choice." in phone.send("abc")
    assert "Invalid choice." in phone.send("")  # "abc*": an empty answer


def test_application_results_are_personal_and_need_a_pin(phone):
    phone.dial()
    reply = phone.send("6")
    assert "PIN" in reply  # here: no PIN set yet, so the caller is told how to set one


def test_quit_ends_the_session(phone):
    phone.dial()
    reply = phone.send("0")
    assert reply.startswith("END ") and "Thank you" in reply


def test_language_switch_is_remembered_on_the_account(phone, citizen):
    phone.dial()
    reply = phone.send("7")
    assert "Bamanankan" in reply and "English" in reply and "Français" in reply
    reply = phone.send("2")
    assert reply.startswith("CON ")
    citizen.refresh_from_db()
    assert citizen.language == "bm"
    with translation.override("bm"):
        from jamana.ussd import screens

        assert reply == screens.main_menu(screens.language_changed()).render()
    # The next session opens in Bambara. (The reply first: a request leaves the thread's
    # language as its middleware set it.)
    reply = phone.dial()
    with translation.override("bm"):
        assert reply == screens.main_menu().render()


def test_language_screen_re_asks_and_goes_back(phone, citizen):
    phone.dial()
    phone.send("7")
    assert "Invalid choice." in phone.send("5")
    assert phone.send("0").startswith("CON ")
    assert Account.objects.get(pk=citizen.pk).language == "en"


def test_a_number_without_account_switches_language_for_the_session(client, db):
    phone = Phone(client, "+22376999999")
    phone.dial()
    phone.send("7")
    reply = phone.send("3")
    with translation.override("en"):
        from jamana.ussd import screens

        assert reply == screens.main_menu(screens.language_changed()).render()


def test_back_from_a_list_returns_to_the_main_menu(phone, with_pin, service):
    from jamana.procedures.actions import check_submit_request

    check_submit_request(account=with_pin, service_code=service.code)
    phone.walk("3", PIN)
    reply = phone.send("0")
    assert reply.startswith("CON ") and "\n1 " in reply
