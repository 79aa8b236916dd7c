"""Assessing taxes from the rule tables: amounts, references, exemptions, refusals, rights."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from jamana.core.errors import PermissionDenied
from jamana.core.geography import find_area
from jamana.core.references import parse_reference
from jamana.tax.actions import (
    TaxError,
    check_assess,
    check_pay_assessment,
    do_cancel_assessment,
    do_open_taxpayer,
)
from jamana.tax.models import Assessment, AssessmentStatus

pytestmark = pytest.mark.django_db


def test_taxpayer_gets_a_nif_with_a_check_character(taxpayer):
    assert parse_reference(taxpayer.nif) == taxpayer.nif
    assert taxpayer.phone == "" or taxpayer.phone.startswith("+")


def test_a_person_has_one_nif(citizen, tax_office, tax_officer, bamako_c3, taxpayer):
    with pytest.raises(TaxError) as error:
        do_open_taxpayer(
            agent=tax_officer,
            kind="person",
            tax_office=tax_office,
            commune=bamako_c3,
            person=citizen.person,
        )
    assert error.value.code == "taxpayer_exists"


def test_tdrl_for_a_bamako_resident_is_3000_with_its_reference(taxpayer, tax_officer):
    assessment = check_assess(
        taxpayer, "tdrl", 2025, agent=tax_officer, due_date=dt.date(2025, 6, 30)
    )
    assert (assessment.amount_xof, assessment.base_xof, assessment.surcharge_xof) == (3000, 3000, 0)
    assert assessment.status == AssessmentStatus.OPEN and assessment.remaining_xof == 3000
    assert assessment.confidence == "secondary"
    assert "District de Bamako" in assessment.legal_reference
    assert "art. 152" in assessment.legal_reference
    assert assessment.due_date == dt.date(2025, 6, 30)
    assert parse_reference(assessment.number) == assessment.number


def test_motorcycle_vignette_on_time_then_doubled_when_late(taxpayer, tax_officer):
    with time_machine.travel(dt.datetime(2025, 3, 10, 9, tzinfo=dt.UTC), tick=False):
        on_time = check_assess(
            taxpayer,
            "vignette",
            2025,
            agent=tax_officer,
            subject="AB-1234",
            category="moto",
            engine_cc=125,
        )
    assert (on_time.amount_xof, on_time.surcharge_xof) == (6000, 0)
    assert on_time.due_date == dt.date(2025, 3, 31)
    assert "loi n°96-051" in on_time.legal_reference
    with time_machine.travel(dt.datetime(2025, 4, 2, 9, tzinfo=dt.UTC), tick=False):
        late = check_assess(
            taxpayer,
            "vignette",
            2025,
            agent=tax_officer,
            subject="cd-5678",
            category="moto",
            engine_cc=49,
        )
    assert (late.base_xof, late.surcharge_xof, late.amount_xof) == (3000, 3000, 6000)
    assert late.subject == "CD-5678"


def test_exempt_person_owes_nothing_and_has_nothing_to_pay(taxpayer, tax_officer, citizen):
    assessment = check_assess(taxpayer, "tdrl", 2025, agent=tax_officer, exemptions={"student"})
    assert assessment.amount_xof == 0 and assessment.status == AssessmentStatus.PAID
    assert assessment.exempt_reason == "student"
    assert "art. 153" in assessment.legal_reference
    with pytest.raises(TaxError) as error:
        check_pay_assessment(
            account=citizen,
            number=assessment.number,
            amount_xof=1,
            provider="moov_money",
            phone=citizen.phone,
            attempt="x",
        )
    assert error.value.code == "nothing_to_pay"


def test_unconfirmed_tariff_is_refused_never_guessed(
    taxpayer, tax_officer, tax_office, other_citizen, geography
):
    with pytest.raises(TaxError) as car:
        check_assess(
            taxpayer,
            "vignette",
            2025,
            agent=tax_officer,
            category="voiture_particuliere",
            fiscal_power=7,
        )
    assert car.value.code == "tariff_unconfirmed" and "DGI" in car.value.message
    with pytest.raises(TaxError) as shop:
        check_assess(taxpayer, "impot_synthetique", 2025, agent=tax_officer, turnover=2_000_000)
    assert shop.value.code == "tariff_unconfirmed"
    # A commune whose own TDRL deliberation is not recorded: the default rate is a working
    # value, so no amount is presented as owed.
    kati = find_area("ML-02-020418")
    outside = do_open_taxpayer(
        agent=tax_officer,
        kind="person",
        tax_office=tax_office,
        commune=kati,
        person=other_citizen.person,
    )
    with pytest.raises(TaxError) as tdrl:
        check_assess(outside, "tdrl", 2025, agent=tax_officer)
    assert tdrl.value.code == "tariff_unconfirmed"
    assert not Assessment.objects.exists()


def test_year_before_the_rules_is_refused(taxpayer, tax_officer):
    with pytest.raises(TaxError) as error:
        check_assess(taxpayer, "tdrl", 2005, agent=tax_officer)
    assert error.value.code == "tax_rule_not_found"


def test_same_tax_and_year_is_assessed_once_unless_cancelled(taxpayer, tax_officer):
    first = check_assess(taxpayer, "tdrl", 2025, agent=tax_officer)
    with pytest.raises(TaxError) as error:
        check_assess(taxpayer, "tdrl", 2025, agent=tax_officer)
    assert error.value.code == "already_assessed"
    do_cancel_assessment(agent=tax_officer, number=first.number, reason="Wrong commune")
    first.refresh_from_db()
    assert first.status == AssessmentStatus.CANCELLED and first.cancel_reason == "Wrong commune"
    again = check_assess(taxpayer, "tdrl", 2025, agent=tax_officer)
    assert again.status == AssessmentStatus.OPEN


def test_cancelling_needs_a_reason(taxpayer, tax_officer):
    assessment = check_assess(taxpayer, "tdrl", 2025, agent=tax_officer)
    with pytest.raises(TaxError):
        do_cancel_assessment(agent=tax_officer, number=assessment.number, reason=" ")


def test_a_citizen_cannot_assess_or_cancel(taxpayer, tax_officer, citizen):
    with pytest.raises(PermissionDenied):
        check_assess(taxpayer, "tdrl", 2025, agent=citizen)
    assessment = check_assess(taxpayer, "tdrl", 2025, agent=tax_officer)
    with pytest.raises(PermissionDenied):
        do_cancel_assessment(agent=citizen, number=assessment.number, reason="mine")


def test_an_agent_of_another_tax_office_cannot_assess(taxpayer, other_office_officer):
    with pytest.raises(PermissionDenied):
        check_assess(taxpayer, "tdrl", 2025, agent=other_office_officer)
    assert not Assessment.objects.exists()


def test_another_role_in_the_tax_office_cannot_assess(taxpayer, tax_office):
    from jamana.testing import make_agent

    head = make_agent(
        organisation=tax_office, extra_roles=(), phone="+22376000043", nina="19700101000043F"
    )
    with pytest.raises(PermissionDenied):
        check_assess(taxpayer, "tdrl", 2025, agent=head)


def test_assessing_is_audited_and_shown_to_the_person(taxpayer, tax_officer, citizen):
    from jamana.audit.models import AccessEvent, AuditEvent

    assessment = check_assess(taxpayer, "tdrl", 2025, agent=tax_officer)
    assert AuditEvent.objects.filter(action="tax.assessed", object_ref=assessment.number).exists()
    assert AccessEvent.objects.filter(person=citizen.person, actor=tax_officer).exists()


def test_partial_then_full_cash_payment_at_the_tax_office(taxpayer, tax_officer):
    from jamana.payments import ledger

    assessment = check_assess(taxpayer, "tdrl", 2025, agent=tax_officer)
    from jamana.tax.actions import check_record_counter_payment

    check_record_counter_payment(
        agent=tax_officer, number=assessment.number, amount_xof=1000, receipt="Q-1"
    )
    check_record_counter_payment(  # the same receipt recorded twice counts once
        agent=tax_officer, number=assessment.number, amount_xof=1000, receipt="Q-1"
    )
    assessment.refresh_from_db()
    assert assessment.paid_xof == 1000 and assessment.status == AssessmentStatus.OPEN
    with pytest.raises(TaxError) as error:
        check_record_counter_payment(
            agent=tax_officer, number=assessment.number, amount_xof=2500, receipt="Q-2"
        )
    assert error.value.code == "invalid_amount"
    check_record_counter_payment(
        agent=tax_officer, number=assessment.number, amount_xof=2000, receipt="Q-3"
    )
    assessment.refresh_from_db()
    assert assessment.paid_xof == 3000 and assessment.status == AssessmentStatus.PAID
    assert ledger.is_balanced()
    assert ledger.balance("beneficiary:ML-DGI-CI-BKO-C3") == -3000


def test_vignette_left_unpaid_past_its_due_date_gets_its_surcharge_once(
    taxpayer, tax_officer, citizen
):
    from jamana.notify.models import OutboundMessage
    from jamana.tax.actions import do_apply_late_surcharges

    with time_machine.travel(dt.datetime(2025, 3, 10, 9, tzinfo=dt.UTC), tick=False):
        assessment = check_assess(
            taxpayer,
            "vignette",
            2025,
            agent=tax_officer,
            subject="AB-1234",
            category="moto",
            engine_cc=125,
        )
        assert do_apply_late_surcharges() == 0  # not due yet
    applied = do_apply_late_surcharges(today=dt.date(2025, 4, 1))
    assessment.refresh_from_db()
    assert applied == 1
    assert (assessment.base_xof, assessment.surcharge_xof, assessment.amount_xof) == (
        6000,
        6000,
        12000,
    )
    assert do_apply_late_surcharges(today=dt.date(2025, 4, 2)) == 0  # once only
    assessment.refresh_from_db()
    assert assessment.amount_xof == 12000
    assert OutboundMessage.objects.filter(body__contains="6000", recipient=citizen.phone).exists()
