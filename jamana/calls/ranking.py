"""Scores and the ranking of one post's candidates, with published tie-break rules.

Pure Python (no Django, no database, no clock). All arithmetic is in :class:`~decimal.Decimal`
and every published figure is rounded to 0.01, half up, the way a jury rounds by hand; the
ranking compares the rounded figures, so two candidates shown with the same total are tied.

* :func:`review_score`: two reviewers' totals (on 100) are averaged unless they differ by more
  than the call's threshold, which brings in a third (arbitration) reviewer. Then the two
  closest totals are averaged, setting the outlier aside; when two pairs are equally close no
  total is an outlier and all are averaged.
* :func:`weighted_total`: the file review and each written-exam subject, brought to 100, are
  weighted by their coefficients. A missing mark means the candidate was absent.
* :func:`rank_post`: candidates with a total, no eliminatory mark and at least the pass mark
  are ranked by :data:`TIE_BREAK_RULES`, which end with a draw anyone can recompute from the
  published seed, so every rank is distinct and the same whatever order the database returns.
  The first ``seats`` are admitted, the next ``waiting_list`` wait, the others are not admitted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "ADMITTED",
    "NOT_ADMITTED",
    "TIE_BREAK_RULES",
    "WAITING",
    "Candidate",
    "Placement",
    "Subject",
    "draw_digest",
    "eliminating_subject",
    "exam_part",
    "rank_post",
    "review_score",
    "weighted_total",
]

ADMITTED = "admitted"
WAITING = "waiting"
NOT_ADMITTED = "not_admitted"

#: The order of merit, for the documentation and the results page.
TIE_BREAK_RULES: tuple[str, ...] = (
    "Candidates are ranked by their total score on 100, highest first.",
    "Between equal totals, the higher written-exam score comes first "
    "(a candidate with no exam score after those with one).",
    "Then the higher file-review score comes first "
    "(a candidate with no review score after those with one).",
    "Then the older candidate comes first: the earlier date of birth "
    "(a candidate whose date of birth is unknown after those whose date is known).",
    "Then a draw anyone can repeat: ascending order of the SHA-256 hash, in hexadecimal, "
    'of the published draw seed, a colon and the candidate number (e.g. "seed:123").',
)

_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)


def _round(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Subject:
    """A written-exam subject: marked on ``max``; a mark below ``eliminatory`` puts the
    candidate out whatever their total."""

    code: str
    max: Decimal
    coefficient: int
    eliminatory: Decimal | None = None

    def __post_init__(self) -> None:
        if self.max <= 0:
            raise ValueError(f"subject {self.code}: max must be positive, not {self.max}")
        if self.coefficient < 0:
            raise ValueError(f"subject {self.code}: negative coefficient {self.coefficient}")
        if self.eliminatory is not None and not 0 <= self.eliminatory <= self.max:
            raise ValueError(f"subject {self.code}: eliminatory mark outside 0..{self.max}")


@dataclass(frozen=True)
class Candidate:
    """One application as the ranking sees it, known by its candidate number only."""

    key: str  # candidate number
    total: Decimal | None  # None: absent or not reviewed
    exam: Decimal | None  # weighted exam part on 100; None without an exam
    review: Decimal | None
    birth_date: dt.date | None
    eliminated_by: str = ""  # the subject of an eliminatory mark


@dataclass(frozen=True)
class Placement:
    """A candidate's rank (None when not ranked), outcome and, when not admitted, why."""

    key: str
    rank: int | None
    outcome: str  # ADMITTED | WAITING | NOT_ADMITTED
    reason: str  # "" | "absent" | "eliminatory:<subject>" | "below_pass_mark" | "beyond_seats"


