"""What appears on bulletins n°1, n°2 and n°3 (jamana.justice.bulletins): pure rules, no
database. Each test names the rule parameter it exercises (docs/decisions/0007)."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jamana.justice import bulletins as module
from jamana.justice.bulletins import (
    EVENT_KINDS,
    MODEL_CITATION,
    Bulletin,
    BulletinError,
    BulletinRules,
    CasierDataError,
    CasierEntry,
    EntryEvent,
    RuleError,
    RuleParameter,
    Sentence,
    bulletin,
    default_rules,
)

RULES = default_rules()
DECIDED = dt.date(2020, 3, 10)
TODAY = dt.date(2025, 6, 2)


# --------------------------------------------------------------------------------------------
# Factories: plain functions with keyword-only defaults.


def prison(months: int | None, *, suspended: bool = False, probation: bool = False) -> Sentence:
    return Sentence(kind="imprisonment", months=months, suspended=suspended, probation=probation)


def fine(amount_xof: int) -> Sentence:
    return Sentence(kind="fine", amount_xof=amount_xof)


def event(kind: str, on: dt.date, **fields: object) -> EntryEvent:
    return EntryEvent(kind=kind, on=on, reference=f"{kind}-ref", **fields)  # type: ignore[arg-type]


def conviction(
    *,
    id: str = "CJ-0001",
    decided_on: dt.date = DECIDED,
    category: str = "delit",
    sentences: tuple[Sentence, ...] = (prison(36),),
    final: bool = True,
    events: tuple[EntryEvent, ...] = (),
    **flags: object,
) -> CasierEntry:
    return CasierEntry(
        id=id,
        court="Tribunal de grande instance de la Commune III de Bamako",
        decided_on=decided_on,
        decision_number=f"{id}/2020",
        offence_label="Vol qualifié",
        offence_reference="Code pénal",
        category=category,
        sentences=sentences,
        final=final,
        events=events,
        **flags,  # type: ignore[arg-type]
    )


def shown_on(entry: CasierEntry, *, on: dt.date = TODAY, rules: BulletinRules = RULES) -> set[int]:
    """The bulletins (1, 2, 3) on which a one-entry casier prints ``entry``."""
    return {n for n in (1, 2, 3) if entry.id in bulletin([entry], n, on=on, rules=rules).entry_ids}


def exclusion(entry: CasierEntry, number: int, *, on: dt.date = TODAY, rules=RULES):
    (only,) = bulletin([entry], number, on=on, rules=rules).excluded  # type: ignore[arg-type]
    return only


# --------------------------------------------------------------------------------------------
# The ordinary cases


def test_empty_casier_is_neant_on_all_three_bulletins() -> None:
    for number in (1, 2, 3):
        result = bulletin([], number, on=TODAY, rules=RULES)
        assert result.is_blank
        assert result.can_issue_automatically
        assert result.excluded == () and result.needs_review == ()


def test_three_years_without_sursis_is_on_all_three_bulletins() -> None:
    """b3_min_unsuspended_imprisonment_months: 36 months is more than 24."""
    entry = conviction(sentences=(prison(36),))
    assert shown_on(entry) == {1, 2, 3}
    (line,) = bulletin([entry], 3, on=TODAY, rules=RULES).lines
    assert line.basis == "b3_min_unsuspended_imprisonment_months"
    assert line.citation == MODEL_CITATION
    assert line.sentence_text == "3 ans d'emprisonnement"


def test_six_months_without_sursis_is_on_b1_and_b2_but_not_b3() -> None:
    """b3_min_unsuspended_imprisonment_months: 6 months is not more than 24."""
    entry = conviction(sentences=(prison(6), fine(200_000)))
    assert shown_on(entry) == {1, 2}
    excluded = exclusion(entry, 3)
    assert excluded.reason == "b3_not_qualifying"
    assert excluded.parameter == "b3_min_unsuspended_imprisonment_months"
    assert excluded.citation == MODEL_CITATION


def test_six_months_is_on_b3_when_the_court_ordered_it() -> None:
    """court_ordered_b3 (per entry) brings a shorter sentence onto B3."""
    entry = conviction(sentences=(prison(6),), court_ordered_b3=True)
    assert shown_on(entry) == {1, 2, 3}
    (line,) = bulletin([entry], 3, on=TODAY, rules=RULES).lines
    assert line.basis == "court_ordered_b3"


def test_b3_needs_more_than_two_years_not_exactly_two() -> None:
    """b3_min_unsuspended_imprisonment_months: "more than two years" — 24 months is not enough."""
    assert shown_on(conviction(sentences=(prison(24),))) == {1, 2}
    assert shown_on(conviction(sentences=(prison(25),))) == {1, 2, 3}


def test_life_imprisonment_is_on_b3() -> None:
    """b3_min_unsuspended_imprisonment_months: months=None is for life."""
    entry = conviction(category="crime", sentences=(prison(None),))
    assert shown_on(entry) == {1, 2, 3}
    assert bulletin([entry], 3, on=TODAY, rules=RULES).lines[0].sentence_text == (
        "emprisonnement à perpétuité"
    )


def test_fine_alone_for_a_delit_is_on_b1_and_b2_only() -> None:
    """b3_min_unsuspended_imprisonment_months: no imprisonment at all."""
    assert shown_on(conviction(sentences=(fine(500_000),))) == {1, 2}


# --------------------------------------------------------------------------------------------
# Sursis


def test_suspended_sentence_leaves_b2_and_b3_after_the_test_period_but_stays_on_b1() -> None:
    """suspension_test_period_years (5) and b2_excludes_suspended_completed; the court had
    ordered it onto B3 (b3_includes_suspended_when_ordered)."""
    entry = conviction(
        decided_on=dt.date(2018, 4, 20),
        sentences=(prison(8, suspended=True),),
        court_ordered_b3=True,
    )
    assert shown_on(entry, on=dt.date(2023, 4, 20)) == {1, 2, 3}  # last day of the period
    assert shown_on(entry, on=dt.date(2023, 4, 21)) == {1}
    excluded = exclusion(entry, 2, on=dt.date(2023, 4, 21))
    assert (excluded.reason, excluded.parameter) == (
        "suspension_completed",
        "b2_excludes_suspended_completed",
    )


def test_test_period_runs_from_the_appeal_ruling() -> None:
    """suspension_test_period_years counts from the decision becoming final."""
    entry = conviction(
        decided_on=dt.date(2018, 1, 10),
        sentences=(prison(8, suspended=True),),
        events=(event("appeal", dt.date(2019, 1, 10)),),
    )
    assert shown_on(entry, on=dt.date(2023, 6, 1)) == {1, 2}
    assert shown_on(entry, on=dt.date(2024, 1, 11)) == {1}


def test_suspension_completed_event_takes_effect_at_once() -> None:
    """b2_excludes_suspended_completed: recorded by the clerk (e.g. after probation)."""
    entry = conviction(
        sentences=(prison(12, suspended=True, probation=True),),
        events=(event("suspension_completed", dt.date(2023, 3, 10)),),
    )
    assert shown_on(entry) == {1}
    result = bulletin([entry], 1, on=TODAY, rules=RULES)
    assert result.lines[0].event_texts == (
        "condamnation non avenue (sursis) le 10 mars 2023 (suspension_completed-ref)",
    )


def test_revoked_sursis_stays_on_b2_and_counts_as_imprisonment_for_b3() -> None:
    """b3_min_unsuspended_imprisonment_months: a revoked 30-month sursis is to be served."""
    entry = conviction(
        decided_on=dt.date(2015, 1, 5),
        sentences=(prison(30, suspended=True),),
        events=(event("suspension_revoked", dt.date(2017, 2, 1)),),
    )
    assert shown_on(entry) == {1, 2, 3}


def test_probation_without_recorded_outcome_goes_to_a_clerk() -> None:
    """suspension_test_period_years does not apply to probation: the court sets the period."""
    entry = conviction(
        decided_on=dt.date(2012, 1, 5), sentences=(prison(12, suspended=True, probation=True),)
    )
    result = bulletin([entry], 2, on=TODAY, rules=RULES)
    assert result.entry_ids == (entry.id,)
    assert [r.reason for r in result.reviews] == ["probation_outcome_unrecorded"]


def test_partly_suspended_sentence_after_the_test_period_goes_to_a_clerk() -> None:
    """b2_excludes_suspended_completed: is a partly suspended conviction non avenue?"""
    entry = conviction(
        decided_on=dt.date(2012, 1, 5), sentences=(prison(6), prison(6, suspended=True))
    )
    result = bulletin([entry], 2, on=TODAY, rules=RULES)
    assert result.entry_ids == (entry.id,)
    assert result.needs_review == (entry.id,)


def test_later_conviction_during_the_test_period_may_have_revoked_the_sursis() -> None:
    """b2_excludes_suspended_completed: the offence date of the later case is not recorded."""
    suspended = conviction(
        id="CJ-0001", decided_on=dt.date(2012, 1, 5), sentences=(prison(6, suspended=True),)
    )
    later = conviction(id="CJ-0002", decided_on=dt.date(2015, 5, 5), sentences=(fine(50_000),))
    result = bulletin([suspended, later], 2, on=TODAY, rules=RULES)
    assert result.entry_ids == ("CJ-0002",)
    assert result.needs_review == ("CJ-0001",)
    assert result.reviews[0].reason == "possible_revocation"


# --------------------------------------------------------------------------------------------
# Rehabilitation, amnesty, pardon


@pytest.mark.parametrize("kind", ["rehabilitation", "amnesty"])
def test_rehabilitation_and_amnesty_remove_from_b2_and_b3_but_not_from_b1(kind: str) -> None:
    """b2_excludes_rehabilitated / b2_excludes_amnestied; b1_keeps_rehabilitated /
    b1_keeps_amnestied keep them on B1, with the event printed."""
    entry = conviction(sentences=(prison(36),), events=(event(kind, dt.date(2024, 2, 1)),))
    assert shown_on(entry) == {1}
    assert shown_on(entry, on=dt.date(2024, 1, 31)) == {1, 2, 3}
    assert (
        exclusion(entry, 2).parameter
        == f"b2_excludes_{'amnestied' if kind == 'amnesty' else 'rehabilitated'}"
    )
    (line,) = bulletin([entry], 1, on=TODAY, rules=RULES).lines
    assert [e.kind for e in line.events] == [kind]


def test_amnestied_entry_leaves_b1_when_a_magistrate_sets_b1_keeps_amnestied_false() -> None:
    """b1_keeps_amnestied: the French code withdraws amnestied entries altogether."""
    entry = conviction(events=(event("amnesty", dt.date(2024, 2, 1)),))
    assert shown_on(entry, rules=RULES.with_changes(b1_keeps_amnestied=False)) == set()


def test_pardon_keeps_the_entry_on_all_bulletins_and_is_printed_on_b1_and_b2() -> None:
    """A pardon (grâce) changes the penalty to serve, not the conviction: no rule removes it."""
    entry = conviction(
        sentences=(prison(36),), events=(event("pardon", dt.date(2022, 12, 31), note="décret"),)
    )
    assert shown_on(entry) == {1, 2, 3}
    for number in (1, 2):
        (line,) = bulletin([entry], number, on=TODAY, rules=RULES).lines
        assert line.event_texts == ("grâce du 31 décembre 2022 (pardon-ref)",)
        assert line.sentence_text == "3 ans d'emprisonnement"
    assert bulletin([entry], 3, on=TODAY, rules=RULES).lines[0].events == ()


def test_served_sentence_is_printed_and_changes_nothing_else() -> None:
    entry = conviction(
        sentences=(prison(36), fine(1_000_000)),
        events=(
            event("fine_paid", dt.date(2020, 6, 1)),
            event("sentence_served", dt.date(2023, 3, 10)),
        ),
    )
    assert shown_on(entry) == {1, 2, 3}
    (line,) = bulletin([entry], 2, on=TODAY, rules=RULES).lines
    assert line.sentence_text == "3 ans d'emprisonnement; amende de 1 000 000 F CFA"
    assert [e.kind for e in line.events] == ["fine_paid", "sentence_served"]


# --------------------------------------------------------------------------------------------
# Appeals, cancellation, dates


def test_appeal_reducing_three_years_to_one_takes_it_off_b3() -> None:
    """b3_min_unsuspended_imprisonment_months applies to the sentence after appeal."""
    appeal = event("appeal", dt.date(2021, 1, 15), new_sentences=(prison(12),))
    entry = conviction(sentences=(prison(36),), events=(appeal,))
    assert shown_on(entry) == {1, 2}
    assert shown_on(entry, on=dt.date(2021, 1, 14)) == {1, 2, 3}
    (line,) = bulletin([entry], 2, on=TODAY, rules=RULES).lines
    assert line.sentence_text == "1 an d'emprisonnement"
    assert line.pronounced_sentences == (prison(36),)


@pytest.mark.parametrize("kind", ["appeal", "cassation"])
def test_quashed_conviction_is_on_no_bulletin(kind: str) -> None:
    entry = conviction(events=(event(kind, dt.date(2021, 1, 15), quashed=True),))
    assert shown_on(entry) == set()
    excluded = exclusion(entry, 1)
    assert (excluded.reason, excluded.parameter) == ("quashed", None)
    assert f"{kind}-ref" in excluded.citation


def test_cancelled_entry_is_on_no_bulletin() -> None:
    entry = conviction(
        events=(event("cancellation", dt.date(2020, 4, 1), note="wrong person recorded"),)
    )
    assert shown_on(entry) == set()
    excluded = exclusion(entry, 1)
    assert excluded.reason == "cancelled" and excluded.detail == "wrong person recorded"


def test_events_after_the_bulletin_date_are_ignored() -> None:
    entry = conviction(
        events=(
            event("cancellation", dt.date(2025, 7, 1)),
            event("rehabilitation", dt.date(2025, 6, 3)),
        )
    )
    assert shown_on(entry, on=TODAY) == {1, 2, 3}
    assert bulletin([entry], 1, on=TODAY, rules=RULES).lines[0].events == ()


def test_entry_decided_after_the_bulletin_date_is_not_in_the_casier_yet() -> None:
    result = bulletin([conviction(decided_on=dt.date(2025, 6, 3))], 1, on=TODAY, rules=RULES)
    assert result.is_blank and result.excluded == ()


def test_lines_are_in_order_of_decision() -> None:
    later = conviction(id="CJ-0002", decided_on=dt.date(2022, 1, 1))
    earlier = conviction(id="CJ-0001", decided_on=dt.date(2019, 1, 1))
    assert bulletin([later, earlier], 1, on=TODAY, rules=RULES).entry_ids == ("CJ-0001", "CJ-0002")


# --------------------------------------------------------------------------------------------
# Contraventions, minors, disqualifications


def test_contravention_is_on_b1_only() -> None:
    """b2_excludes_contraventions."""
    entry = conviction(category="contravention", sentences=(fine(18_000),))
    assert shown_on(entry) == {1}
    assert exclusion(entry, 3).parameter == "b2_excludes_contraventions"


def test_educational_measure_for_a_minor_is_on_b1_only() -> None:
    """b2_excludes_minor_measures."""
    measure = Sentence(kind="educational_measure", description="placement en centre éducatif")
    entry = conviction(sentences=(measure,), minor_at_offence=True)
    assert shown_on(entry) == {1}
    assert exclusion(entry, 2).reason == "minor_measure"
    assert bulletin([entry], 1, on=TODAY, rules=RULES).lines[0].sentence_text == (
        "placement en centre éducatif"
    )


def test_penalty_against_a_minor_goes_to_a_clerk() -> None:
    """b2_excludes_minor_measures covers measures only; a penalty is for a clerk to decide."""
    entry = conviction(sentences=(prison(36),), minor_at_offence=True)
    result = bulletin([entry], 3, on=TODAY, rules=RULES)
    assert result.entry_ids == (entry.id,)
    assert [r.reason for r in result.reviews] == ["minor_penalty"]


def test_licence_suspension_is_on_b3_while_in_force() -> None:
    """b3_includes_disqualifications."""
    licence = Sentence(kind="suspended_licence", months=18)
    entry = conviction(decided_on=dt.date(2024, 6, 1), sentences=(fine(100_000), licence))
    assert shown_on(entry) == {1, 2, 3}
    assert shown_on(entry, on=dt.date(2025, 12, 1)) == {1, 2, 3}
    assert shown_on(entry, on=dt.date(2025, 12, 2)) == {1, 2}
    assert shown_on(entry, rules=RULES.with_changes(b3_includes_disqualifications=False)) == {1, 2}


def test_other_penalty_kept_off_b3_goes_to_a_clerk() -> None:
    """b3_includes_disqualifications: is an "other penalty" a disqualification in force?"""
    other = Sentence(kind="other_penalty", description="interdiction de séjour")
    result = bulletin([conviction(sentences=(other,))], 3, on=TODAY, rules=RULES)
    assert result.is_blank
    assert [r.reason for r in result.reviews] == ["other_penalty"]
    assert not result.can_issue_automatically


# --------------------------------------------------------------------------------------------
# What cannot be decided automatically


@pytest.mark.parametrize(
    ("flags", "reason"),
    [
        ({"final": False}, "not_final"),
        ({"by_default": True}, "by_default"),
        ({"foreign_court": True}, "foreign_court"),
        ({"final_on": dt.date(2025, 7, 1)}, "not_final"),
    ],
)
def test_uncertain_decision_is_printed_but_needs_review(flags: dict, reason: str) -> None:
    entry = conviction(**flags)
    for number in (1, 2, 3):
        result = bulletin([entry], number, on=TODAY, rules=RULES)
        assert result.entry_ids == (entry.id,)
        assert result.needs_review == (entry.id,)
        assert [r.reason for r in result.reviews] == [reason]


def test_uncertainty_about_an_entry_left_off_for_a_sure_reason_needs_no_review() -> None:
    """b3_min_unsuspended_imprisonment_months: a non-final 6 months cannot be on B3 anyway."""
    result = bulletin([conviction(sentences=(prison(6),), final=False)], 3, on=TODAY, rules=RULES)
    assert result.is_blank and result.can_issue_automatically


def test_clean_b3_can_be_issued_automatically() -> None:
    casier = [
        conviction(id="CJ-0001", sentences=(prison(36),)),
        conviction(id="CJ-0002", category="contravention", sentences=(fine(18_000),)),
    ]
    result = bulletin(casier, 3, on=TODAY, rules=RULES)
    assert result.entry_ids == ("CJ-0001",)
    assert result.can_issue_automatically


# --------------------------------------------------------------------------------------------
# The rules as data


def test_lowering_the_b3_threshold_to_twelve_months_puts_eighteen_months_on_b3() -> None:
    """b3_min_unsuspended_imprisonment_months changed by a magistrate with with_changes."""
    entry = conviction(sentences=(prison(18),))
    assert shown_on(entry) == {1, 2}
    rules = RULES.with_changes(b3_min_unsuspended_imprisonment_months=12)
    assert shown_on(entry, rules=rules) == {1, 2, 3}
    assert rules.b3_min_unsuspended_imprisonment_months.citation == MODEL_CITATION
    assert RULES.b3_min_unsuspended_imprisonment_months.value == 24  # the original is unchanged


def test_keeping_contraventions_on_b2_is_a_parameter() -> None:
    """b2_excludes_contraventions."""
    entry = conviction(category="contravention", sentences=(fine(18_000),))
    assert shown_on(entry, rules=RULES.with_changes(b2_excludes_contraventions=False)) == {1, 2}


def test_a_magistrate_can_replace_a_whole_parameter_with_its_confirmed_citation() -> None:
    confirmed = RuleParameter(
        name="suspension_test_period_years",
        value=3,
        citation="CPP (Mali) art. X — as read by the magistrate",
        confirmed=True,
        explanation="confirmed",
    )
    rules = RULES.with_changes(suspension_test_period_years=confirmed)
    assert rules.suspension_test_period_years is confirmed
    assert "suspension_test_period_years" not in rules.unconfirmed


@pytest.mark.parametrize(
    "change",
    [
        {"no_such_rule": True},
        {"b3_min_unsuspended_imprisonment_months": True},
        {"b3_min_unsuspended_imprisonment_months": "24"},
        {"b3_min_unsuspended_imprisonment_months": -1},
        {"b2_excludes_contraventions": 1},
        {"b2_excludes_contraventions": RULES.b2_excludes_amnestied},
    ],
)
def test_with_changes_refuses_unknown_parameters_and_wrong_values(change: dict) -> None:
    with pytest.raises(RuleError):
        RULES.with_changes(**change)
    with pytest.raises(ValueError):  # the Django layer catches ValueError
        RULES.with_changes(**change)


def test_default_rules_are_all_unconfirmed_and_cite_the_french_model() -> None:
    parameters = RULES.parameters()
    assert len(parameters) == len(dataclasses.fields(BulletinRules))
    assert RULES.unconfirmed == tuple(p.name for p in parameters)
    for parameter in parameters:
        assert parameter.citation == (
            "CPP (Mali) — article to confirm; modelled on the French-derived code "
            "(cf. French CPP art. 774, 775, 777)"
        )
        assert parameter.explanation


# --------------------------------------------------------------------------------------------
# Bad input


def test_bad_casier_data_is_refused() -> None:
    with pytest.raises(CasierDataError):
        Sentence(kind="flogging")
    with pytest.raises(CasierDataError):
        Sentence(kind="imprisonment", months=6, probation=True)
    with pytest.raises(CasierDataError):
        EntryEvent(kind="pardon", on=TODAY, quashed=True)
    with pytest.raises(CasierDataError):
        conviction(category="misdemeanour")
    with pytest.raises(CasierDataError):
        conviction(events=(event("pardon", DECIDED - dt.timedelta(days=1)),))
    with pytest.raises(CasierDataError):
        bulletin([conviction(), conviction()], 1, on=TODAY, rules=RULES)
    with pytest.raises(BulletinError):
        bulletin([], 4, on=TODAY, rules=RULES)  # type: ignore[arg-type]


def test_the_rules_module_imports_no_django_and_no_app() -> None:
    tree = ast.parse(Path(module.__file__).read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.startswith(("django", "jamana"))}


# --------------------------------------------------------------------------------------------
# Properties over any casier


_DAY0 = dt.date(2000, 1, 1)
_days = st.integers(min_value=0, max_value=30 * 366)


@st.composite
def sentences(draw: st.DrawFn) -> Sentence:
    kind = draw(st.sampled_from(module.SENTENCE_KINDS))
    suspended = draw(st.booleans())
    return Sentence(
        kind=kind,
        months=draw(st.none() | st.integers(min_value=0, max_value=120)),
        suspended=suspended,
        probation=suspended and draw(st.booleans()),
        amount_xof=draw(st.none() | st.integers(min_value=0, max_value=10_000_000)),
    )


@st.composite
def entries(draw: st.DrawFn, entry_id: str) -> CasierEntry:
    decided_on = _DAY0 + dt.timedelta(days=draw(_days))
    offsets = draw(st.lists(st.integers(min_value=0, max_value=4000), max_size=4, unique=True))
    events = []
    for offset in offsets:
        kind = draw(st.sampled_from(EVENT_KINDS))
        ruling = kind in ("appeal", "cassation")
        quashed = ruling and draw(st.integers(0, 3)) == 0
        new = (
            draw(st.tuples(sentences()) | st.just(()))
            if ruling and not quashed and draw(st.booleans())
            else None
        )
        events.append(
            EntryEvent(
                kind=kind,
                on=decided_on + dt.timedelta(days=offset),
                new_sentences=new,
                quashed=quashed,
            )
        )
    final = draw(st.booleans())
    return CasierEntry(
        id=entry_id,
        court="Tribunal",
        decided_on=decided_on,
        decision_number=entry_id,
        offence_label="offence",
        category=draw(st.sampled_from(module.CATEGORIES)),
        sentences=tuple(draw(st.lists(sentences(), max_size=3))),
        final=final,
        minor_at_offence=draw(st.booleans()),
        by_default=draw(st.booleans()),
        foreign_court=draw(st.booleans()),
        court_ordered_b3=draw(st.booleans()),
        events=tuple(events),
    )


@st.composite
def casiers(draw: st.DrawFn) -> list[CasierEntry]:
    size = draw(st.integers(min_value=0, max_value=5))
    return [draw(entries(f"CJ-{i:04d}")) for i in range(size)]


@st.composite
def any_rules(draw: st.DrawFn) -> BulletinRules:
    values: dict[str, object] = {}
    for parameter in RULES.parameters():
        if isinstance(parameter.value, bool):
            values[parameter.name] = draw(st.booleans())
        else:
            values[parameter.name] = draw(st.integers(min_value=0, max_value=60))
    return RULES.with_changes(**values)


_dates = _days.map(lambda d: _DAY0 + dt.timedelta(days=d))


def _all_three(casier: list[CasierEntry], on: dt.date, rules: BulletinRules) -> list[Bulletin]:
    return [bulletin(casier, n, on=on, rules=rules) for n in (1, 2, 3)]


@settings(max_examples=300, deadline=None)
@given(casier=casiers(), on=_dates, rules=any_rules())
def test_b3_is_within_b2_which_is_within_b1_whatever_the_rules(casier, on, rules) -> None:
    b1, b2, b3 = _all_three(casier, on, rules)
    assert set(b3.entry_ids) <= set(b2.entry_ids) <= set(b1.entry_ids)


@settings(max_examples=300, deadline=None)
@given(casier=casiers(), on=_dates, rules=any_rules())
def test_cancelled_or_quashed_entry_never_appears(casier, on, rules) -> None:
    gone = {e.id for e in casier if e.is_cancelled(on=on) or e.is_quashed(on=on)}
    for result in _all_three(casier, on, rules):
        assert not gone & set(result.entry_ids)


@settings(max_examples=300, deadline=None)
@given(casier=casiers(), on=_dates, rules=any_rules())
def test_every_entry_in_the_casier_that_day_is_printed_or_excluded_with_a_citation(
    casier, on, rules
) -> None:
    recorded = {e.id for e in casier if e.decided_on <= on}
    for result in _all_three(casier, on, rules):
        excluded = [x.entry_id for x in result.excluded]
        assert sorted([*result.entry_ids, *excluded]) == sorted(recorded)
        assert all(x.citation for x in result.excluded)
        assert set(result.needs_review) <= recorded


@settings(max_examples=200, deadline=None)
@given(casier=casiers(), on=_dates, rules=any_rules())
def test_events_after_the_date_and_the_order_of_events_change_nothing(casier, on, rules) -> None:
    # Events of one entry fall on distinct days here: same-day events keep their recorded order.
    trimmed = [
        dataclasses.replace(e, events=tuple(reversed([x for x in e.events if x.on <= on])))
        for e in casier
    ]
    assert _all_three(casier, on, rules) == _all_three(trimmed, on, rules)
