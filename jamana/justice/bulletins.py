"""Which convictions of the casier judiciaire appear on bulletins n°1, n°2 and n°3.

Pure Python (no Django, no database, no clock): :func:`bulletin` takes the whole casier of one
person, the bulletin number, the date the bulletin speaks for and the rules, and returns a
:class:`Bulletin` whose every line *and every omission* names the rule that decided it.

* **B1** (for judges) is the full record: every entry recorded, except an entry cancelled as
  recorded in error and a conviction quashed on appeal or in cassation.
* **B2** (for administrations) is B1 minus contraventions, educational measures for minors,
  suspended sentences deemed not pronounced after the test period, and rehabilitated or
  amnestied convictions.
* **B3** (for the person) is the part of B2 with imprisonment of more than two years without
  sursis, shorter imprisonment the court ordered onto B3, and disqualifications in force.

So ``B3 ⊆ B2 ⊆ B1`` by construction, whatever the rules. Every rule is a
:class:`RuleParameter` with its citation; none is confirmed against Malian law yet
(docs/decisions/0007): an authorised magistrate changes them as data, and the caller rebuilds
the rules with :meth:`BulletinRules.with_changes`.

"As of" a date: events dated after ``on`` and entries decided after it are ignored, so a
bulletin can be recomputed for any past day. Rehabilitation (legal or judicial) and its delays
are *not* computed here: the clerk records it as an event.

What the automation cannot decide safely (a decision not final, by default, from a foreign
court, an unrecorded probation outcome…) is listed in :attr:`Bulletin.reviews`; such a
bulletin goes to a clerk instead of being issued automatically. The lines still carry the
computed proposal, for the clerk to check.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

__all__ = [
    "CATEGORIES",
    "EVENT_KINDS",
    "MODEL_CITATION",
    "SENTENCE_KINDS",
    "Bulletin",
    "BulletinError",
    "BulletinLine",
    "BulletinNumber",
    "BulletinRules",
    "CasierDataError",
    "CasierEntry",
    "EntryEvent",
    "Exclusion",
    "Review",
    "RuleError",
    "RuleParameter",
    "Sentence",
    "bulletin",
    "default_rules",
]

BulletinNumber = Literal[1, 2, 3]

#: Sentence kinds. ``months`` is the duration; for ``imprisonment`` and ``suspended_licence``
#: ``None`` means for life / with no end date.
SENTENCE_KINDS: tuple[str, ...] = (
    "imprisonment",
    "fine",
    "community_service",
    "suspended_licence",
    "other_penalty",
    "educational_measure",
)

EVENT_KINDS: tuple[str, ...] = (
    "appeal",
    "cassation",
    "sentence_served",
    "fine_paid",
    "rehabilitation",
    "amnesty",
    "pardon",
    "suspension_revoked",
    "suspension_completed",
    "cancellation",
)

CATEGORIES: tuple[str, ...] = ("crime", "delit", "contravention")

#: The citation of every rule until a magistrate confirms the Malian article: the chapter on
#: the casier judiciaire of Mali's CPP could not be read (docs/decisions/0007).
MODEL_CITATION = (
    "CPP (Mali) — article to confirm; modelled on the French-derived code "
    "(cf. French CPP art. 774, 775, 777)"
)

_RULINGS = ("appeal", "cassation")
_SUSPENSION_OUTCOMES = ("suspension_revoked", "suspension_completed")
# B3 lists convictions, not their later history; the appellate ruling is kept because the
# sentences printed come from it.
_PRINTED_EVENTS: dict[int, frozenset[str]] = {
    1: frozenset(EVENT_KINDS),
    2: frozenset(EVENT_KINDS),
    3: frozenset(_RULINGS),
}
# Bounds a rule value must fall within: a guard against a typo, not a legal limit.
_MAX_RULE_VALUE = 1200


# --------------------------------------------------------------------------------------------
# Errors


class BulletinError(ValueError):
    """A bulletin cannot be computed from these arguments."""


class CasierDataError(BulletinError):
    """A sentence, event or entry is inconsistent (unknown kind, event before the decision…)."""


class RuleError(BulletinError):
    """An unknown rule parameter, or a value of the wrong type or out of bounds."""


# --------------------------------------------------------------------------------------------
# The casier


@dataclass(frozen=True, kw_only=True)
class Sentence:
    """One penalty or measure as pronounced. A partly suspended sentence is two sentences (the
    part to serve and the suspended part)."""

    kind: str
    months: int | None = None
    suspended: bool = False  # sursis
    probation: bool = False  # sursis with probation (mise à l'épreuve)
    amount_xof: int | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind not in SENTENCE_KINDS:
            raise CasierDataError(f"unknown sentence kind {self.kind!r}")
        if self.months is not None and self.months < 0:
            raise CasierDataError("a sentence cannot last a negative number of months")
        if self.amount_xof is not None and self.amount_xof < 0:
            raise CasierDataError("a fine cannot be negative")
        if self.probation and not self.suspended:
            raise CasierDataError("probation is a form of sursis: it needs suspended=True")

    @property
    def is_imprisonment(self) -> bool:
        return self.kind == "imprisonment"

    @property
    def text(self) -> str:
        """The sentence in French, as printed on a bulletin (bulletins are in French)."""
        text = _sentence_text(self)
        if self.suspended:
            text += " avec sursis probatoire" if self.probation else " avec sursis"
        if self.description and self.kind not in ("other_penalty", "educational_measure"):
            text += f" ({self.description})"
        return text


@dataclass(frozen=True, kw_only=True)
class EntryEvent:
    """Something that happened to a recorded decision afterwards.

    ``new_sentences`` and ``quashed`` belong to an appeal or cassation ruling only: the former
    replaces the sentences, the latter annuls the conviction (a conviction on retrial is a new
    entry). A pardon (grâce) reduces the penalty to serve but does not erase the conviction; a
    cancellation withdraws an entry recorded in error.
    """

    kind: str
    on: dt.date
    new_sentences: tuple[Sentence, ...] | None = None
    quashed: bool = False
    reference: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise CasierDataError(f"unknown event kind {self.kind!r}")
        if self.kind not in _RULINGS and (self.new_sentences is not None or self.quashed):
            raise CasierDataError("only an appeal or cassation ruling changes sentences")
        if self.quashed and self.new_sentences is not None:
            raise CasierDataError("a ruling either quashes the conviction or changes sentences")

    @property
    def text(self) -> str:
        """The event in French, as printed under a bulletin line."""
        when = _french_date(self.on)
        text = _EVENT_TEXT[self.kind].format(date=when)
        if self.new_sentences is not None:
            changed = "; ".join(s.text for s in self.new_sentences) or "aucune peine"
            text += f", peine : {changed}"
        if self.reference:
            text += f" ({self.reference})"
        return text


@dataclass(frozen=True, kw_only=True)
class CasierEntry:
    """One decision recorded in a casier, with its later events (in any order; two events on
    the same day keep their recorded order).

    ``final`` means no ordinary appeal remains (décision définitive); ``final_on`` is the date
    it became so, when known (test periods run from it; otherwise from the latest ruling).
    ``court_ordered_b3`` is the court's order to print a sentence that would not otherwise be on
    bulletin n°3.
    """

    id: str
    court: str
    decided_on: dt.date
    decision_number: str
    offence_label: str
    category: str
    final: bool
    offence_reference: str = ""
    sentences: tuple[Sentence, ...] = ()
    minor_at_offence: bool = False
    by_default: bool = False  # par défaut: opposition may still annul it
    foreign_court: bool = False
    court_ordered_b3: bool = False
    final_on: dt.date | None = None
    events: tuple[EntryEvent, ...] = ()

    def __post_init__(self) -> None:
        if not self.id:
            raise CasierDataError("an entry needs an id")
        if self.category not in CATEGORIES:
            raise CasierDataError(f"unknown offence category {self.category!r}")
        if self.final_on is not None and (not self.final or self.final_on < self.decided_on):
            raise CasierDataError("final_on needs final=True and a date after the decision")
        for event in self.events:
            if event.on < self.decided_on:
                raise CasierDataError(f"{self.id}: event {event.kind} dated before the decision")

    def events_until(self, *, on: dt.date) -> tuple[EntryEvent, ...]:
        """The events dated on or before ``on``, oldest first."""
        return tuple(sorted((e for e in self.events if e.on <= on), key=lambda e: e.on))

    def latest(self, *kinds: str, on: dt.date) -> EntryEvent | None:
        """The latest event of one of ``kinds`` as of ``on``."""
        found = [e for e in self.events_until(on=on) if e.kind in kinds]
        return found[-1] if found else None

    def effective_sentences(self, *, on: dt.date) -> tuple[Sentence, ...]:
        """The sentences as of ``on``: those of the latest ruling that changed them, else those
        pronounced. A pardon does not change them (it changes what is left to serve)."""
        for event in reversed(self.events_until(on=on)):
            if event.kind in _RULINGS and event.new_sentences is not None:
                return event.new_sentences
        return self.sentences

    def quashing(self, *, on: dt.date) -> EntryEvent | None:
        """The ruling that quashed the conviction, if any as of ``on``."""
        quashed = [e for e in self.events_until(on=on) if e.kind in _RULINGS and e.quashed]
        return quashed[0] if quashed else None

    def is_quashed(self, *, on: dt.date) -> bool:
        return self.quashing(on=on) is not None

    def is_cancelled(self, *, on: dt.date) -> bool:
        return self.latest("cancellation", on=on) is not None

    def is_amnestied(self, *, on: dt.date) -> bool:
        return self.latest("amnesty", on=on) is not None

    def is_rehabilitated(self, *, on: dt.date) -> bool:
        return self.latest("rehabilitation", on=on) is not None

    def is_pardoned(self, *, on: dt.date) -> bool:
        return self.latest("pardon", on=on) is not None

    def is_suspension_revoked(self, *, on: dt.date) -> bool:
        """The latest recorded outcome of the sursis, as of ``on``, is its revocation."""
        outcome = self.latest(*_SUSPENSION_OUTCOMES, on=on)
        return outcome is not None and outcome.kind == "suspension_revoked"

    def is_final(self, *, on: dt.date) -> bool:
        return self.final and (self.final_on is None or self.final_on <= on)

    def period_start(self, *, on: dt.date) -> dt.date:
        """Where test periods and disqualifications start: the date the decision became final
        if recorded, else the latest ruling (a few days early: the delay of appeal is unknown)."""
        if self.final_on is not None and self.final_on <= on:
            return self.final_on
        rulings = [e.on for e in self.events_until(on=on) if e.kind in _RULINGS]
        return max([self.decided_on, *rulings])


# --------------------------------------------------------------------------------------------
# The rules


V = TypeVar("V")


@dataclass(frozen=True, kw_only=True)
class RuleParameter(Generic[V]):
    """One rule of the bulletins: its value, its legal source, and whether that source has been
    confirmed against the law in force in Mali."""

    name: str
    value: V
    citation: str
    confirmed: bool
    explanation: str


@dataclass(frozen=True, kw_only=True)
class BulletinRules:
    """All the parameters :func:`bulletin` applies. Build with :func:`default_rules`, change
    with :meth:`with_changes`."""

    b1_keeps_amnestied: RuleParameter[bool]
    b1_keeps_rehabilitated: RuleParameter[bool]
    b2_excludes_amnestied: RuleParameter[bool]
    b2_excludes_rehabilitated: RuleParameter[bool]
    b2_excludes_contraventions: RuleParameter[bool]
    b2_excludes_minor_measures: RuleParameter[bool]
    b2_excludes_suspended_completed: RuleParameter[bool]
    suspension_test_period_years: RuleParameter[int]
    b3_min_unsuspended_imprisonment_months: RuleParameter[int]
    b3_includes_suspended_when_ordered: RuleParameter[bool]
    b3_includes_disqualifications: RuleParameter[bool]

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            parameter = getattr(self, f.name)
            if parameter.name != f.name:
                raise RuleError(f"parameter {parameter.name!r} stored as {f.name!r}")

    def parameters(self) -> tuple[RuleParameter[Any], ...]:
        """Every parameter, in declaration order (for a clerk's or magistrate's screen)."""
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self))

    @property
    def unconfirmed(self) -> tuple[str, ...]:
        """Names of the parameters whose legal source is not confirmed."""
        return tuple(p.name for p in self.parameters() if not p.confirmed)

    def with_changes(self, **values: object) -> BulletinRules:
        """A copy with some parameters changed.

        Each value is either a plain value (the citation and explanation are kept) or a whole
        :class:`RuleParameter` (when a magistrate also confirms or corrects the citation).
        Raises :class:`RuleError` for an unknown name, a value of the wrong type (``True`` is not
        a number of months) or a number outside 0…1200.
        """
        changes: dict[str, RuleParameter[Any]] = {}
        for name, new in values.items():
            current = getattr(self, name, None)
            if not isinstance(current, RuleParameter):
                raise RuleError(f"unknown rule parameter {name!r}")
            if isinstance(new, RuleParameter):
                if new.name != name:
                    raise RuleError(f"parameter {new.name!r} given for {name!r}")
                parameter: RuleParameter[Any] = new
            else:
                parameter = dataclasses.replace(current, value=new)
            _check_value(current, parameter.value)
            changes[name] = parameter
        return dataclasses.replace(self, **changes)


def _check_value(current: RuleParameter[Any], value: object) -> None:
    if isinstance(current.value, bool):
        if not isinstance(value, bool):
            raise RuleError(f"{current.name} is true or false, not {value!r}")
    elif isinstance(value, bool) or not isinstance(value, int):
        raise RuleError(f"{current.name} is a whole number, not {value!r}")
    elif not 0 <= value <= _MAX_RULE_VALUE:
        raise RuleError(f"{current.name} must be between 0 and {_MAX_RULE_VALUE}")


def _rule(name: str, value: V, explanation: str) -> RuleParameter[V]:
    return RuleParameter(
        name=name, value=value, citation=MODEL_CITATION, confirmed=False, explanation=explanation
    )


def default_rules() -> BulletinRules:
    """The rules of the French-derived codes, none confirmed against Malian law yet."""
    return BulletinRules(
        b1_keeps_amnestied=_rule(
            "b1_keeps_amnestied",
            True,
            "An amnestied conviction stays on bulletin n°1, with the amnesty printed. The "
            "French code withdraws amnestied entries from the casier altogether (cf. French "
            "CPP art. 769): to be confirmed for Mali.",
        ),
        b1_keeps_rehabilitated=_rule(
            "b1_keeps_rehabilitated",
            True,
            "A rehabilitated conviction stays on bulletin n°1, with the rehabilitation printed.",
        ),
        b2_excludes_amnestied=_rule(
            "b2_excludes_amnestied",
            True,
            "An amnesty erases the conviction: it is on neither bulletin n°2 nor n°3.",
        ),
        b2_excludes_rehabilitated=_rule(
            "b2_excludes_rehabilitated",
            True,
            "A conviction effaced by rehabilitation (legal or judicial, recorded by the clerk) "
            "is on neither bulletin n°2 nor n°3 (cf. French CPP art. 775).",
        ),
        b2_excludes_contraventions=_rule(
            "b2_excludes_contraventions",
            True,
            "Convictions for contraventions are on bulletin n°1 only (cf. French CPP art. 775).",
        ),
        b2_excludes_minor_measures=_rule(
            "b2_excludes_minor_measures",
            True,
            "Educational measures ordered for an offence committed as a minor are on bulletin "
            "n°1 only (cf. French CPP art. 775). Penalties against minors go to a clerk.",
        ),
        b2_excludes_suspended_completed=_rule(
            "b2_excludes_suspended_completed",
            True,
            "A suspended sentence not revoked during the test period is deemed not pronounced "
            "(non avenue): off bulletins n°2 and n°3, still on n°1 (cf. French CPP art. 775).",
        ),
        suspension_test_period_years=_rule(
            "suspension_test_period_years",
            5,
            "Test period of a simple sursis for a crime or délit, counted from the decision "
            "becoming final (cf. French Code pénal art. 132-35). With probation the court sets "
            "the period: its outcome must be recorded by the clerk.",
        ),
        b3_min_unsuspended_imprisonment_months=_rule(
            "b3_min_unsuspended_imprisonment_months",
            24,
            "Bulletin n°3 carries imprisonment of MORE than this many months without sursis "
            "(or whose sursis was revoked); shorter only if the court ordered it "
            "(cf. French CPP art. 777).",
        ),
        b3_includes_suspended_when_ordered=_rule(
            "b3_includes_suspended_when_ordered",
            True,
            "A suspended imprisonment the court ordered onto bulletin n°3 is printed there "
            "(cf. French CPP art. 777).",
        ),
        b3_includes_disqualifications=_rule(
            "b3_includes_disqualifications",
            True,
            "Disqualifications (déchéances, interdictions, licence suspensions) are on bulletin "
            "n°3 while in force (cf. French CPP art. 777).",
        ),
    )


# --------------------------------------------------------------------------------------------
# The bulletin


@dataclass(frozen=True, kw_only=True)
class BulletinLine:
    """One decision printed on a bulletin, and why it is there (``basis``: a rule parameter
    name, ``court_ordered_b3``, or ``recorded`` / ``not_excluded_from_b2``)."""

    entry_id: str
    court: str
    decided_on: dt.date
    decision_number: str
    offence_label: str
    offence_reference: str
    category: str
    sentences: tuple[Sentence, ...]  # effective, after appeals
    pronounced_sentences: tuple[Sentence, ...]  # as first recorded
    events: tuple[EntryEvent, ...]  # the ones printed on this bulletin, oldest first
    basis: str
    citation: str

    @property
    def sentence_text(self) -> str:
        return "; ".join(s.text for s in self.sentences) or "déclaration de culpabilité"

    @property
    def event_texts(self) -> tuple[str, ...]:
        return tuple(e.text for e in self.events)


@dataclass(frozen=True, kw_only=True)
class Exclusion:
    """An entry left off a bulletin: the reason code, the rule parameter that decided it (none
    for a cancelled, quashed or later entry) and its citation."""

    entry_id: str
    reason: str
    parameter: str | None
    citation: str
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class Review:
    """Why a clerk must look at an entry before the bulletin is issued."""

    entry_id: str
    reason: str
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class Bulletin:
    number: BulletinNumber
    on: dt.date
    lines: tuple[BulletinLine, ...]
    excluded: tuple[Exclusion, ...]
    reviews: tuple[Review, ...]
    rules: BulletinRules

    @property
    def is_blank(self) -> bool:
        """Nothing to print: the bulletin reads « Néant »."""
        return not self.lines

    @property
    def needs_review(self) -> tuple[str, ...]:
        """Ids of the entries a clerk must check, in casier order, each once."""
        return tuple(dict.fromkeys(r.entry_id for r in self.reviews))

    @property
    def can_issue_automatically(self) -> bool:
        return not self.reviews

    @property
    def entry_ids(self) -> tuple[str, ...]:
        return tuple(line.entry_id for line in self.lines)


def bulletin(
    casier: Sequence[CasierEntry], number: BulletinNumber, *, on: dt.date, rules: BulletinRules
) -> Bulletin:
    """Bulletin ``number`` of a casier as of ``on``.

    Every entry decided on or before ``on`` is either a line or an exclusion, in order of
    decision. Raises :class:`BulletinError` for a number other than 1, 2, 3 and
    :class:`CasierDataError` for two entries with one id.
    """
    if number not in (1, 2, 3):
        raise BulletinError(f"there is no bulletin n°{number!r}")
    seen: set[str] = set()
    for entry in casier:
        if entry.id in seen:
            raise CasierDataError(f"entry {entry.id!r} appears twice in the casier")
        seen.add(entry.id)

    ordered = sorted(casier, key=lambda e: (e.decided_on, e.id))
    lines: list[BulletinLine] = []
    excluded: list[Exclusion] = []
    reviews: list[Review] = []
    for entry in ordered:
        if entry.decided_on > on:
            continue  # not in the casier yet on that day
        decision = _Decision(entry, number, on=on, rules=rules, casier=ordered)
        outcome = decision.decide()
        if isinstance(outcome, Exclusion):
            excluded.append(outcome)
        else:
            lines.append(outcome)
            reviews.extend(decision.generic_reviews())
            reviews.extend(decision.reviews_if_printed)
        reviews.extend(decision.reviews)
    return Bulletin(
        number=number,
        on=on,
        lines=tuple(lines),
        excluded=tuple(excluded),
        reviews=tuple(reviews),
        rules=rules,
    )


class _Decision:
    """The decision for one entry: B1 filters, then B2's on what B1 keeps, then B3's on what
    B2 keeps. Reviews are raised where an unknown fact could change the decision."""

    def __init__(
        self,
        entry: CasierEntry,
        number: BulletinNumber,
        *,
        on: dt.date,
        rules: BulletinRules,
        casier: Sequence[CasierEntry],
    ) -> None:
        self.entry = entry
        self.number = number
        self.on = on
        self.rules = rules
        self.casier = casier
        self.sentences = entry.effective_sentences(on=on)
        self.revoked = entry.is_suspension_revoked(on=on)
        self.reviews: list[Review] = []
        # Doubts about an exclusion that was *not* made: they matter only if the entry is printed.
        self.reviews_if_printed: list[Review] = []

    def decide(self) -> BulletinLine | Exclusion:
        excluded = self._b1_exclusion()
        if excluded is not None:
            return excluded
        if self.number == 1:
            return self._line("recorded", MODEL_CITATION)
        excluded = self._b2_exclusion()
        if excluded is not None:
            return excluded
        if self.number == 2:
            return self._line("not_excluded_from_b2", MODEL_CITATION)
        return self._b3()

    def generic_reviews(self) -> list[Review]:
        """Facts that make any printed line uncertain."""
        entry, found = self.entry, []
        if not entry.is_final(on=self.on):
            found.append(Review(entry_id=entry.id, reason="not_final", detail="appeal possible"))
        if entry.by_default:
            found.append(Review(entry_id=entry.id, reason="by_default", detail="opposition"))
        if entry.foreign_court:
            found.append(Review(entry_id=entry.id, reason="foreign_court"))
        return found

    # -- B1 ------------------------------------------------------------------------------------

    def _b1_exclusion(self) -> Exclusion | None:
        entry, on, rules = self.entry, self.on, self.rules
        cancellation = entry.latest("cancellation", on=on)
        if cancellation is not None:
            # Not a rule: the entry was recorded in error and withdrawn by an audited mention.
            citation = f"cancellation of {cancellation.on} {cancellation.reference}".strip()
            return self._exclude("cancelled", None, citation, cancellation.note)
        quashing = entry.quashing(on=on)
        if quashing is not None:
            # Not a rule: there is no conviction any more.
            citation = f"{quashing.kind} ruling of {quashing.on} {quashing.reference}".strip()
            return self._exclude("quashed", None, citation, quashing.note)
        if entry.is_amnestied(on=on) and not rules.b1_keeps_amnestied.value:
            return self._exclude_by("amnestied", rules.b1_keeps_amnestied)
        if entry.is_rehabilitated(on=on) and not rules.b1_keeps_rehabilitated.value:
            return self._exclude_by("rehabilitated", rules.b1_keeps_rehabilitated)
        return None

    # -- B2 ------------------------------------------------------------------------------------

    def _b2_exclusion(self) -> Exclusion | None:
        entry, on, rules = self.entry, self.on, self.rules
        if entry.is_amnestied(on=on) and rules.b2_excludes_amnestied.value:
            return self._exclude_by("amnestied", rules.b2_excludes_amnestied)
        if entry.is_rehabilitated(on=on) and rules.b2_excludes_rehabilitated.value:
            return self._exclude_by("rehabilitated", rules.b2_excludes_rehabilitated)
        if entry.category == "contravention" and rules.b2_excludes_contraventions.value:
            return self._exclude_by("contravention", rules.b2_excludes_contraventions)
        if entry.minor_at_offence:
            measures_only = bool(self.sentences) and all(
                s.kind == "educational_measure" for s in self.sentences
            )
            if measures_only and rules.b2_excludes_minor_measures.value:
                return self._exclude_by("minor_measure", rules.b2_excludes_minor_measures)
            if not measures_only:
                # Whether a penalty pronounced against a minor is on B2 is not settled by the
                # parameters: a clerk decides.
                self._review(
                    "minor_penalty", "penalty for an offence committed as a minor", if_printed=True
                )
        if rules.b2_excludes_suspended_completed.value:
            detail = self._suspension_completed()
            if detail is not None:
                return self._exclude_by(
                    "suspension_completed", rules.b2_excludes_suspended_completed, detail
                )
        return None

    def _suspension_completed(self) -> str | None:
        """Why the conviction is deemed not pronounced (non avenue), or None if it is not."""
        entry, on = self.entry, self.on
        if not any(s.suspended for s in self.sentences):
            return None
        outcome = entry.latest(*_SUSPENSION_OUTCOMES, on=on)
        if outcome is not None:
            if outcome.kind == "suspension_completed":
                return f"recorded on {outcome.on} {outcome.reference}".strip()
            return None  # revoked
        start = entry.period_start(on=on)
        years = self.rules.suspension_test_period_years.value
        end = _add_months(start, 12 * years)
        # The day the period starts is not counted: it is over the day after its anniversary.
        elapsed = on > end
        if any(s.probation for s in self.sentences):
            # The court sets a probation period; it is not recorded here, so neither is its end.
            self._review(
                "probation_outcome_unrecorded", "record completion or revocation", if_printed=True
            )
            return None
        if not all(s.suspended for s in self.sentences):
            if elapsed:
                self._review(
                    "partial_suspension", "partly suspended: is it non avenue?", if_printed=True
                )
            return None
        if not elapsed:
            return None
        if entry.category == "contravention":
            # The parameter is the crime/délit period; contraventions are normally off B2 anyway.
            self._review("contravention_test_period", "test period for a contravention")
        if self._later_conviction(after=start):
            # A new conviction for an offence committed during the period revokes the sursis;
            # the offence date is not recorded, so a clerk checks.
            self._review("possible_revocation", "later conviction, no revocation recorded")
        return f"{years}-year test period from {start} over on {end}, no revocation recorded"

    def _later_conviction(self, *, after: dt.date) -> bool:
        return any(
            other.id != self.entry.id
            and other.category != "contravention"
            and after < other.decided_on <= self.on
            and not other.is_cancelled(on=self.on)
            and not other.is_quashed(on=self.on)
            for other in self.casier
        )

    # -- B3 ------------------------------------------------------------------------------------

    def _b3(self) -> BulletinLine | Exclusion:
        entry, rules = self.entry, self.rules
        threshold = rules.b3_min_unsuspended_imprisonment_months
        to_serve = [
            s for s in self.sentences if s.is_imprisonment and (not s.suspended or self.revoked)
        ]
        still_suspended = [
            s for s in self.sentences if s.is_imprisonment and s.suspended and not self.revoked
        ]
        life = any(s.months is None for s in to_serve)
        months = sum(s.months or 0 for s in to_serve)
        if to_serve and (life or months > threshold.value):
            if still_suspended:
                # The French text speaks of imprisonment "without any sursis": a clerk decides
                # a partly suspended one.
                self._review("partial_suspension", "partly suspended imprisonment")
            return self._line(threshold.name, threshold.citation)
        if entry.court_ordered_b3:
            if to_serve:
                return self._line("court_ordered_b3", MODEL_CITATION)
            ordered_suspended = rules.b3_includes_suspended_when_ordered
            if still_suspended and ordered_suspended.value:
                return self._line(ordered_suspended.name, ordered_suspended.citation)
        disqualifications = rules.b3_includes_disqualifications
        if disqualifications.value and self._disqualification_in_force():
            return self._line(disqualifications.name, disqualifications.citation)
        if any(s.kind == "other_penalty" for s in self.sentences):
            self._review("other_penalty", "is it a disqualification in force?")
        detail = (
            f"{'life' if life else months} months of imprisonment to serve, "
            f"B3 needs more than {threshold.value}; no court order, no disqualification in force"
        )
        return self._exclude_by("b3_not_qualifying", threshold, detail)

    def _disqualification_in_force(self) -> bool:
        start = self.entry.period_start(on=self.on)
        for s in self.sentences:
            if s.kind != "suspended_licence" or (s.suspended and not self.revoked):
                continue
            if s.months is None:
                self._review("disqualification_without_end", "no end date recorded")
                return True
            if self.on <= _add_months(start, s.months):
                return True
        return False

    # -- building results ----------------------------------------------------------------------

    def _line(self, basis: str, citation: str) -> BulletinLine:
        entry = self.entry
        printed = _PRINTED_EVENTS[self.number]
        return BulletinLine(
            entry_id=entry.id,
            court=entry.court,
            decided_on=entry.decided_on,
            decision_number=entry.decision_number,
            offence_label=entry.offence_label,
            offence_reference=entry.offence_reference,
            category=entry.category,
            sentences=self.sentences,
            pronounced_sentences=entry.sentences,
            events=tuple(e for e in entry.events_until(on=self.on) if e.kind in printed),
            basis=basis,
            citation=citation,
        )

    def _exclude(
        self, reason: str, parameter: str | None, citation: str, detail: str = ""
    ) -> Exclusion:
        return Exclusion(
            entry_id=self.entry.id,
            reason=reason,
            parameter=parameter,
            citation=citation,
            detail=detail,
        )

    def _exclude_by(
        self, reason: str, parameter: RuleParameter[Any], detail: str = ""
    ) -> Exclusion:
        return self._exclude(reason, parameter.name, parameter.citation, detail)

    def _review(self, reason: str, detail: str = "", *, if_printed: bool = False) -> None:
        review = Review(entry_id=self.entry.id, reason=reason, detail=detail)
        (self.reviews_if_printed if if_printed else self.reviews).append(review)


# --------------------------------------------------------------------------------------------
# Dates and French text


def _add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months; the 31st becomes the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if year > dt.MAXYEAR:
        return dt.date.max
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


_MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def _french_date(day: dt.date) -> str:
    return f"{'1er' if day.day == 1 else day.day} {_MONTHS_FR[day.month - 1]} {day.year}"


def _duration(months: int) -> str:
    if months and months % 12 == 0:
        years = months // 12
        return f"{years} an{'s' if years > 1 else ''}"
    return f"{months} mois"


def _xof(amount: int) -> str:
    return f"{amount:,}".replace(",", " ") + " F CFA"


def _sentence_text(s: Sentence) -> str:
    if s.kind == "imprisonment":
        if s.months is None:
            return "emprisonnement à perpétuité"
        return f"{_duration(s.months)} d'emprisonnement"
    if s.kind == "fine":
        return "amende" if s.amount_xof is None else f"amende de {_xof(s.amount_xof)}"
    if s.kind == "community_service":
        return "travail d'intérêt général" + (
            "" if s.months is None else f" ({_duration(s.months)})"
        )
    if s.kind == "suspended_licence":
        suffix = "" if s.months is None else f" pour {_duration(s.months)}"
        return "suspension du permis de conduire" + suffix
    if s.kind == "educational_measure":
        return s.description or "mesure éducative"
    return s.description or "autre peine"


_EVENT_TEXT: dict[str, str] = {
    "appeal": "arrêt d'appel du {date}",
    "cassation": "arrêt de cassation du {date}",
    "sentence_served": "peine exécutée le {date}",
    "fine_paid": "amende payée le {date}",
    "rehabilitation": "réhabilitation du {date}",
    "amnesty": "amnistie du {date}",
    "pardon": "grâce du {date}",
    "suspension_revoked": "sursis révoqué le {date}",
    "suspension_completed": "condamnation non avenue (sursis) le {date}",
    "cancellation": "inscription annulée le {date}",
}
