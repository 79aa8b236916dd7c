"""TDRL — taxe de développement régional et local: a flat yearly tax per adult, set per commune.

Who owes it (CGI art. 152), who is exempt (CGI art. 153) and how much each commune charges
(deliberation of its council) are three dated tables below. The TDRL is recovered on a roll
(rôle) drawn up by the mairie, so its due date is the roll's, not these rules': ``due_date`` is
None and there is no surcharge here.

Age rule, our reading (to confirm with the DGI): "âgée de plus de N ans au 1er janvier" means
born strictly before 1 January of (tax year - N): on 1 January 2025 a person born on
1 January 2011 is exactly 14, not "more than 14", and does not owe the 2025 TDRL; one born on
31 December 2010 does. The same reading applies to the over-60 exemption.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from jamana.tax.rules.assessment import Assessment, Confidence, weakest
from jamana.tax.rules.dated import check_no_overlap, covers, in_force

# First tax year modelled: the first under loi n°2011-036 (communal tax resources). Earlier years
# raise RuleNotFound rather than reuse figures nobody checked for them.
TDRL_FROM = dt.date(2012, 1, 1)

LOI_2011_036 = (
    "Loi n°2011-036 du 15 juillet 2011 déterminant les ressources fiscales des communes, "
    "des cercles et des régions (article fixant le régime de la TDRL à confirmer)"
)
CGI_152_153 = (
    "Code général des impôts du Mali, art. 152-153, texte reproduit sur tdrl.servicepublic.ml "
    "(art. 289 dans une édition antérieure du CGI selon maliweb: édition en vigueur à confirmer)"
)


class TdrlExemption(enum.StrEnum):
    """The exemptions a person declares (with proof the mairie checks), CGI art. 153."""

    MILITARY = "military"  # 1° hommes de troupe
    INDIGENT = "indigent"  # 2° indigents, on a decision of the village/quarter chief or mayor
    STUDENT = "student"  # 3° élèves et étudiants à temps complet
    WORK_DISABILITY = "work_disability"  # 5° invalides du travail, invalidité >= 50 %
    SOCIAL_DISEASE = "social_disease"  # 6° en traitement régulier pour une maladie sociale
    FOREIGN_DIPLOMAT = "foreign_diplomat"  # 7° agents diplomatiques et consulaires, réciprocité
    MOTHER_OF_FOUR = "mother_of_four"  # 8° femmes ayant fait au moins quatre maternités


# Reasons computed from the birth date, never declared.
UNDER_AGE = "under_age"
OVER_60 = "over_60"


@dataclass(frozen=True)
class TdrlPerson:
    """A person as the TDRL sees them: a birth date and the exemptions they have proven."""

    birth_date: dt.date
    exemptions: AbstractSet[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        known = {e.value for e in TdrlExemption}
        unknown = set(self.exemptions) - known
        if unknown:
            raise ValueError(
                f"unknown TDRL exemption(s) {sorted(unknown)}; known: {sorted(known)} "
                "(age exemptions are computed from birth_date)"
            )
        object.__setattr__(self, "exemptions", frozenset(self.exemptions))


@dataclass(frozen=True)
class TdrlLiability:
    """Who owes the TDRL at all (CGI art. 152)."""

    older_than_years: int
    valid_from: dt.date
    valid_to: dt.date | None
    reference: str
    confidence: Confidence


@dataclass(frozen=True)
class TdrlExemptionRule:
    """One paragraph of CGI art. 153; ``older_than_years`` makes it an age exemption."""

    code: str
    paragraph: str
    valid_from: dt.date
    valid_to: dt.date | None
    reference: str
    confidence: Confidence
    older_than_years: int | None = None


@dataclass(frozen=True)
class TdrlRate:
    """The yearly amount one commune charges (``commune_code`` from the geography tables)."""

    commune_code: str
    amount_xof: int
    valid_from: dt.date
    valid_to: dt.date | None
    reference: str
    confidence: Confidence


@dataclass(frozen=True)
class TdrlDefaultRate:
    """The amount used for a commune whose own rate is not (yet) in ``TDRL_RATES``."""

    amount_xof: int
    valid_from: dt.date
    valid_to: dt.date | None
    reference: str
    confidence: Confidence


TDRL_LIABILITY: tuple[TdrlLiability, ...] = (
    TdrlLiability(
        older_than_years=14,
        valid_from=TDRL_FROM,
        valid_to=None,
        reference=(
            f"{CGI_152_153}: art. 152, due pour l'année entière par toute personne âgée de plus "
            "de quatorze ans résidant au Mali au 1er janvier de l'année d'imposition ou s'y "
            "installant en cours d'année"
        ),
        confidence=Confidence.LEGAL_TEXT,
    ),
)


def _exemption(code: str, paragraph: str, wording: str, **extra: int) -> TdrlExemptionRule:
    return TdrlExemptionRule(
        code=str(code),
        paragraph=paragraph,
        valid_from=TDRL_FROM,
        valid_to=None,
        reference=f"{CGI_152_153}: art. 153, {paragraph} {wording}",
        confidence=Confidence.LEGAL_TEXT,
        **extra,
    )


# In the article's order: when several apply, the first one is reported.
TDRL_EXEMPTIONS: tuple[TdrlExemptionRule, ...] = (
    _exemption(TdrlExemption.MILITARY, "1°", "les hommes de troupe"),
    _exemption(
        TdrlExemption.INDIGENT,
        "2°",
        "les indigents (sans ressources et, par leurs infirmités, dans l'impossibilité de "
        "travailler; situation constatée par décision du chef de village ou de fraction, ou du "
        "maire sur proposition du chef de quartier)",
    ),
    _exemption(TdrlExemption.STUDENT, "3°", "les élèves des écoles et étudiants à temps complet"),
    _exemption(
        OVER_60,
        "4°",
        "les personnes âgées de plus de soixante ans au 1er janvier de l'année d'imposition",
        older_than_years=60,
    ),
    _exemption(
        TdrlExemption.WORK_DISABILITY,
        "5°",
        "les invalides du travail dont le degré d'invalidité est égal ou supérieur à 50 %",
    ),
    _exemption(
        TdrlExemption.SOCIAL_DISEASE,
        "6°",
        "les personnes en traitement régulier pour les maladies sociales (liste fixée par "
        "arrêté conjoint des ministres chargés des finances et de la santé)",
    ),
    _exemption(
        TdrlExemption.FOREIGN_DIPLOMAT,
        "7°",
        "les agents diplomatiques et consulaires des nations étrangères, sous réserve de "
        "réciprocité",
    ),
    _exemption(
        TdrlExemption.MOTHER_OF_FOUR, "8°", "les femmes ayant fait au moins quatre maternités"
    ),
)

_BAMAKO_REFERENCE = (
    "District de Bamako: 3 000 FCFA par assujetti, montant fixé par le District et rapporté par "
    "la presse (Infosept/aBamako, 28 mai 2018; maliweb) — délibération du conseil du District à "
    f"confirmer; {LOI_2011_036}"
)

# One row per commune: the six communes of the District de Bamako (loi n°96-059) charge the
# District's amount. Add a commune's deliberation here as a new dated row, never by editing one.
TDRL_RATES: tuple[TdrlRate, ...] = tuple(
    TdrlRate(
        commune_code=f"ML-00-0{n}",
        amount_xof=3_000,
        valid_from=TDRL_FROM,
        valid_to=None,
        reference=_BAMAKO_REFERENCE,
        confidence=Confidence.SECONDARY,
    )
    for n in range(1, 7)
)

TDRL_DEFAULT_RATES: tuple[TdrlDefaultRate, ...] = (
    TdrlDefaultRate(
        amount_xof=3_000,
        valid_from=TDRL_FROM,
        valid_to=None,
        reference=(
            "TAUX PAR DÉFAUT — aucune délibération de cette commune n'est enregistrée dans "
            "Jamana; 3 000 FCFA est le montant courant rapporté par la presse (maliweb), mais "
            "chaque collectivité fixe le sien: figure to confirm with the commune and the DGI; "
            f"{LOI_2011_036}"
        ),
        confidence=Confidence.UNCONFIRMED,
    ),
)

check_no_overlap(TDRL_RATES, key=lambda r: r.commune_code, what="TDRL rates")
check_no_overlap(TDRL_DEFAULT_RATES, key=lambda r: None, what="TDRL default rates")
check_no_overlap(TDRL_LIABILITY, key=lambda r: None, what="TDRL liability")
check_no_overlap(TDRL_EXEMPTIONS, key=lambda r: r.code, what="TDRL exemptions")


def _older_than_on_jan1(birth_date: dt.date, years: int, year: int) -> bool:
    # Comparing dates, not ages in years, keeps 29 February births exact.
    return birth_date < dt.date(year - years, 1, 1)


def tdrl_rate(
    *,
    commune_code: str,
    year: int,
    rates: Sequence[TdrlRate] = TDRL_RATES,
    default_rates: Sequence[TdrlDefaultRate] = TDRL_DEFAULT_RATES,
) -> TdrlRate | TdrlDefaultRate:
    """The commune's own rate in force on 1 January of ``year``, else the default rate."""
    if not commune_code.startswith("ML-"):
        raise ValueError(f"{commune_code!r} is not a Malian geography code (ML-…)")
    jan1 = dt.date(year, 1, 1)
    own = [r for r in rates if r.commune_code == commune_code and covers(r, jan1)]
    if own:
        return in_force(own, jan1, what=f"TDRL rate of {commune_code}")
    return in_force(default_rates, jan1, what="TDRL default rate")


