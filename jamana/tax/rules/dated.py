"""Pick the rule table entry in force on a date.

Every entry has ``valid_from`` (inclusive) and ``valid_to`` (exclusive, None = still in force),
the same convention as the geography tables (``jamana/core/data/geography``), so a change on
1 July 2015 is one entry ending 2015-07-01 and the next starting 2015-07-01.
"""

from __future__ import annotations

import datetime as dt
import fractions
import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, TypeVar

from jamana.tax.rules.assessment import RuleNotFound


class Dated(Protocol):
    @property
    def valid_from(self) -> dt.date: ...

    @property
    def valid_to(self) -> dt.date | None: ...


D = TypeVar("D", bound=Dated)


def covers(entry: Dated, day: dt.date) -> bool:
    return entry.valid_from <= day and (entry.valid_to is None or day < entry.valid_to)


def in_force(entries: Iterable[D], day: dt.date, *, what: str) -> D:
    """The one entry of ``entries`` in force on ``day``.

    Raises ``RuleNotFound`` naming ``what`` when none is; two entries in force on the same day
    is a data error (``ValueError``), never resolved silently.
    """
    found = [entry for entry in entries if covers(entry, day)]
    if not found:
        raise RuleNotFound(f"no rule in force for {what} on {day.isoformat()}")
    if len(found) > 1:
        raise ValueError(f"{len(found)} rules overlap for {what} on {day.isoformat()}")
    return found[0]


def in_force_all_year(entries: Iterable[D], year: int, *, what: str) -> D:
    """The one entry in force on every day of ``year``.

    A rule that changed during the year has no single answer: ``RuleNotFound`` tells the caller
    to ask for the date (or month) instead.
    """
    pool = list(entries)
    first = in_force(pool, dt.date(year, 1, 1), what=what)
    last = in_force(pool, dt.date(year, 12, 31), what=what)
    if first is not last:
        raise RuleNotFound(
            f"the rule for {what} changed during {year}: ask for a date within the year"
        )
    return first


def check_no_overlap(entries: Sequence[D], key: Callable[[D], object], *, what: str) -> None:
    """Raise ``ValueError`` if two entries with the same ``key`` overlap in time."""
    by_key: dict[object, list[D]] = {}
    for entry in entries:
        if entry.valid_to is not None and entry.valid_to <= entry.valid_from:
            raise ValueError(f"{what}: valid_to must be after valid_from ({entry!r})")
        by_key.setdefault(key(entry), []).append(entry)
    for group in by_key.values():
        ordered = sorted(group, key=lambda e: e.valid_from)
        for earlier, later in itertools.pairwise(ordered):
            if earlier.valid_to is None or earlier.valid_to > later.valid_from:
                raise ValueError(f"{what}: overlapping entries {earlier!r} and {later!r}")


def percent(text: str) -> fractions.Fraction:
    """An exact rate from its legal spelling: ``percent("2.5")`` is 1/40 (never a float)."""
    return fractions.Fraction(text) / 100


def apply_rate(amount_xof: int, rate: fractions.Fraction) -> int:
    """``amount_xof`` times ``rate``, rounded down to the franc (in the taxpayer's favour)."""
    return (amount_xof * rate.numerator) // rate.denominator
