"""Dated rules of the état civil: declaration delay and certificate fees.

Kept as data with their legal source, never as constants in the code, so that a change in the
law is a new row with its start date, and a past decision stays explainable. Sources and what
could not be confirmed: ``docs/civil/rules.md``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class DeclarationDelay:
    valid_from: dt.date
    days: int
    reference: str


@dataclass(frozen=True)
class CertificateFee:
    valid_from: dt.date
    kind: str
    fee_xof: int
    reference: str


# Births are declared within 30 clear days ("trente jours francs"); past that only a jugement
# supplétif (CPF art. 133) lets the act be drawn up.
DECLARATION_DELAYS: tuple[DeclarationDelay, ...] = (
    DeclarationDelay(
        dt.date(2006, 6, 28), 30, "Loi n° 06-024 du 28 juin 2006 régissant l'état civil"
    ),
    DeclarationDelay(
        dt.date(2011, 12, 30),
        30,
        "Loi n° 2011-087 du 30 décembre 2011 portant Code des personnes et de la famille",
    ),
)

EXTRACT = "extract"
FULL_COPY = "full_copy"

# The extract (volet III) is free; a typed copy costs 100 FCFA anywhere in the country.
CERTIFICATE_FEES: tuple[CertificateFee, ...] = (
    CertificateFee(dt.date(2006, 6, 28), EXTRACT, 0, "Loi n° 06-024 du 28 juin 2006, art. 74 à 79"),
    CertificateFee(
        dt.date(2006, 6, 28),
        FULL_COPY,
        100,
        "Loi n° 06-024 du 28 juin 2006 (copie dactylographiée)",
    ),
)

JUDGMENT_REFERENCE = "Loi n° 2011-087 (Code des personnes et de la famille), art. 133"


class NoRuleInForce(LookupError):
    pass


def declaration_delay(on: dt.date) -> DeclarationDelay:
    """The delay in force on ``on``."""
    found = [rule for rule in DECLARATION_DELAYS if rule.valid_from <= on]
    if not found:
        raise NoRuleInForce(on)
    return max(found, key=lambda rule: rule.valid_from)


def declaration_deadline(birth_date: dt.date) -> dt.date:
    """The last day a birth may be declared without a judgment. A delay in "jours francs"
    counts neither the day of birth nor the day it ends, so a child born on 1 March may still
    be declared on 1 April (the 30 days are 2 to 31 March)."""
    return birth_date + dt.timedelta(days=declaration_delay(birth_date).days + 1)


def is_late(birth_date: dt.date, declared_on: dt.date) -> bool:
    return declared_on > declaration_deadline(birth_date)


def certificate_fee(kind: str, on: dt.date) -> CertificateFee:
    found = [fee for fee in CERTIFICATE_FEES if fee.kind == kind and fee.valid_from <= on]
    if not found:
        raise NoRuleInForce(kind, on)
    return max(found, key=lambda fee: fee.valid_from)
