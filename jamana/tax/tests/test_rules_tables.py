"""The rule tables themselves: pure Python, dated without gaps in meaning, every figure sourced."""

from __future__ import annotations

import ast
import csv
import datetime as dt
from pathlib import Path

import pytest

import jamana.tax.rules as rules_package
from jamana.tax.rules import Assessment, Confidence, RuleNotFound
from jamana.tax.rules.dated import check_no_overlap, in_force, in_force_all_year
from jamana.tax.rules.impot_synthetique import IMPOT_SYNTHETIQUE_BRACKETS, IMPOT_SYNTHETIQUE_REGIMES
from jamana.tax.rules.its import ITS_FAMILY_REDUCTIONS, ITS_SCHEDULES
from jamana.tax.rules.tdrl import TDRL_DEFAULT_RATES, TDRL_EXEMPTIONS, TDRL_LIABILITY, TDRL_RATES
from jamana.tax.rules.vignette import VIGNETTE_BANDS, VIGNETTE_CALENDARS

RULES_DIR = Path(rules_package.__file__).resolve().parent
GEOGRAPHY_ML = Path(__file__).resolve().parents[2] / "core" / "data" / "geography" / "ml.csv"

ALL_ENTRIES = [
    *TDRL_LIABILITY,
    *TDRL_EXEMPTIONS,
    *TDRL_RATES,
    *TDRL_DEFAULT_RATES,
    *VIGNETTE_BANDS,
    *VIGNETTE_CALENDARS,
    *IMPOT_SYNTHETIQUE_REGIMES,
    *IMPOT_SYNTHETIQUE_BRACKETS,
    *ITS_SCHEDULES,
    *ITS_FAMILY_REDUCTIONS,
]


def test_rules_package_imports_nothing_from_django_or_the_apps() -> None:
    for path in RULES_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert not name.startswith("django"), f"{path.name} imports {name}"
                if name.startswith("jamana."):
                    assert name.startswith("jamana.tax.rules"), f"{path.name} imports {name}"


@pytest.mark.parametrize("entry", ALL_ENTRIES, ids=lambda e: type(e).__name__)
def test_every_rule_has_a_reference_and_says_when_a_figure_is_to_confirm(entry: object) -> None:
    reference: str = entry.reference  # type: ignore[attr-defined]
    confidence: Confidence = entry.confidence  # type: ignore[attr-defined]

    assert len(reference) > 20
    if confidence is Confidence.UNCONFIRMED:
        assert "confirm" in reference


def test_entries_without_an_amount_are_marked_unconfirmed() -> None:
    for entry in [*VIGNETTE_BANDS, *IMPOT_SYNTHETIQUE_BRACKETS]:
        if entry.amount_xof is None:
            assert entry.confidence is Confidence.UNCONFIRMED


def test_tdrl_rates_name_existing_malian_communes() -> None:
    with GEOGRAPHY_ML.open(encoding="utf-8", newline="") as handle:
        communes = {row["code"] for row in csv.DictReader(handle) if row["level"] == "commune"}

    for rate in TDRL_RATES:
        assert rate.commune_code in communes


def test_vignette_bands_of_a_category_do_not_overlap() -> None:
    for band in VIGNETTE_BANDS:
        for other in VIGNETTE_BANDS:
            if other is band or other.category is not band.category:
                continue
            top = band.max_value if band.max_value is not None else 10**9
            assert not (other.matches(band.min_value) or other.matches(top)), (band, other)


class _Entry:
    def __init__(self, start: dt.date, end: dt.date | None) -> None:
        self.valid_from = start
        self.valid_to = end


def test_valid_to_is_exclusive() -> None:
    before = _Entry(dt.date(2011, 1, 1), dt.date(2015, 7, 1))
    after = _Entry(dt.date(2015, 7, 1), None)

    assert in_force([before, after], dt.date(2015, 6, 30), what="x") is before
    assert in_force([before, after], dt.date(2015, 7, 1), what="x") is after


def test_a_year_straddling_two_rules_has_no_single_rule() -> None:
    entries = [_Entry(dt.date(2011, 1, 1), dt.date(2015, 7, 1)), _Entry(dt.date(2015, 7, 1), None)]

    with pytest.raises(RuleNotFound, match="changed during 2015"):
        in_force_all_year(entries, 2015, what="x")
    assert in_force_all_year(entries, 2016, what="x") is entries[1]


def test_overlapping_rules_are_a_data_error_not_a_choice() -> None:
    entries = [_Entry(dt.date(2011, 1, 1), None), _Entry(dt.date(2015, 7, 1), None)]

    with pytest.raises(ValueError, match="overlapping"):
        check_no_overlap(entries, key=lambda e: None, what="x")
    with pytest.raises(ValueError, match="overlap"):
        in_force(entries, dt.date(2016, 1, 1), what="x")


def test_assessment_amount_is_base_plus_surcharge() -> None:
    with pytest.raises(ValueError, match="base_amount_xof"):
        Assessment(
            amount_xof=100,
            base_amount_xof=60,
            surcharge_xof=30,
            exempt_reason=None,
            reference="r",
            due_date=None,
            confidence=Confidence.LEGAL_TEXT,
        )


def test_an_exempt_assessment_is_for_nothing() -> None:
    with pytest.raises(ValueError, match="exempt"):
        Assessment(
            amount_xof=100,
            base_amount_xof=100,
            surcharge_xof=0,
            exempt_reason="student",
            reference="r",
            due_date=None,
            confidence=Confidence.LEGAL_TEXT,
        )
