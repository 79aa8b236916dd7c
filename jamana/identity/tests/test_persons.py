"""Persons: identifiers' forms, single names, approximate birth dates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from jamana.core.errors import JamanaError
from jamana.identity import actions
from jamana.identity.models import DatePrecision, Person
from jamana.identity.nina import is_valid_identifier

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("12345678901234A", True),
        ("1234 5678 9012 34 a", True),
        ("1234567890123A", False),
        ("123456789012345", False),
        ("12345678901234AB", False),
    ],
)
def test_nina_form(value, valid):
    assert is_valid_identifier("nina", value) is valid


def test_a_single_name_is_enough():
    person = actions.do_register_person(given_names="Fatoumata", family_name="", sex="F")
    assert person.full_name == "Fatoumata"


def test_a_person_needs_some_name():
    with pytest.raises(JamanaError) as error:
        actions.do_register_person(given_names=" ", family_name="", sex="F")
    assert error.value.code == "name_required"
    assert not Person.objects.exists()


def test_a_person_may_have_no_identifier_yet():
    person = actions.do_register_person(given_names="Awa", family_name="Sow", sex="F")
    assert not person.identifiers.exists()


def test_invalid_identifier_leaves_nothing_written():
    with pytest.raises(JamanaError) as error:
        actions.do_register_person(
            given_names="Awa", family_name="Sow", sex="F", identifiers={"nina": "123"}
        )
    assert error.value.code == "invalid_identifier"
    assert not Person.objects.exists()


def test_identifier_belongs_to_one_person_only():
    actions.do_register_person(
        given_names="Awa", family_name="Sow", sex="F", identifiers={"nina": "12345678901234A"}
    )
    with pytest.raises(JamanaError):
        actions.do_register_person(
            given_names="Ami", family_name="Sow", sex="F", identifiers={"nina": "12345678901234A"}
        )
    assert Person.objects.count() == 1


def test_approximate_birth_date_is_printed_as_such():
    person = actions.do_register_person(
        given_names="Bakary",
        family_name="Kanté",
        sex="M",
        birth_date=dt.date(1962, 1, 1),
        birth_date_precision=DatePrecision.ABOUT_YEAR,
    )
    with translation.override("en"):
        assert person.birth_date_display() == "about 1962"
    assert "1 " not in person.birth_date_display()


def test_exact_birth_date_is_printed_in_full():
    person = actions.do_register_person(
        given_names="Bakary", family_name="Kanté", sex="M", birth_date=dt.date(1962, 3, 5)
    )
    with translation.override("en"):
        assert person.birth_date_display() == "5 March 1962"


def test_phone_numbers_are_stored_in_e164():
    person = actions.do_register_person(
        given_names="Awa", family_name="Sow", sex="F", phone="76 12 34 56"
    )
    assert person.phone == "+22376123456"
