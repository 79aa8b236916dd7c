"""Menus 4 and 5: ask for one's criminal record extract (then pay it) and for an extract of
one's own birth act."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jamana.civil.actions import BirthFacts, RegisterEntry, do_record_register_act
from jamana.core.references import format_reference
from jamana.payments.models import PaymentIntent
from jamana.procedures.actions import do_upsert_service
from jamana.procedures.catalogue import CATALOGUE
from jamana.procedures.models import RequestStatus, ServiceRequest
from jamana.ussd.tests.conftest import PIN

pytestmark = pytest.mark.django_db


def _catalogue_service(code: str, organisation) -> None:
    spec = next(s for s in CATALOGUE if s["code"] == code)
    fields = {k: v for k, v in spec.items() if k not in ("code", "organisation")}
    do_upsert_service(code=code, organisation=organisation, **fields)


@pytest.fixture
def court_and_citizen(with_pin):
    from jamana.core.geography import find_area
    from jamana.justice.tests.conftest import make_courts

    courts = make_courts()
    _catalogue_service("justice.b3", courts["c3"])
    person = with_pin.person
    person.birth_commune = find_area("ML-00-03")
    person.save(update_fields=["birth_commune"])
    return courts["c3"], with_pin


def test_ask_for_a_bulletin_then_pay_it(phone, court_and_citizen):
    court, citizen = court_and_citizen
    reply = phone.walk("4", PIN)
    assert reply.startswith("CON ") and "750" in reply
    reply = phone.send("1")
    request = ServiceRequest.objects.get(service__code="justice.b3")
    assert request.submitted_by == citizen and request.organisation == court
    assert request.status == RequestStatus.AWAITING_PAYMENT
    assert reply.startswith("CON ")
    assert f"Request {format_reference(request.reference)} created." in reply
    assert "Orange Money" in reply
    reply = phone.send("1")
    assert reply.startswith("END ") and "Confirm it on your phone" in reply
    intent = PaymentIntent.objects.get()
    assert intent.purpose_ref == request.reference and intent.amount_xof == 750


def test_a_retried_bulletin_call_makes_one_request(phone, court_and_citizen):
    phone.walk("4", PIN, "1")
    for _ in range(2):
        phone.post(phone.text)
    assert ServiceRequest.objects.filter(service__code="justice.b3").count() == 1


def test_bulletin_can_be_declined(phone, court_and_citizen):
    phone.walk("4", PIN)
    assert "Invalid choice." in phone.send("3")
    assert phone.send("0").startswith("CON ")
    assert not ServiceRequest.objects.exists()


def test_bulletin_refused_by_the_action_gives_its_reason(phone, with_pin):
    from jamana.justice.tests.conftest import make_courts

    courts = make_courts()
    _catalogue_service("justice.b3", courts["c3"])
    # Born nowhere the courts know of: no competent court.
    reply = phone.walk("4", PIN, "1")
    assert reply.startswith("END ")
    assert len(reply) <= 182
    assert not ServiceRequest.objects.exists()


def test_bulletin_service_closed(phone, with_pin):
    reply = phone.walk("4", PIN)
    assert reply.startswith("END ") and "does not exist or is closed" in reply


@pytest.fixture
def own_act(with_pin):
    from jamana.civil.tests.conftest import make_bamako_centre

    centre = make_bamako_centre()
    for code in ("civil.birth_extract", "civil.birth_copy"):
        _catalogue_service(code, centre.organisation)
    person = with_pin.person
    act = do_record_register_act(
        centre=centre,
        facts=BirthFacts(
            child_given_names=person.given_names,
            child_family_name=person.family_name,
            child_sex=person.sex,
            birth_date=person.birth_date,
            birth_commune=centre.commune,
            birth_place="Bamako",
        ),
        entry=RegisterEntry(year=1987, number=412, drawn_up_on=dt.date(1987, 3, 14)),
        person=person,
    )
    return act


def test_ask_for_an_extract_of_my_birth_act(phone, own_act):
    reply = phone.walk("5", PIN)
    assert reply.startswith("CON ") and "412/1987" in reply and "free" in reply
    reply = phone.send("1")
    request = ServiceRequest.objects.get(service__code="civil.birth_extract")
    assert request.details == {"act": own_act.pk, "kind": "extract"}
    assert reply.startswith("END ")
    assert format_reference(request.reference) in reply and "SMS" in reply


def test_my_childs_act_is_not_offered_on_ussd(phone, own_act, with_pin):
    from jamana.civil.actions import ParentInput, check_declare_birth, check_validate_declaration
    from jamana.civil.tests.conftest import make_registrar

    declaration = check_declare_birth(
        account=with_pin,
        centre=own_act.centre,
        facts=BirthFacts(
            child_given_names="Awa",
            child_family_name="Traoré",
            child_sex="F",
            birth_date=timezone.localdate(),
            birth_commune=None,
            birth_place="Bamako",
            mother=ParentInput(name=with_pin.person.full_name),
            declarant_role="mother",
        ),
    )
    child = check_validate_declaration(
        agent=make_registrar(own_act.centre), reference=declaration.reference
    )
    assert child.mother_id == with_pin.person_id  # the web offers it to the mother
    reply = phone.walk("5", PIN)
    assert "412/1987" in reply and f"{child.number}/{child.year}" not in reply


def test_no_act_in_the_digital_register(phone, with_pin):
    from jamana.civil.tests.conftest import make_bamako_centre

    centre = make_bamako_centre()
    _catalogue_service("civil.birth_extract", centre.organisation)
    reply = phone.walk("5", PIN)
    assert reply.startswith("END ") and "civil registry centre" in reply


def test_invalid_act_choice_is_asked_again(phone, own_act):
    phone.walk("5", PIN)
    assert "Invalid choice." in phone.send("2")
    assert phone.send("0").startswith("CON ")
    assert not ServiceRequest.objects.exists()
