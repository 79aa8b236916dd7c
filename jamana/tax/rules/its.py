"""ITS — impôt sur les traitements et salaires: the wage tax the employer withholds each month.

The schedule is annual and progressive over the net taxable income (brackets below); the
family reduction is a percentage of that tax (married 10 %, 2.5 % per dependent child up to the
tenth; halved for each spouse when both are taxed). A monthly withholding is the annual tax on
twelve times the month's taxable pay, divided by twelve.

Figures are cross-checked against the parameters of the ``openfisca-mali`` package, version
1.2.0 (2020) (see ``jamana/tax/tests/test_rules_its.py``): the legal article numbers and the text
that changed the schedule on 1 July 2015 are still to read; see ``docs/tax/rules.md``.

Amounts are exact fractions until the end, then rounded down to the franc (the taxpayer's
favour): the DGI's own rounding rule is to confirm.
"""

from __future__ import annotations

import datetime as dt
import fractions
import math
from collections.abc import Sequence
from dataclasses import dataclass

from jamana.tax.rules.assessment import Confidence, weakest
from jamana.tax.rules.dated import check_no_overlap, in_force, in_force_all_year, percent

Fraction = fractions.Fraction

OPENFISCA = "openfisca-mali 1.2.0 (PyPI, 2020)"


@dataclass(frozen=True)
class ItsBracket:
    """``rate`` applies to the part of the annual taxable income above ``lower_xof``."""

    lower_xof: int
    rate: Fraction


@dataclass(frozen=True)
class ItsSchedule:
    brackets: tuple[ItsBracket, ...]
    valid_from: dt.date
    valid_to: dt.date | None
    reference: str
    confidence: Confidence

    def __post_init__(self) -> None:
        lowers = [b.lower_xof for b in self.brackets]
        if not lowers or lowers[0] != 0 or lowers != sorted(set(lowers)):
            raise ValueError("ITS brackets start at 0 and strictly increase")

    def gross_tax(self, taxable_annual_xof: int) -> Fraction:
        """The tax before family reduction, exact."""
        total = Fraction(0)
        uppers = [b.lower_xof for b in self.brackets[1:]] + [None]
        for bracket, upper in zip(self.brackets, uppers, strict=True):
            if taxable_annual_xof <= bracket.lower_xof:
                break
            top = taxable_annual_xof if upper is None else min(taxable_annual_xof, upper)
            total += bracket.rate * (top - bracket.lower_xof)
        return total


@dataclass(frozen=True)
class FamilyReductionRule:
    married_rate: Fraction
    per_child_rate: Fraction
    max_children: int
    # When both spouses are taxed, each takes this share of the reduction.
    working_spouse_share: Fraction
    valid_from: dt.date
    valid_to: dt.date | None
    reference: str
    confidence: Confidence


@dataclass(frozen=True)
class FamilySituation:
    """The employee's family as the ITS sees it (single, divorced and widowed count alike)."""

    married: bool = False
    dependent_children: int = 0
    spouse_has_income: bool = False

    def __post_init__(self) -> None:
        if self.dependent_children < 0:
            raise ValueError("dependent_children cannot be negative")
        if self.spouse_has_income and not self.married:
            raise ValueError("spouse_has_income needs married=True")


SINGLE = FamilySituation()


@dataclass(frozen=True)
class ItsComputation:
    """The annual ITS with its parts, exact; ``tax_xof`` is the amount rounded down."""

    taxable_annual_xof: int
    gross_tax: Fraction
    reduction_rate: Fraction
    reduction: Fraction
    tax: Fraction
    reference: str
    confidence: Confidence

    @property
    def tax_xof(self) -> int:
        return math.floor(self.tax)


def _brackets(*pairs: tuple[int, str]) -> tuple[ItsBracket, ...]:
    return tuple(ItsBracket(lower_xof=lower, rate=percent(rate)) for lower, rate in pairs)


ITS_SCHEDULES: tuple[ItsSchedule, ...] = (
    ItsSchedule(
        brackets=_brackets(
            (0, "0"),
            (175_000, "5"),
            (600_000, "13"),
            (1_200_000, "20"),
            (1_800_000, "28"),
            (2_400_000, "34"),
            (3_500_000, "40"),
        ),
        valid_from=dt.date(2011, 1, 1),
        valid_to=dt.date(2015, 7, 1),
        reference=(
            "Barème ITS antérieur, tel que modélisé par "
            f"{OPENFISCA} (parameters/prelevements_obligatoires/impots_directs/"
            "impot_traitement_salaire.yaml, valeurs au 2011-01-01; le seuil de 2 400 000 y est "
            "daté 2018-01-01, lu ici comme valeur de 2011): 2011-01-01 est le début de la "
            "modélisation, pas la date du texte — figure to confirm with the DGI"
        ),
        confidence=Confidence.UNCONFIRMED,
    ),
    ItsSchedule(
        brackets=_brackets(
            (0, "0"),
            (330_000, "5"),
            (578_400, "12"),
            (1_176_400, "18"),
            (1_789_733, "26"),
            (2_384_195, "31"),
            (3_494_130, "37"),
        ),
        valid_from=dt.date(2015, 7, 1),
        valid_to=None,
        reference=(
            "Code général des impôts du Mali, impôt sur les traitements et salaires (art. 1 à 13; "
            "article du barème à confirmer): barème annuel sur le revenu net imposable, en "
            f"vigueur depuis le 1er juillet 2015 selon {OPENFISCA} "
            "(parameters/prelevements_obligatoires/impots_directs/impot_traitement_salaire.yaml) "
            "et un calculateur de paie public (« Mali Tax Brackets (2019) ») — texte modificatif "
            "de 2015 à confirmer avec la DGI"
        ),
        confidence=Confidence.SECONDARY,
    ),
)

