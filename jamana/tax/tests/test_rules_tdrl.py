"""TDRL: who owes it, who is exempt (CGI art. 152-153) and how much each commune charges."""

from __future__ import annotations

import datetime as dt

import pytest

from jamana.tax.rules import (
    Confidence,
    RuleNotFound,
    TdrlExemption,
    TdrlPerson,
    tdrl_due,
)
from jamana.tax.rules.tdrl import TDRL_RATES, TdrlRate

BAMAKO_COMMUNES = [f"ML-00-0{n}" for n in range(1, 7)]
ADULT = TdrlPerson(birth_date=dt.date(1990, 5, 17))


def test_tdrl_bamako_adult_pays_3000() -> None:
    assessment = tdrl_due(commune_code="ML-00-04", year=2025, person=ADULT)

    assert assessment.amount_xof == 3_000
    assert assessment.base_amount_xof == 3_000
    assert assessment.surcharge_xof == 0
    assert assessment.exempt_reason is None
    assert assessment.confidence is Confidence.SECONDARY


@pytest.mark.parametrize("commune_code", BAMAKO_COMMUNES)
def test_tdrl_every_bamako_commune_charges_the_district_amount(commune_code: str) -> None:
    assert tdrl_due(commune_code=commune_code, year=2024, person=ADULT).amount_xof == 3_000


def test_tdrl_reference_cites_the_cgi_and_the_district() -> None:
    reference = tdrl_due(commune_code="ML-00-01", year=2025, person=ADULT).reference

    assert "Code général des impôts du Mali, art. 152" in reference
    assert "District de Bamako" in reference
    assert "Loi n°2011-036" in reference


def test_tdrl_is_due_on_the_roll_not_on_a_fixed_date() -> None:
    assert tdrl_due(commune_code="ML-00-01", year=2025, person=ADULT).due_date is None


def test_tdrl_commune_without_its_own_rate_gets_the_marked_default() -> None:
    assessment = tdrl_due(commune_code="ML-01-010101", year=2025, person=ADULT)  # Bafoulabé

    assert assessment.amount_xof == 3_000
    assert assessment.confidence is Confidence.UNCONFIRMED
    assert "TAUX PAR DÉFAUT" in assessment.reference
    assert "figure to confirm" in assessment.reference


def test_tdrl_person_exactly_14_on_1_january_does_not_owe_it() -> None:
    # "plus de quatorze ans": born 1 January 2011 is exactly 14 on 1 January 2025.
    person = TdrlPerson(birth_date=dt.date(2011, 1, 1))

    assessment = tdrl_due(commune_code="ML-00-02", year=2025, person=person)

    assert assessment.amount_xof == 0
    assert assessment.exempt_reason == "under_age"
    assert "art. 152" in assessment.reference


def test_tdrl_person_14_and_one_day_on_1_january_owes_it() -> None:
    person = TdrlPerson(birth_date=dt.date(2010, 12, 31))

    assert tdrl_due(commune_code="ML-00-02", year=2025, person=person).amount_xof == 3_000


def test_tdrl_leap_day_birth_counts_from_the_real_date() -> None:
    person = TdrlPerson(birth_date=dt.date(2000, 2, 29))

    # 13 years 10 months on 1 January 2014, 14 years 10 months on 1 January 2015.
    assert tdrl_due(commune_code="ML-00-03", year=2014, person=person).exempt_reason == "under_age"
    assert tdrl_due(commune_code="ML-00-03", year=2015, person=person).amount_xof == 3_000


def test_tdrl_person_over_60_on_1_january_is_exempt() -> None:
    person = TdrlPerson(birth_date=dt.date(1964, 12, 31))

    assessment = tdrl_due(commune_code="ML-00-05", year=2025, person=person)

    assert assessment.amount_xof == 0
    assert assessment.exempt_reason == "over_60"
    assert "art. 153, 4°" in assessment.reference


def test_tdrl_person_exactly_60_on_1_january_still_pays() -> None:
    person = TdrlPerson(birth_date=dt.date(1965, 1, 1))

    assert tdrl_due(commune_code="ML-00-05", year=2025, person=person).amount_xof == 3_000


