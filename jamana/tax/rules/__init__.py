"""Malian tax rules as dated tables with their legal references: pure Python, no Django.

Each tax is one module (``tdrl``, ``vignette``, ``impot_synthetique``, ``its``) holding its rule
tables and the function that reads them. Every table entry has ``valid_from`` (inclusive),
``valid_to`` (exclusive, None = in force), a ``reference`` to the legal text and a
``confidence`` saying how well the figure is sourced. The functions take the tax year (or date)
and use the entry in force, raising ``RuleNotFound`` when there is none and
``RuleNotConfirmed`` when an entry exists but its figure is still unknown. The tables can be
passed in (keyword arguments) so the ``tax`` app can later serve them from its database.

Sources, confidence and gaps: ``docs/tax/rules.md``.
"""

from jamana.tax.rules.assessment import (
    Assessment,
    Confidence,
    NotEligible,
    RuleError,
    RuleNotConfirmed,
    RuleNotFound,
)
from jamana.tax.rules.impot_synthetique import impot_synthetique_due
from jamana.tax.rules.its import FamilySituation, ItsComputation, its_annual, its_monthly
from jamana.tax.rules.tdrl import TdrlExemption, TdrlPerson, tdrl_due, tdrl_rate
from jamana.tax.rules.vignette import VehicleCategory, vignette_due

__all__ = [
    "Assessment",
    "Confidence",
    "FamilySituation",
    "ItsComputation",
    "NotEligible",
    "RuleError",
    "RuleNotConfirmed",
    "RuleNotFound",
    "TdrlExemption",
    "TdrlPerson",
    "VehicleCategory",
    "impot_synthetique_due",
    "its_annual",
    "its_monthly",
    "tdrl_due",
    "tdrl_rate",
    "vignette_due",
]
