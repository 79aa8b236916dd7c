"""Impôt synthétique: one yearly flat amount for a small individual business, by turnover.

It replaces, for individual operators below a turnover ceiling, the taxes of the real regime (a
"synthesis" of nine taxes, reform of April 1999). It is paid from 1 January to 31 March for the
year (a vignette synthétique is delivered), or from the first day of an activity begun later; a
payment after the deadline carries a 25 % fine.

The regime (ceiling, due date, fine) is sourced; the tariff itself (turnover brackets, activity
types, amounts) is not in any public source we could read: the bracket table holds what is known
and raises ``RuleNotConfirmed`` until the DGI tariff is entered as dated rows. Callers (and tests)
can pass their own ``brackets``.
"""

from __future__ import annotations

import datetime as dt
import fractions
from collections.abc import Sequence
from dataclasses import dataclass

from jamana.tax.rules.assessment import (
    Assessment,
    Confidence,
    NotEligible,
    RuleNotConfirmed,
    weakest,
)
from jamana.tax.rules.dated import apply_rate, check_no_overlap, covers, in_force, percent

ANY_ACTIVITY = "*"

# CGI of loi n°06-067 (29 December 2006): first tax year 2007.
IMPOT_SYNTHETIQUE_FROM = dt.date(2007, 1, 1)


@dataclass(frozen=True)
class ImpotSynthetiqueRegime:
    """Who may be taxed this way, when the tax falls due, and the fine for paying late."""

    turnover_ceiling_xof: int
    due_month: int
    due_day: int
    surcharge_rate: fractions.Fraction
    valid_from: dt.date
    valid_to: dt.date | None
    reference: str
    confidence: Confidence


@dataclass(frozen=True)
class ImpotSynthetiqueBracket:
    """One tariff line: turnover ``min_turnover_xof``..``max_turnover_xof`` (inclusive).

    ``activity`` is an activity code of the DGI tariff, or ``ANY_ACTIVITY``; an exact activity
    line wins over an ``ANY_ACTIVITY`` one. ``amount_xof`` None: ``RuleNotConfirmed``.
    """

    activity: str
    min_turnover_xof: int
    max_turnover_xof: int | None
    amount_xof: int | None
    valid_from: dt.date
    valid_to: dt.date | None
    reference: str
    confidence: Confidence

    def matches(self, turnover_xof: int) -> bool:
        return self.min_turnover_xof <= turnover_xof and (
            self.max_turnover_xof is None or turnover_xof <= self.max_turnover_xof
        )


IMPOT_SYNTHETIQUE_REGIMES: tuple[ImpotSynthetiqueRegime, ...] = (
    ImpotSynthetiqueRegime(
        turnover_ceiling_xof=30_000_000,
        due_month=3,
        due_day=31,
        surcharge_rate=percent("25"),
        valid_from=IMPOT_SYNTHETIQUE_FROM,
        valid_to=None,
        reference=(
            "Impôt synthétique institué par la loi n°99-011 du 1er avril 1999: exploitants "
            "individuels réalisant au plus 30 millions FCFA de chiffre d'affaires hors taxes; "
            "paiement du 1er janvier au 31 mars, ou dès le premier jour d'une activité commencée "
            "plus tard (Code général des impôts du Mali, loi n°06-067 du 29 décembre 2006, "
            "art. 178); défaut de paiement dans le délai: amende égale à 25 % de l'impôt "
            "(art. 184) — articles cités par F. Coulibaly, mémoire de maîtrise, FSEG Bamako, "
            "2010; plafond de chiffre d'affaires en vigueur et numérotation actuelle à confirmer "
            "avec la DGI"
        ),
        confidence=Confidence.SECONDARY,
    ),
)

IMPOT_SYNTHETIQUE_BRACKETS: tuple[ImpotSynthetiqueBracket, ...] = (
    ImpotSynthetiqueBracket(
        activity=ANY_ACTIVITY,
        min_turnover_xof=0,
        max_turnover_xof=None,
        amount_xof=None,
        valid_from=IMPOT_SYNTHETIQUE_FROM,
        valid_to=None,
        reference=(
            "Tarif de l'impôt synthétique par tranche de chiffre d'affaires (Code général des "
            "impôts du Mali, article à confirmer): montants annuels entre 14 700 et 1 200 000 "
            "FCFA selon une source secondaire (expat-mosaïque, « Fiscalité au Mali ») — "
            "tranches, activités et montants: figure to confirm with the DGI"
        ),
        confidence=Confidence.UNCONFIRMED,
    ),
)

check_no_overlap(IMPOT_SYNTHETIQUE_REGIMES, key=lambda r: None, what="impôt synthétique regime")
check_no_overlap(
    IMPOT_SYNTHETIQUE_BRACKETS,
    key=lambda b: (b.activity, b.min_turnover_xof),
    what="impôt synthétique tariff",
)


def impot_synthetique_due(
    *,
    turnover_xof: int,
    year: int,
    activity: str,
    paid_on: dt.date | None,
    today: dt.date,
    started_on: dt.date | None = None,
    regimes: Sequence[ImpotSynthetiqueRegime] = IMPOT_SYNTHETIQUE_REGIMES,
    brackets: Sequence[ImpotSynthetiqueBracket] = IMPOT_SYNTHETIQUE_BRACKETS,
) -> Assessment:
    """The impôt synthétique of a business for ``year``, with the fine as of ``paid_on``.

    ``turnover_xof`` is the yearly turnover excluding tax. Above the regime's ceiling the
    business belongs to the real regime: ``NotEligible``. Unpaid (``paid_on`` None), the fine is
    the one that applies if paid ``today``; paid on the due date itself is on time. A business
    ``started_on`` after 31 March owes it from its first day (not prorated: to confirm).
    """
    if turnover_xof < 0:
        raise ValueError("turnover_xof cannot be negative")
    if not activity:
        raise ValueError("activity is required")
    if started_on is not None and started_on.year > year:
        raise ValueError(f"a business started on {started_on} owes nothing for {year}")

    jan1 = dt.date(year, 1, 1)
    regime = in_force(regimes, jan1, what="impôt synthétique regime")
    if turnover_xof > regime.turnover_ceiling_xof:
        raise NotEligible(
            f"turnover {turnover_xof} XOF is above the impôt synthétique ceiling of "
            f"{regime.turnover_ceiling_xof} XOF: real regime — {regime.reference}"
        )
    candidates = [b for b in brackets if b.matches(turnover_xof) and covers(b, jan1)]
    exact = [b for b in candidates if b.activity == activity]
    what = f"impôt synthétique tariff ({activity}, {turnover_xof} XOF)"
    bracket = in_force(
        exact or [b for b in candidates if b.activity == ANY_ACTIVITY], jan1, what=what
    )
    if bracket.amount_xof is None:
        raise RuleNotConfirmed(f"{what}: tariff not confirmed — {bracket.reference}")

    due_date = dt.date(year, regime.due_month, regime.due_day)
    if started_on is not None and started_on > due_date:
        due_date = started_on
    settled_on = paid_on if paid_on is not None else today
    surcharge = (
        apply_rate(bracket.amount_xof, regime.surcharge_rate) if settled_on > due_date else 0
    )
    return Assessment(
        amount_xof=bracket.amount_xof + surcharge,
        base_amount_xof=bracket.amount_xof,
        surcharge_xof=surcharge,
        exempt_reason=None,
        reference=f"{bracket.reference}; {regime.reference}",
        due_date=due_date,
        confidence=weakest((bracket.confidence, regime.confidence)),
    )
