"""Vignette: the yearly tax on a vehicle, by category, due by 31 March, doubled when late.

Two authorities collect it: the communes sell the motorcycle vignette (taxe sur les cycles à
moteur, a communal resource) and the DGI sells the car vignette (vignette ordinaire, taxe sur les
véhicules automobiles) and the transport one (TTR, taxe sur les transports routiers). The tariff
depends on the engine size (motorcycles) or the fiscal horsepower (cars; TTR also on the vehicle's
age).

Only the motorcycle tariff is known from public sources. The car and TTR bands are in the table
with what is known in their reference but no amount: asking for them raises ``RuleNotConfirmed``
rather than inventing a figure. Filling them is a new row (DGI tariff), not a code change.
"""

from __future__ import annotations

import datetime as dt
import enum
import fractions
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from jamana.tax.rules.assessment import Assessment, Confidence, RuleNotConfirmed, weakest
from jamana.tax.rules.dated import apply_rate, check_no_overlap, covers, in_force, percent

VIGNETTE_FROM = dt.date(2012, 1, 1)  # first tax year modelled (loi n°2011-036 for communes)


class VehicleCategory(enum.StrEnum):
    MOTO = "moto"  # cycles à moteur, vignette communale, by engine size (cm3)
    VOITURE_PARTICULIERE = "voiture_particuliere"  # vignette ordinaire (DGI), by fiscal power
    TRANSPORT = "transport"  # TTR (DGI): public transport of people or goods, incl. tricycles


class Measure(enum.StrEnum):
    ENGINE_CC = "engine_cc"
    FISCAL_POWER = "fiscal_power"


MEASURE_OF: dict[VehicleCategory, Measure] = {
    VehicleCategory.MOTO: Measure.ENGINE_CC,
    VehicleCategory.VOITURE_PARTICULIERE: Measure.FISCAL_POWER,
    VehicleCategory.TRANSPORT: Measure.FISCAL_POWER,
}


@dataclass(frozen=True)
class VignetteBand:
    """One tariff line: ``min_value``..``max_value`` (inclusive, None = no upper bound).

    ``amount_xof`` None means the line's figure is not known: ``RuleNotConfirmed``.
    """

    category: VehicleCategory
    min_value: int
    max_value: int | None
    amount_xof: int | None
    valid_from: dt.date
    valid_to: dt.date | None
    reference: str
    confidence: Confidence

    def matches(self, value: int) -> bool:
        return self.min_value <= value and (self.max_value is None or value <= self.max_value)


@dataclass(frozen=True)
class VignetteCalendar:
    """When the vignette of some categories falls due and what a late one costs."""

    categories: AbstractSet[VehicleCategory]
    due_month: int
    due_day: int
    surcharge_rate: fractions.Fraction
    # A vehicle acquired after the due date may take its vignette that year without surcharge.
    new_vehicle_grace: bool
    valid_from: dt.date
    valid_to: dt.date | None
    reference: str
    confidence: Confidence


_MOTO_REFERENCE = (
    "Taxe sur les cycles à moteur (vignette moto), ressource des communes: loi n°96-051 "
    "déterminant les ressources fiscales des communes, art. 5 al. 5 (au-dessous de 50 cm3: "
    "3 000 FCFA; de 51 à 125 cm3: 6 000 FCFA) cité par maliactu (2013), reprise par la loi "
    "n°2011-036 du 15 juillet 2011 (article à confirmer); plus de 125 cm3: 12 000 FCFA selon le "
    "receveur-percepteur du District de Bamako (Journal du Mali, 2009 et 2017)"
)

VIGNETTE_BANDS: tuple[VignetteBand, ...] = (
    VignetteBand(
        category=VehicleCategory.MOTO,
        min_value=1,
        max_value=50,
        amount_xof=3_000,
        valid_from=VIGNETTE_FROM,
        valid_to=None,
        reference=_MOTO_REFERENCE,
        confidence=Confidence.SECONDARY,
    ),
    VignetteBand(
        category=VehicleCategory.MOTO,
        min_value=51,
        max_value=125,
        amount_xof=6_000,
        valid_from=VIGNETTE_FROM,
        valid_to=None,
        reference=_MOTO_REFERENCE,
        confidence=Confidence.SECONDARY,
    ),
    VignetteBand(
        category=VehicleCategory.MOTO,
        min_value=126,
        max_value=None,
        amount_xof=12_000,
        valid_from=VIGNETTE_FROM,
        valid_to=None,
        reference=_MOTO_REFERENCE,
        confidence=Confidence.SECONDARY,
    ),
    VignetteBand(
        category=VehicleCategory.VOITURE_PARTICULIERE,
        min_value=1,
        max_value=None,
        amount_xof=None,
        valid_from=VIGNETTE_FROM,
        valid_to=None,
        reference=(
            "Vignette ordinaire, taxe sur les véhicules automobiles (Code général des impôts du "
            "Mali, article à confirmer): 7 quotités selon la puissance fiscale, de 7 000 à "
            "75 000 FCFA par an en 2006 (communiqué DGI rapporté par afribone, 12 janvier 2006) "
            "— bandes de puissance et montants: figure to confirm with the DGI"
        ),
        confidence=Confidence.UNCONFIRMED,
    ),
    VignetteBand(
        category=VehicleCategory.TRANSPORT,
        min_value=1,
        max_value=None,
        amount_xof=None,
        valid_from=VIGNETTE_FROM,
        valid_to=None,
        reference=(
            "Taxe sur les transports routiers (TTR, vignette des véhicules de transport public "
            "de personnes ou de marchandises; Code général des impôts du Mali, article à "
            "confirmer): 17 quotités selon la puissance et l'âge du véhicule, de 88 000 à "
            "414 000 FCFA par an en 2006 (afribone, 12 janvier 2006); tricycles de transport "
            "33 000 à 63 000 FCFA (Guide illustré de la fiscalité, DGI, cité par "
            "croissanceafrique, 2022) — tarif: figure to confirm with the DGI"
        ),
        confidence=Confidence.UNCONFIRMED,
    ),
)