def review_score(totals: Sequence[Decimal], *, threshold: Decimal) -> tuple[Decimal | None, bool]:
    """The file-review score from the reviewers' totals (on 100), and whether an arbitration
    reviewer is needed.

    Fewer than two totals: ``(None, False)``, not reviewed enough. Two totals further apart
    than ``threshold``: ``(None, True)``. Otherwise the mean of the two closest totals or, when
    the closest gap is shared by several pairs, the mean of every total in those pairs (all
    three when three totals are evenly spaced).
    """
    if threshold < 0:
        raise ValueError(f"negative disagreement threshold: {threshold}")
    for total in totals:
        if not 0 <= total <= _HUNDRED:
            raise ValueError(f"a review total is on 100, not {total}")
    if len(totals) < 2:
        return None, False
    if len(totals) == 2:
        first, second = totals
        if abs(first - second) > threshold:
            return None, True
        return _round((first + second) / 2), False
    ordered = sorted(totals)
    # The closest pair is always two neighbours once sorted.
    gaps = [(ordered[i + 1] - ordered[i], i) for i in range(len(ordered) - 1)]
    closest = min(gap for gap, _ in gaps)
    kept = sorted({j for gap, i in gaps if gap == closest for j in (i, i + 1)})
    return _round(sum((ordered[j] for j in kept), Decimal(0)) / len(kept)), False


def _check_marks(exam_marks: Mapping[str, Decimal | None], subjects: Sequence[Subject]) -> None:
    known = {subject.code for subject in subjects}
    if len(known) != len(subjects):
        raise ValueError("two exam subjects share a code")
    unknown = set(exam_marks) - known
    if unknown:
        raise ValueError(f"marks for unknown subjects: {sorted(unknown)}")
    for subject in subjects:
        mark = exam_marks.get(subject.code)
        if mark is not None and not 0 <= mark <= subject.max:
            raise ValueError(f"subject {subject.code}: mark {mark} outside 0..{subject.max}")


def _weighted_exam_sum(
    exam_marks: Mapping[str, Decimal | None], subjects: Sequence[Subject]
) -> Decimal | None:
    """Σ mark/max * 100 * coefficient, unrounded; None if any mark is missing."""
    _check_marks(exam_marks, subjects)
    weighted = Decimal(0)
    for subject in subjects:
        mark = exam_marks.get(subject.code)
        if mark is None:
            return None
        weighted += mark / subject.max * _HUNDRED * subject.coefficient
    return weighted


def exam_part(
    *, exam_marks: Mapping[str, Decimal | None], subjects: Sequence[Subject]
) -> Decimal | None:
    """The written exam alone, on 100 (for :attr:`Candidate.exam`).

    None without subjects (no exam), or when a mark is missing (absent). Subjects with
    coefficient 0 count for nothing; if all have coefficient 0, also None.
    """
    weighted = _weighted_exam_sum(exam_marks, subjects)
    coefficients = sum(subject.coefficient for subject in subjects)
    if weighted is None or coefficients == 0:
        return None
    return _round(weighted / coefficients)


def eliminating_subject(
    *, exam_marks: Mapping[str, Decimal | None], subjects: Sequence[Subject]
) -> str:
    """The first subject (in ``subjects`` order) marked strictly below its eliminatory mark,
    or "" (for :attr:`Candidate.eliminated_by`). Missing marks eliminate nothing here: they
    make the total None, which ranks the candidate as absent."""
    _check_marks(exam_marks, subjects)
    for subject in subjects:
        mark = exam_marks.get(subject.code)
        if mark is not None and subject.eliminatory is not None and mark < subject.eliminatory:
            return subject.code
    return ""


def weighted_total(
    *,
    review: Decimal | None,
    review_coefficient: int,
    exam_marks: Mapping[str, Decimal | None],
    subjects: Sequence[Subject],
) -> Decimal | None:
    """The total on 100: (review * review_coefficient + Σ mark/max * 100 * coefficient) divided by
    the sum of the coefficients, rounded to 0.01 half up.

    ``review_coefficient`` 0: the review does not count (and may be None). None when the review
    counts but is None, or when an exam mark is missing (absent). A call where nothing counts
    (no coefficient at all) raises ``ValueError``.
    """
    if review_coefficient < 0:
        raise ValueError(f"negative review coefficient: {review_coefficient}")
    if review is not None and not 0 <= review <= _HUNDRED:
        raise ValueError(f"the review score is on 100, not {review}")
    coefficients = review_coefficient + sum(subject.coefficient for subject in subjects)
    if coefficients == 0:
        raise ValueError("neither the review nor any exam subject counts")
    weighted = _weighted_exam_sum(exam_marks, subjects)
    if weighted is None:
        return None
    if review_coefficient:
        if review is None:
            return None
        weighted += review * review_coefficient
    return _round(weighted / coefficients)


