"""Vignette: tariff by vehicle category, due 31 March, 100 % surcharge when late."""

from __future__ import annotations

import datetime as dt

import pytest

from jamana.tax.rules import (
    Confidence,
    RuleNotConfirmed,
    RuleNotFound,
    VehicleCategory,
    vignette_due,
)
from jamana.tax.rules.dated import percent
from jamana.tax.rules.vignette import VIGNETTE_CALENDARS, VignetteBand, VignetteCalendar


def moto(
    cc: int,
    *,
    year: int = 2025,
    paid_on: dt.date | None = None,
    today: dt.date = dt.date(2025, 2, 1),
    acquired_on: dt.date | None = None,
) -> int:
    return vignette_due(
        category="moto",
        fiscal_power=None,
        engine_cc=cc,
        year=year,
        paid_on=paid_on,
        today=today,
        acquired_on=acquired_on,
    ).amount_xof


def test_vignette_jakarta_110cc_paid_in_march_costs_6000() -> None:
    assessment = vignette_due(
        category="moto",
        fiscal_power=None,
        engine_cc=110,
        year=2025,
        paid_on=dt.date(2025, 3, 10),
        today=dt.date(2025, 3, 10),
    )

    assert assessment.amount_xof == 6_000
    assert assessment.surcharge_xof == 0
    assert assessment.due_date == dt.date(2025, 3, 31)
    assert assessment.confidence is Confidence.SECONDARY
    assert "loi n°96-051" in assessment.reference


@pytest.mark.parametrize(
    ("cc", "amount"),
    [(1, 3_000), (49, 3_000), (50, 3_000), (51, 6_000), (125, 6_000), (126, 12_000), (750, 12_000)],
)
def test_vignette_moto_bands_by_engine_size(cc: int, amount: int) -> None:
    assert moto(cc) == amount


def test_vignette_paid_on_31_march_is_on_time() -> None:
    assert moto(110, paid_on=dt.date(2025, 3, 31), today=dt.date(2025, 5, 1)) == 6_000


def test_vignette_paid_on_1_april_is_doubled() -> None:
    assessment = vignette_due(
        category="moto",
        fiscal_power=None,
        engine_cc=110,
        year=2025,
        paid_on=dt.date(2025, 4, 1),
        today=dt.date(2025, 4, 1),
    )

    assert (assessment.base_amount_xof, assessment.surcharge_xof) == (6_000, 6_000)
    assert assessment.amount_xof == 12_000
    assert assessment.is_late
    assert "100 %" in assessment.reference


def test_vignette_unpaid_is_priced_as_of_today() -> None:
    assert moto(200, today=dt.date(2025, 3, 31)) == 12_000
    assert moto(200, today=dt.date(2025, 4, 1)) == 24_000


def test_vignette_due_date_is_31_march_in_a_leap_year_too() -> None:
    assert moto(110, year=2024, paid_on=dt.date(2024, 2, 29)) == 6_000
    assert moto(110, year=2024, paid_on=dt.date(2024, 3, 31)) == 6_000
    assert moto(110, year=2024, paid_on=dt.date(2024, 4, 1)) == 12_000


def test_vignette_bought_before_the_year_starts_is_on_time() -> None:
    assert moto(110, year=2026, paid_on=dt.date(2025, 12, 20)) == 6_000


def test_vignette_vehicle_acquired_after_the_deadline_has_no_surcharge() -> None:
    assessment = vignette_due(
        category="moto",
        fiscal_power=None,
        engine_cc=110,
        year=2025,
        paid_on=dt.date(2025, 11, 2),
        today=dt.date(2025, 11, 2),
        acquired_on=dt.date(2025, 6, 15),
    )

    assert assessment.due_date == dt.date(2025, 6, 15)
    assert assessment.amount_xof == 6_000


def test_vignette_vehicle_acquired_before_the_deadline_pays_the_surcharge() -> None:
    assert moto(110, paid_on=dt.date(2025, 4, 2), acquired_on=dt.date(2025, 2, 1)) == 12_000


def test_vignette_vehicle_acquired_next_year_owes_nothing_this_year() -> None:
    with pytest.raises(ValueError, match="owes no vignette"):
        moto(110, year=2025, acquired_on=dt.date(2026, 1, 5))


