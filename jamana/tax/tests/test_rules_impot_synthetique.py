"""Impôt synthétique: ceiling of the regime, due by 31 March, 25 % fine when late.

The DGI tariff (brackets and amounts) is not in any source we could read, so the real table
raises ``RuleNotConfirmed``; the bracket logic is exercised with ILLUSTRATIVE amounts (1 111,
2 222, 3 333, 9 999 XOF) that are obviously not the law.
"""

from __future__ import annotations

import datetime as dt

import pytest

from jamana.tax.rules import (
    Confidence,
    NotEligible,
    RuleNotConfirmed,
    RuleNotFound,
    impot_synthetique_due,
)
from jamana.tax.rules.impot_synthetique import ANY_ACTIVITY, ImpotSynthetiqueBracket

START = dt.date(2007, 1, 1)


def bracket(
    low: int, high: int | None, amount: int, activity: str = ANY_ACTIVITY
) -> ImpotSynthetiqueBracket:
    return ImpotSynthetiqueBracket(
        activity=activity,
        min_turnover_xof=low,
        max_turnover_xof=high,
        amount_xof=amount,
        valid_from=START,
        valid_to=None,
        reference="illustrative tariff",
        confidence=Confidence.LEGAL_TEXT,
    )


ILLUSTRATIVE = [
    bracket(0, 5_000_000, 1_111),
    bracket(5_000_001, 15_000_000, 2_222),
    bracket(15_000_001, None, 3_333),
    bracket(0, None, 9_999, activity="transport"),
]


def due(
    turnover: int,
    *,
    activity: str = "commerce",
    year: int = 2025,
    paid_on: dt.date | None = None,
    today: dt.date = dt.date(2025, 2, 1),
    started_on: dt.date | None = None,
) -> int:
    return impot_synthetique_due(
        turnover_xof=turnover,
        year=year,
        activity=activity,
        paid_on=paid_on,
        today=today,
        started_on=started_on,
        brackets=ILLUSTRATIVE,
    ).amount_xof


def test_impot_synthetique_real_tariff_is_not_confirmed_so_nothing_is_assessed() -> None:
    with pytest.raises(RuleNotConfirmed) as error:
        impot_synthetique_due(
            turnover_xof=12_000_000,
            year=2025,
            activity="commerce",
            paid_on=None,
            today=dt.date(2025, 2, 1),
        )

    assert "14 700 et 1 200 000" in str(error.value)
    assert "figure to confirm with the DGI" in str(error.value)


def test_impot_synthetique_turnover_above_30_millions_is_the_real_regime() -> None:
    with pytest.raises(NotEligible, match="30000000") as error:
        due(30_000_001)
    assert error.value.code == "tax_not_eligible"


def test_impot_synthetique_turnover_of_exactly_30_millions_is_still_eligible() -> None:
    assert due(30_000_000) == 3_333


@pytest.mark.parametrize(
    ("turnover", "amount"),
    [(0, 1_111), (5_000_000, 1_111), (5_000_001, 2_222), (15_000_000, 2_222), (15_000_001, 3_333)],
)
def test_impot_synthetique_bracket_edges(turnover: int, amount: int) -> None:
    assert due(turnover) == amount


def test_impot_synthetique_activity_line_wins_over_the_general_one() -> None:
    assert due(1_000_000, activity="transport") == 9_999
    assert due(1_000_000, activity="artisanat") == 1_111


def test_impot_synthetique_paid_on_31_march_is_on_time() -> None:
    assessment = impot_synthetique_due(
        turnover_xof=8_000_000,
        year=2025,
        activity="commerce",
        paid_on=dt.date(2025, 3, 31),
        today=dt.date(2025, 6, 1),
        brackets=ILLUSTRATIVE,
    )

    assert assessment.due_date == dt.date(2025, 3, 31)
    assert (assessment.amount_xof, assessment.surcharge_xof) == (2_222, 0)
    assert "art. 178" in assessment.reference


def test_impot_synthetique_paid_on_1_april_carries_the_25_percent_fine() -> None:
    assessment = impot_synthetique_due(
        turnover_xof=8_000_000,
        year=2025,
        activity="commerce",
        paid_on=dt.date(2025, 4, 1),
        today=dt.date(2025, 4, 1),
        brackets=ILLUSTRATIVE,
    )

    # 25 % of 2 222 is 555.5: rounded down to the franc.
    assert (assessment.base_amount_xof, assessment.surcharge_xof) == (2_222, 555)
    assert assessment.amount_xof == 2_777
    assert "25 %" in assessment.reference and "art. 184" in assessment.reference


def test_impot_synthetique_unpaid_is_priced_as_of_today() -> None:
    assert due(1_000_000, today=dt.date(2025, 3, 31)) == 1_111
    assert due(1_000_000, today=dt.date(2025, 4, 1)) == 1_111 + 277


def test_impot_synthetique_leap_year_deadline_is_still_31_march() -> None:
    assert due(1_000_000, year=2024, paid_on=dt.date(2024, 2, 29)) == 1_111
    assert due(1_000_000, year=2024, paid_on=dt.date(2024, 3, 31)) == 1_111
    assert due(1_000_000, year=2024, paid_on=dt.date(2024, 4, 1)) == 1_388


def test_impot_synthetique_business_started_in_june_owes_it_from_its_first_day() -> None:
    assessment = impot_synthetique_due(
        turnover_xof=1_000_000,
        year=2025,
        activity="commerce",
        paid_on=dt.date(2025, 6, 10),
        today=dt.date(2025, 6, 10),
        started_on=dt.date(2025, 6, 10),
        brackets=ILLUSTRATIVE,
    )

    assert assessment.due_date == dt.date(2025, 6, 10)
    assert assessment.amount_xof == 1_111  # not prorated (to confirm with the DGI)
    assert due(1_000_000, paid_on=dt.date(2025, 6, 11), started_on=dt.date(2025, 6, 10)) == 1_388


def test_impot_synthetique_business_started_in_february_keeps_the_31_march_deadline() -> None:
    assert due(1_000_000, paid_on=dt.date(2025, 3, 20), started_on=dt.date(2025, 2, 3)) == 1_111


def test_impot_synthetique_business_started_next_year_owes_nothing_this_year() -> None:
    with pytest.raises(ValueError, match="owes nothing"):
        due(1_000_000, started_on=dt.date(2026, 1, 10))


def test_impot_synthetique_negative_turnover_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        due(-1)


def test_impot_synthetique_activity_is_required() -> None:
    with pytest.raises(ValueError, match="activity"):
        due(1_000_000, activity="")


def test_impot_synthetique_year_with_no_rule_raises() -> None:
    with pytest.raises(RuleNotFound, match="2006"):
        due(1_000_000, year=2006, today=dt.date(2006, 2, 1))