@pytest.mark.parametrize(
    ("exemption", "paragraph"),
    [
        (TdrlExemption.MILITARY, "1°"),
        (TdrlExemption.INDIGENT, "2°"),
        (TdrlExemption.STUDENT, "3°"),
        (TdrlExemption.WORK_DISABILITY, "5°"),
        (TdrlExemption.SOCIAL_DISEASE, "6°"),
        (TdrlExemption.FOREIGN_DIPLOMAT, "7°"),
        (TdrlExemption.MOTHER_OF_FOUR, "8°"),
    ],
)
def test_tdrl_declared_exemption_brings_it_to_zero_with_its_paragraph(
    exemption: TdrlExemption, paragraph: str
) -> None:
    person = TdrlPerson(birth_date=dt.date(1990, 5, 17), exemptions={exemption.value})

    assessment = tdrl_due(commune_code="ML-00-06", year=2025, person=person)

    assert assessment.amount_xof == 0
    assert assessment.exempt_reason == exemption.value
    assert f"art. 153, {paragraph}" in assessment.reference
    assert assessment.confidence is Confidence.LEGAL_TEXT


def test_tdrl_mother_of_four_children_pays_nothing() -> None:
    mother = TdrlPerson(birth_date=dt.date(1985, 3, 2), exemptions={"mother_of_four"})

    assessment = tdrl_due(commune_code="ML-00-01", year=2025, person=mother)

    assert (assessment.amount_xof, assessment.exempt_reason) == (0, "mother_of_four")


def test_tdrl_several_exemptions_report_the_first_in_the_article() -> None:
    person = TdrlPerson(birth_date=dt.date(1960, 1, 1), exemptions={"mother_of_four", "student"})

    assessment = tdrl_due(commune_code="ML-00-01", year=2025, person=person)

    assert assessment.exempt_reason == "student"  # 3° comes before 4° (age) and 8°


def test_tdrl_unknown_exemption_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown TDRL exemption"):
        TdrlPerson(birth_date=dt.date(1990, 1, 1), exemptions={"pregnant"})


def test_tdrl_age_exemption_cannot_be_declared_only_computed() -> None:
    with pytest.raises(ValueError, match="computed from birth_date"):
        TdrlPerson(birth_date=dt.date(1990, 1, 1), exemptions={"over_60"})


def test_tdrl_year_with_no_rule_raises() -> None:
    with pytest.raises(RuleNotFound, match="2011"):
        tdrl_due(commune_code="ML-00-01", year=2011, person=ADULT)


def test_tdrl_year_with_no_rule_raises_even_for_an_exempt_person() -> None:
    student = TdrlPerson(birth_date=dt.date(1990, 1, 1), exemptions={"student"})

    with pytest.raises(RuleNotFound):
        tdrl_due(commune_code="ML-00-01", year=2010, person=student)


def test_tdrl_code_outside_the_malian_geography_is_refused() -> None:
    with pytest.raises(ValueError, match="geography code"):
        tdrl_due(commune_code="BF-01-01", year=2025, person=ADULT)


def test_tdrl_commune_deliberation_takes_effect_on_its_date() -> None:
    # Illustrative deliberation (not a real one): Commune III moves to 3 500 XOF from 2027.
    rates = [r for r in TDRL_RATES if r.commune_code != "ML-00-03"]
    rates += [
        TdrlRate(
            commune_code="ML-00-03",
            amount_xof=3_000,
            valid_from=dt.date(2012, 1, 1),
            valid_to=dt.date(2027, 1, 1),
            reference="illustrative",
            confidence=Confidence.SECONDARY,
        ),
        TdrlRate(
            commune_code="ML-00-03",
            amount_xof=3_500,
            valid_from=dt.date(2027, 1, 1),
            valid_to=None,
            reference="illustrative deliberation",
            confidence=Confidence.LEGAL_TEXT,
        ),
    ]

    def due(year: int) -> int:
        return tdrl_due(commune_code="ML-00-03", year=year, person=ADULT, rates=rates).amount_xof

    assert (due(2026), due(2027)) == (3_000, 3_500)
