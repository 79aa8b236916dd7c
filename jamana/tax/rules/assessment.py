"""What every tax rule returns, how sure we are of it, and the errors the rules raise."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Confidence(enum.StrEnum):
    """How well a figure is sourced, weakest last.

    ``LEGAL_TEXT``: read in the legal text itself (or its reproduction on a government portal).
    ``SECONDARY``: reported by a secondary public source (press quoting the collecting authority,
    a published tax model such as ``openfisca-mali``, a course); the legal text is still to be
    read. ``UNCONFIRMED``: a working value or interpretation that no public source states:
    figure to confirm with the DGI (or the commune) before it is shown to a citizen as owed.
    """

    LEGAL_TEXT = "legal_text"
    SECONDARY = "secondary"
    UNCONFIRMED = "unconfirmed"


_RANK = {Confidence.LEGAL_TEXT: 0, Confidence.SECONDARY: 1, Confidence.UNCONFIRMED: 2}


def weakest(levels: Iterable[Confidence]) -> Confidence:
    """The least certain of ``levels``: an amount is only as sure as its weakest input."""
    return max(levels, key=_RANK.__getitem__, default=Confidence.LEGAL_TEXT)


@dataclass(frozen=True)
class Assessment:
    """One tax due for one period, with the legal reference of every rule that produced it.

    ``amount_xof`` = ``base_amount_xof`` + ``surcharge_xof``; an exempt person has all three at 0
    and ``exempt_reason`` set to a stable code (never parse ``reference``, it is for humans).
    ``due_date`` is None when the due date is set outside these rules (TDRL: by the roll).
    """

    amount_xof: int
    base_amount_xof: int
    surcharge_xof: int
    exempt_reason: str | None
    reference: str
    due_date: dt.date | None
    confidence: Confidence

    def __post_init__(self) -> None:
        if self.amount_xof != self.base_amount_xof + self.surcharge_xof:
            raise ValueError("amount_xof must equal base_amount_xof + surcharge_xof")
        if min(self.amount_xof, self.base_amount_xof, self.surcharge_xof) < 0:
            raise ValueError("amounts are never negative")
        if self.exempt_reason is not None and self.amount_xof != 0:
            raise ValueError("an exempt assessment is for 0 XOF")

    @property
    def is_late(self) -> bool:
        return self.surcharge_xof > 0


class RuleError(Exception):
    """Base of the errors raised by the tax rules; ``code`` is stable, the message is not."""

    code = "tax_rule_error"


class RuleNotFound(RuleError, LookupError):
    """No rule table entry is in force for the requested tax, key and date."""

    code = "tax_rule_not_found"


class RuleNotConfirmed(RuleNotFound):
    """An entry exists but its figure is not known from any source: nothing may be assessed.

    Raised rather than guessing: the entry's ``reference`` says what is known and what to ask.
    """

    code = "tax_rule_not_confirmed"


class NotEligible(RuleError, ValueError):
    """The taxpayer falls outside the regime (e.g. turnover above the impôt synthétique ceiling)."""

    code = "tax_not_eligible"
