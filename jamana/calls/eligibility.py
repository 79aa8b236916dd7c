"""Whether an applicant meets a call's conditions, decided automatically where the facts allow.

Pure Python (no Django, no database, no clock): :func:`check_eligibility` takes the call's
:class:`EligibilityRules`, the :class:`ApplicantFacts` gathered for one application and the
ordered diploma levels, and returns one :class:`Check` per condition the call sets. Each check
has a stable ``code`` and JSON-serialisable ``params``; the Django side turns them into a
translated message, so no wording lives here. :func:`verdict` gives the bottom line.

A check is ``ok=True`` (met), ``False`` (not met) or ``None`` (cannot be decided yet, or needs
an agent). ``None`` never refuses anybody: a document still being fetched or scanned, or a
birth date known only to the month or year, must not cost a citizen their application.

* **Age** is counted in completed years at the call's reference date (usually 31 December):
  exactly ``min_age`` that day is old enough, and ``max_age`` means "at most ``max_age``
  years old" that day. A birth date known only to the month, or to the year ("né vers", stored
  as 1 January), is tried at both ends of its range: met or failed for every possible day
  decides, otherwise an agent reads the birth act.
* **Nationality**, the **criminal record** (bulletin n°3) and the **birth act** are held by the
  State and fetched with the applicant's consent ("tell us once"). Their checks also stand for
  the matching required document, which is not reported a second time. While any of them has
  not been fetched, a ``consent`` check says which. A record that is not blank fails the
  condition without listing anything from it.
* **Diploma**: the declared level must rank at least as high as the post's minimum.
* **Other documents** (diploma copy, CV, project…): present and usable, pending (being
  scanned or requested), or missing.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

__all__ = [
    "PRECISIONS",
    "STATE_HELD_DOCUMENTS",
    "ApplicantFacts",
    "Check",
    "EligibilityRules",
    "age_on",
    "check_eligibility",
    "verdict",
]

#: Document kinds held by the State: fetched, never uploaded. Mirrors
#: ``jamana.calls.models.STATE_HELD_DOCUMENTS`` (a test keeps the two equal).
BIRTH_ACT = "birth_act"
CRIMINAL_RECORD = "criminal_record_b3"
NATIONALITY_CERTIFICATE = "nationality_certificate"
STATE_HELD_DOCUMENTS: frozenset[str] = frozenset(
    {BIRTH_ACT, CRIMINAL_RECORD, NATIONALITY_CERTIFICATE}
)

#: How precisely a birth date is known. "about" (né vers) is stored as 1 January of the year.
PRECISIONS: tuple[str, ...] = ("day", "month", "year", "about")

_NATIONALITY_STATES = ("certified", "requested", "none")
_RECORD_STATES = ("clean", "convictions")

#: What a check's params may hold: enough for a message, nothing more.
ParamValue: TypeAlias = str | int | bool | list[str]


@dataclass(frozen=True)
class EligibilityRules:
    """A call's (and its post's) conditions. Ages are counted at ``reference_date``."""

    min_age: int | None
    max_age: int | None
    reference_date: dt.date | None
    nationality_required: bool
    exclude_civil_servants: bool
    clean_record_required: bool
    min_diploma: str  # "" for none, else a level code from the diploma order
    required_documents: frozenset[str]

    def __post_init__(self) -> None:
        # A misconfigured call must fail loudly rather than let everybody through.
        if (self.min_age is not None or self.max_age is not None) and self.reference_date is None:
            raise ValueError("an age limit needs a reference date")
        if self.min_age is not None and self.min_age < 0:
            raise ValueError(f"negative min_age: {self.min_age}")
        if self.max_age is not None and self.max_age < 0:
            raise ValueError(f"negative max_age: {self.max_age}")
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError(f"min_age {self.min_age} is above max_age {self.max_age}")


@dataclass(frozen=True)
class ApplicantFacts:
    """What is known about one applicant. ``None`` on a State-held fact: not fetched yet."""

    birth_date: dt.date | None
    birth_date_precision: str  # one of PRECISIONS
    has_birth_act: bool | None
    nationality: str | None  # "certified" | "requested" | "none"
    criminal_record: str | None  # "clean" | "convictions"
    declared_not_civil_servant: bool
    diploma_level: str  # "" or a level code
    documents: frozenset[str]  # present and usable (fetched, or uploaded and scanned clean)
    pending_documents: frozenset[str]  # uploaded and being scanned, or requested, not issued

    def __post_init__(self) -> None:
        if self.birth_date_precision not in PRECISIONS:
            raise ValueError(f"unknown birth date precision: {self.birth_date_precision!r}")
        if self.nationality is not None and self.nationality not in _NATIONALITY_STATES:
            raise ValueError(f"unknown nationality state: {self.nationality!r}")
        if self.criminal_record is not None and self.criminal_record not in _RECORD_STATES:
            raise ValueError(f"unknown criminal record state: {self.criminal_record!r}")


@dataclass(frozen=True)
class Check:
    """One condition: ``ok`` is True (met), False (not met) or None (undecided / for an agent).

    ``params`` is JSON-serialisable (str, int, bool, list of str) and carries what the message
    needs; dates are ISO strings.
    """

    code: str
    ok: bool | None
    params: dict[str, ParamValue] = field(default_factory=dict)


def age_on(birth: dt.date, on: dt.date) -> int:
    """Completed years of someone born on ``birth``, on the day ``on``.

    Someone born on 29 February turns a year older on 1 March in a non-leap year. Negative
    when ``on`` precedes ``birth``.
    """
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def verdict(checks: Sequence[Check]) -> bool | None:
    """False if any check fails, else None if any is undecided, else True (also for none)."""
    oks = [check.ok for check in checks]
    if False in oks:
        return False
    if None in oks:
        return None
    return True


def check_eligibility(
    rules: EligibilityRules, facts: ApplicantFacts, diploma_order: Sequence[str]
) -> list[Check]:
    """The checks for the conditions ``rules`` sets, in a fixed order.

    Only relevant checks appear: no age check without an age limit, no diploma check without
    a minimum, and so on. ``diploma_order`` lists level codes from lowest to highest; an
    unknown level (in the rules or the facts) raises ``ValueError``.
    """
    needs_birth_act = BIRTH_ACT in rules.required_documents
    needs_nationality = rules.nationality_required or (
        NATIONALITY_CERTIFICATE in rules.required_documents
    )
    needs_record = rules.clean_record_required or CRIMINAL_RECORD in rules.required_documents

    checks: list[Check] = []
    awaiting = sorted(
        kind
        for kind, needed, fact in (
            (BIRTH_ACT, needs_birth_act, facts.has_birth_act),
            (CRIMINAL_RECORD, needs_record, facts.criminal_record),
            (NATIONALITY_CERTIFICATE, needs_nationality, facts.nationality),
        )
        if needed and fact is None
    )
    if awaiting:
        checks.append(Check("consent", None, {"documents": awaiting}))
    if needs_birth_act:
        checks.append(_birth_act_check(facts.has_birth_act))
    for code, limit in (("age_min", rules.min_age), ("age_max", rules.max_age)):
        if limit is not None:
            checks.append(_age_check(code, limit, rules.reference_date, facts))
    if needs_nationality:
        checks.append(_nationality_check(facts.nationality))
    if needs_record:
        checks.append(_record_check(facts.criminal_record, rules.clean_record_required))
    if rules.exclude_civil_servants:
        checks.append(Check("civil_servant", facts.declared_not_civil_servant))
    if rules.min_diploma:
        checks.append(_diploma_check(rules.min_diploma, facts.diploma_level, diploma_order))
    for kind in sorted(rules.required_documents - STATE_HELD_DOCUMENTS):
        checks.append(_document_check(kind, facts))
    return checks


def _birth_act_check(has_birth_act: bool | None) -> Check:
    if has_birth_act is None:
        return Check("birth_act", None, {"status": "not_fetched"})
    # Missing: no act found in état civil (a late declaration needs a jugement supplétif).
    return Check("birth_act", has_birth_act, {"status": "found" if has_birth_act else "missing"})


def _birth_range(birth: dt.date, precision: str) -> tuple[dt.date, dt.date]:
    """The earliest and latest days the person may have been born."""
    if precision == "day":
        return birth, birth
    if precision == "month":
        last = calendar.monthrange(birth.year, birth.month)[1]
        return birth.replace(day=1), birth.replace(day=last)
    return dt.date(birth.year, 1, 1), dt.date(birth.year, 12, 31)


def _age_check(code: str, limit: int, reference: dt.date | None, facts: ApplicantFacts) -> Check:
    if reference is None:  # EligibilityRules refuses this; kept for a rules object forced past it
        raise ValueError("an age limit needs a reference date")
    limit_name = "min_age" if code == "age_min" else "max_age"
    params: dict[str, ParamValue] = {limit_name: limit, "reference_date": reference.isoformat()}
    if facts.birth_date is None:
        params["reason"] = "no_birth_date"
        return Check(code, None, params)
    earliest, latest = _birth_range(facts.birth_date, facts.birth_date_precision)
    # Age never increases with a later birth date, so the two ends bound every possibility.
    oldest = age_on(earliest, reference)
    youngest = age_on(latest, reference)
    if code == "age_min":
        always, never = youngest >= limit, oldest < limit
    else:
        always, never = oldest <= limit, youngest > limit
    if youngest == oldest:
        params["age"] = youngest
    else:
        params["age_from"] = youngest
        params["age_to"] = oldest
        params["birth_date_precision"] = facts.birth_date_precision
    if always:
        return Check(code, True, params)
    if never:
        return Check(code, False, params)
    params["reason"] = "imprecise_birth_date"  # an agent must read the birth act
    return Check(code, None, params)


def _nationality_check(nationality: str | None) -> Check:
    if nationality is None:
        return Check("nationality", None, {"status": "not_fetched"})
    ok = {"certified": True, "requested": None, "none": False}[nationality]
    return Check("nationality", ok, {"status": nationality})


def _record_check(record: str | None, clean_required: bool) -> Check:
    if record is None:
        return Check("criminal_record", None, {"status": "not_fetched"})
    if not clean_required:
        # Only the extract is asked for: its content is none of the call's business, and the
        # status must not hint at it.
        return Check("criminal_record", True, {"status": "issued"})
    # Never the convictions themselves: only that bulletin n°3 is not blank.
    if record == "clean":
        return Check("criminal_record", True, {"status": "blank"})
    return Check("criminal_record", False, {"status": "not_blank"})


def _diploma_check(minimum: str, declared: str, order: Sequence[str]) -> Check:
    if minimum not in order:
        raise ValueError(f"unknown minimum diploma level: {minimum!r}")
    if declared and declared not in order:
        raise ValueError(f"unknown diploma level: {declared!r}")
    ok = bool(declared) and order.index(declared) >= order.index(minimum)
    return Check("diploma", ok, {"min_diploma": minimum, "diploma_level": declared})


def _document_check(kind: str, facts: ApplicantFacts) -> Check:
    if kind in facts.documents:
        ok, status = True, "present"
    elif kind in facts.pending_documents:
        ok, status = None, "pending"
    else:
        ok, status = False, "missing"
    return Check(f"document:{kind}", ok, {"kind": kind, "status": status})