ITS_FAMILY_REDUCTIONS: tuple[FamilyReductionRule, ...] = (
    FamilyReductionRule(
        married_rate=percent("10"),
        per_child_rate=percent("2.5"),
        max_children=10,
        working_spouse_share=Fraction(1, 2),
        valid_from=dt.date(2011, 1, 1),
        valid_to=None,
        reference=(
            "Réductions pour charges de famille (CGI, section ITS, article à confirmer): "
            "célibataire, divorcé ou veuf 0 %, marié 10 %, 2,5 % par enfant à charge jusqu'au "
            f"dixième inclus ({OPENFISCA}, parameters/reductions_pour_charge_de_famille/; "
            "Groupe APPM, « Rémunérations »); moitié de la réduction à chacun quand les deux "
            "conjoints ont des revenus (openfisca-mali, repartition_parents.yaml) — à confirmer"
        ),
        confidence=Confidence.SECONDARY,
    ),
)

check_no_overlap(ITS_SCHEDULES, key=lambda s: None, what="ITS schedules")
check_no_overlap(ITS_FAMILY_REDUCTIONS, key=lambda r: None, what="ITS family reductions")


def _pick_day(year: int, month: int | None) -> dt.date | None:
    if month is None:
        return None
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    return dt.date(year, month, 1)


def its_annual(
    *,
    taxable_annual_xof: int,
    year: int,
    family: FamilySituation = SINGLE,
    month: int | None = None,
    schedules: Sequence[ItsSchedule] = ITS_SCHEDULES,
    reductions: Sequence[FamilyReductionRule] = ITS_FAMILY_REDUCTIONS,
) -> ItsComputation:
    """The annual ITS on ``taxable_annual_xof`` (net taxable income) under the rules of ``year``.

    Without ``month`` the rules must be the same all year (else ``RuleNotFound``: 2015 changed
    on 1 July); with ``month`` the rules in force on its first day are used.
    """
    if taxable_annual_xof < 0:
        raise ValueError("taxable_annual_xof cannot be negative")
    day = _pick_day(year, month)
    if day is None:
        schedule = in_force_all_year(schedules, year, what="ITS schedule")
        rule = in_force_all_year(reductions, year, what="ITS family reductions")
    else:
        schedule = in_force(schedules, day, what="ITS schedule")
        rule = in_force(reductions, day, what="ITS family reductions")

    gross = schedule.gross_tax(taxable_annual_xof)
    children = min(family.dependent_children, rule.max_children)
    rate = (rule.married_rate if family.married else Fraction(0)) + rule.per_child_rate * children
    if family.spouse_has_income:
        rate *= rule.working_spouse_share
    reduction = min(gross * rate, gross)
    return ItsComputation(
        taxable_annual_xof=taxable_annual_xof,
        gross_tax=gross,
        reduction_rate=rate,
        reduction=reduction,
        tax=gross - reduction,
        reference=f"{schedule.reference}; {rule.reference}",
        confidence=weakest((schedule.confidence, rule.confidence)),
    )


def its_monthly(
    *,
    gross_monthly_xof: int,
    year: int,
    family: FamilySituation = SINGLE,
    deductions_monthly_xof: int = 0,
    month: int | None = None,
    schedules: Sequence[ItsSchedule] = ITS_SCHEDULES,
    reductions: Sequence[FamilyReductionRule] = ITS_FAMILY_REDUCTIONS,
) -> int:
    """The ITS to withhold on one month's pay, in XOF (rounded down).

    ``gross_monthly_xof`` is the month's taxable pay (exempt allowances already left out);
    ``deductions_monthly_xof`` what the law lets the employer deduct before the schedule (the
    employee's social contributions, per payroll practice — to confirm with the DGI).
    """
    if gross_monthly_xof < 0 or deductions_monthly_xof < 0:
        raise ValueError("pay and deductions cannot be negative")
    if deductions_monthly_xof > gross_monthly_xof:
        raise ValueError("deductions cannot exceed the gross pay")
    annual = its_annual(
        taxable_annual_xof=(gross_monthly_xof - deductions_monthly_xof) * 12,
        year=year,
        family=family,
        month=month,
        schedules=schedules,
        reductions=reductions,
    )
    return math.floor(annual.tax / 12)