def draw_digest(draw_seed: str, key: str) -> str:
    """The last tie-break: SHA-256 (hex) of ``"{draw_seed}:{key}"``, smaller first."""
    return hashlib.sha256(f"{draw_seed}:{key}".encode()).hexdigest()


def rank_post(
    candidates: Sequence[Candidate],
    *,
    seats: int,
    waiting_list: int,
    pass_mark: Decimal | None,
    draw_seed: str,
) -> list[Placement]:
    """Every candidate's placement: the ranked ones in rank order, then the others by
    candidate number (numerically when it is all digits).

    Not ranked, with the first reason that applies: no total (``absent``), an eliminatory mark
    (``eliminatory:<subject>``), a total below ``pass_mark`` (``below_pass_mark``). Ranked ones
    get ranks 1..n by :data:`TIE_BREAK_RULES`; beyond ``seats + waiting_list`` they are not
    admitted (``beyond_seats``). Candidate numbers must be distinct.
    """
    if seats < 0 or waiting_list < 0:
        raise ValueError(f"seats ({seats}) and waiting list ({waiting_list}) cannot be negative")
    keys = [candidate.key for candidate in candidates]
    if len(set(keys)) != len(keys):
        raise ValueError("two candidates share a candidate number")
    floor = None if pass_mark is None else _round(pass_mark)

    ranked: list[tuple[Decimal, Candidate]] = []
    unranked: list[Placement] = []
    for candidate in candidates:
        reason = _exclusion(candidate, floor)
        if reason or candidate.total is None:
            unranked.append(Placement(candidate.key, None, NOT_ADMITTED, reason))
        else:
            ranked.append((_round(candidate.total), candidate))
    ranked.sort(key=lambda pair: _merit_key(pair[0], pair[1], draw_seed))

    placements = []
    for rank, (_, candidate) in enumerate(ranked, start=1):
        if rank <= seats:
            outcome, reason = ADMITTED, ""
        elif rank <= seats + waiting_list:
            outcome, reason = WAITING, ""
        else:
            outcome, reason = NOT_ADMITTED, "beyond_seats"
        placements.append(Placement(candidate.key, rank, outcome, reason))
    unranked.sort(key=lambda placement: _number_order(placement.key))
    return placements + unranked


def _exclusion(candidate: Candidate, floor: Decimal | None) -> str:
    if candidate.total is None:
        return "absent"
    if candidate.eliminated_by:
        return f"eliminatory:{candidate.eliminated_by}"
    if floor is not None and _round(candidate.total) < floor:
        return "below_pass_mark"
    return ""


def _merit_key(
    total: Decimal, candidate: Candidate, draw_seed: str
) -> tuple[Decimal, bool, Decimal, bool, Decimal, bool, dt.date, str, str]:
    """Sorts ascending into the order of TIE_BREAK_RULES. The key ends with the candidate
    number so the order stays total even in the (astronomically unlikely) hash collision."""
    return (
        -total,
        candidate.exam is None,
        -_round(candidate.exam) if candidate.exam is not None else Decimal(0),
        candidate.review is None,
        -_round(candidate.review) if candidate.review is not None else Decimal(0),
        candidate.birth_date is None,
        candidate.birth_date or dt.date.min,
        draw_digest(draw_seed, candidate.key),
        candidate.key,
    )


def _number_order(key: str) -> tuple[int, int, str]:
    # Candidate numbers are digits: "9" before "10". Anything else after them, as text.
    return (0, int(key), key) if key.isascii() and key.isdigit() else (1, 0, key)