def test_vignette_car_tariff_is_not_confirmed_so_nothing_is_assessed() -> None:
    with pytest.raises(RuleNotConfirmed) as error:
        vignette_due(
            category="voiture_particuliere",
            fiscal_power=9,
            year=2025,
            paid_on=None,
            today=dt.date(2025, 2, 1),
        )

    message = str(error.value)
    assert "7 000 à 75 000 FCFA" in message
    assert "figure to confirm with the DGI" in message
    assert error.value.code == "tax_rule_not_confirmed"


def test_vignette_transport_ttr_tariff_is_not_confirmed() -> None:
    with pytest.raises(RuleNotConfirmed, match="TTR"):
        vignette_due(
            category="transport",
            fiscal_power=12,
            year=2025,
            paid_on=None,
            today=dt.date(2025, 1, 5),
        )


def test_vignette_car_bands_pick_by_fiscal_power_once_the_dgi_tariff_is_entered() -> None:
    # Illustrative figures (111/222/333 XOF), NOT the DGI tariff: they only exercise the band
    # lookup and the late surcharge for cars until the real table is entered.
    def band(low: int, high: int | None, amount: int) -> VignetteBand:
        return VignetteBand(
            category=VehicleCategory.VOITURE_PARTICULIERE,
            min_value=low,
            max_value=high,
            amount_xof=amount,
            valid_from=dt.date(2012, 1, 1),
            valid_to=None,
            reference="illustrative",
            confidence=Confidence.LEGAL_TEXT,
        )

    bands = [band(1, 4, 111), band(5, 10, 222), band(11, None, 333)]

    def car(cv: int, paid_on: dt.date) -> int:
        return vignette_due(
            category="voiture_particuliere",
            fiscal_power=cv,
            year=2025,
            paid_on=paid_on,
            today=paid_on,
            bands=bands,
        ).amount_xof

    on_time, late = dt.date(2025, 3, 31), dt.date(2025, 4, 1)
    assert [car(cv, on_time) for cv in (4, 5, 10, 11, 40)] == [111, 222, 222, 333, 333]
    assert car(7, late) == 444


def test_vignette_deadline_change_applies_from_its_year() -> None:
    # Illustrative: a new text moving the motorcycle deadline to 30 April from 2027.
    calendars = [c for c in VIGNETTE_CALENDARS if VehicleCategory.MOTO not in c.categories]
    calendars += [
        VignetteCalendar(
            categories=frozenset({VehicleCategory.MOTO}),
            due_month=3,
            due_day=31,
            surcharge_rate=percent("100"),
            new_vehicle_grace=True,
            valid_from=dt.date(2012, 1, 1),
            valid_to=dt.date(2027, 1, 1),
            reference="illustrative",
            confidence=Confidence.SECONDARY,
        ),
        VignetteCalendar(
            categories=frozenset({VehicleCategory.MOTO}),
            due_month=4,
            due_day=30,
            surcharge_rate=percent("50"),
            new_vehicle_grace=True,
            valid_from=dt.date(2027, 1, 1),
            valid_to=None,
            reference="illustrative",
            confidence=Confidence.SECONDARY,
        ),
    ]

    def due(year: int, paid_on: dt.date) -> int:
        return vignette_due(
            category="moto",
            fiscal_power=None,
            engine_cc=110,
            year=year,
            paid_on=paid_on,
            today=paid_on,
            calendars=calendars,
        ).amount_xof

    assert due(2026, dt.date(2026, 4, 15)) == 12_000
    assert due(2027, dt.date(2027, 4, 15)) == 6_000
    assert due(2027, dt.date(2027, 5, 1)) == 9_000


def test_vignette_moto_needs_its_engine_size() -> None:
    with pytest.raises(ValueError, match="needs engine_cc"):
        vignette_due(
            category="moto", fiscal_power=3, year=2025, paid_on=None, today=dt.date(2025, 1, 2)
        )


def test_vignette_car_needs_its_fiscal_power() -> None:
    with pytest.raises(ValueError, match="needs fiscal_power"):
        vignette_due(
            category="voiture_particuliere",
            fiscal_power=None,
            year=2025,
            paid_on=None,
            today=dt.date(2025, 1, 2),
        )


def test_vignette_unknown_category_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown vehicle category"):
        vignette_due(
            category="bateau", fiscal_power=5, year=2025, paid_on=None, today=dt.date(2025, 1, 2)
        )


def test_vignette_engine_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        moto(0)


def test_vignette_year_with_no_rule_raises() -> None:
    with pytest.raises(RuleNotFound, match="2011"):
        moto(110, year=2011, today=dt.date(2011, 2, 1))