def tdrl_due(
    *,
    commune_code: str,
    year: int,
    person: TdrlPerson,
    rates: Sequence[TdrlRate] = TDRL_RATES,
    default_rates: Sequence[TdrlDefaultRate] = TDRL_DEFAULT_RATES,
    liability: Sequence[TdrlLiability] = TDRL_LIABILITY,
    exemptions: Sequence[TdrlExemptionRule] = TDRL_EXEMPTIONS,
) -> Assessment:
    """The TDRL ``person`` owes to ``commune_code`` for ``year``.

    Every table must have an entry for the year, even for an exempt person: a year the rules do
    not cover raises ``RuleNotFound``. Exempt and under-age people get a 0 XOF assessment whose
    ``exempt_reason`` is a ``TdrlExemption`` value, ``"over_60"`` or ``"under_age"``.
    """
    jan1 = dt.date(year, 1, 1)
    rate = tdrl_rate(commune_code=commune_code, year=year, rates=rates, default_rates=default_rates)
    liable = in_force(liability, jan1, what="TDRL liability")
    if not _older_than_on_jan1(person.birth_date, liable.older_than_years, year):
        return Assessment(
            amount_xof=0,
            base_amount_xof=0,
            surcharge_xof=0,
            exempt_reason=UNDER_AGE,
            reference=liable.reference,
            due_date=None,
            confidence=liable.confidence,
        )
    for rule in exemptions:
        if not covers(rule, jan1):
            continue
        by_age = rule.older_than_years is not None and _older_than_on_jan1(
            person.birth_date, rule.older_than_years, year
        )
        if by_age or rule.code in person.exemptions:
            return Assessment(
                amount_xof=0,
                base_amount_xof=0,
                surcharge_xof=0,
                exempt_reason=rule.code,
                reference=rule.reference,
                due_date=None,
                confidence=rule.confidence,
            )
    return Assessment(
        amount_xof=rate.amount_xof,
        base_amount_xof=rate.amount_xof,
        surcharge_xof=0,
        exempt_reason=None,
        reference=f"{rate.reference}; {liable.reference}",
        due_date=None,
        confidence=weakest((rate.confidence, liable.confidence)),
    )