VIGNETTE_CALENDARS: tuple[VignetteCalendar, ...] = (
    VignetteCalendar(
        categories=frozenset({VehicleCategory.MOTO}),
        due_month=3,
        due_day=31,
        surcharge_rate=percent("100"),
        new_vehicle_grace=True,
        valid_from=VIGNETTE_FROM,
        valid_to=None,
        reference=(
            "Vente au tarif normal du 2 janvier au 31 mars, ensuite pénalité de 100 % (tarif "
            "doublé); engin acquis en cours d'année: vignette dès l'acquisition, sans pénalité "
            "(receveur-percepteur du District de Bamako: maliweb, avril 2021; Journal du Mali, "
            "2017) — texte (loi n°2011-036 ou arrêté) à confirmer; les prorogations décidées "
            "certaines années (30 avril 2018 à Bamako) ne sont pas modélisées"
        ),
        confidence=Confidence.SECONDARY,
    ),
    VignetteCalendar(
        categories=frozenset({VehicleCategory.VOITURE_PARTICULIERE, VehicleCategory.TRANSPORT}),
        due_month=3,
        due_day=31,
        surcharge_rate=percent("100"),
        new_vehicle_grace=True,
        valid_from=VIGNETTE_FROM,
        valid_to=None,
        reference=(
            "Date limite d'acquisition le 31 mars, pénalité de 100 % du prix de la vignette "
            "au-delà (DGI, cellule communication: maliweb, mars 2021) — base légale (CGI / "
            "Livre des procédures fiscales) à confirmer; dispense de pénalité pour un véhicule "
            "acquis après le 31 mars: reprise de la règle communale, à confirmer avec la DGI"
        ),
        confidence=Confidence.SECONDARY,
    ),
)

check_no_overlap(
    VIGNETTE_BANDS, key=lambda b: (b.category, b.min_value), what="vignette tariff bands"
)
for _category in VehicleCategory:
    check_no_overlap(
        [c for c in VIGNETTE_CALENDARS if _category in c.categories],
        key=lambda c: None,
        what=f"vignette calendar of {_category}",
    )


def vignette_due(
    *,
    category: str,
    fiscal_power: int | None,
    year: int,
    paid_on: dt.date | None,
    today: dt.date,
    engine_cc: int | None = None,
    acquired_on: dt.date | None = None,
    bands: Sequence[VignetteBand] = VIGNETTE_BANDS,
    calendars: Sequence[VignetteCalendar] = VIGNETTE_CALENDARS,
) -> Assessment:
    """The vignette of one vehicle for ``year``, with the late surcharge as of ``paid_on``.

    Motorcycles are banded by ``engine_cc``, cars and transport vehicles by ``fiscal_power``
    (CV); the other measure is ignored. Unpaid (``paid_on`` None), the surcharge is the one that
    applies if paid ``today``. Paid on the due date itself is on time. A vehicle ``acquired_on``
    after the due date owes its vignette from that day, without surcharge that year.
    """
    try:
        kind = VehicleCategory(category)
    except ValueError:
        known = ", ".join(c.value for c in VehicleCategory)
        raise ValueError(f"unknown vehicle category {category!r}; known: {known}") from None
    measure = MEASURE_OF[kind]
    value = engine_cc if measure is Measure.ENGINE_CC else fiscal_power
    if value is None:
        raise ValueError(f"a {kind.value} vignette needs {measure.value}")
    if value <= 0:
        raise ValueError(f"{measure.value} must be positive, got {value}")
    if acquired_on is not None and acquired_on.year > year:
        raise ValueError(f"a vehicle acquired on {acquired_on} owes no vignette for {year}")

    jan1 = dt.date(year, 1, 1)
    what = f"vignette {kind.value} ({measure.value}={value})"
    band = in_force(
        [b for b in bands if b.category is kind and b.matches(value) and covers(b, jan1)],
        jan1,
        what=what,
    )
    if band.amount_xof is None:
        raise RuleNotConfirmed(f"{what}: tariff not confirmed — {band.reference}")
    calendar = in_force(
        [c for c in calendars if kind in c.categories], jan1, what=f"vignette calendar of {kind}"
    )

    due_date = dt.date(year, calendar.due_month, calendar.due_day)
    grace = calendar.new_vehicle_grace and acquired_on is not None and acquired_on > due_date
    if grace and acquired_on is not None:
        due_date = acquired_on
    settled_on = paid_on if paid_on is not None else today
    late = not grace and settled_on > due_date
    surcharge = apply_rate(band.amount_xof, calendar.surcharge_rate) if late else 0
    return Assessment(
        amount_xof=band.amount_xof + surcharge,
        base_amount_xof=band.amount_xof,
        surcharge_xof=surcharge,
        exempt_reason=None,
        reference=f"{band.reference}; {calendar.reference}",
        due_date=due_date,
        confidence=weakest((band.confidence, calendar.confidence)),
    )
