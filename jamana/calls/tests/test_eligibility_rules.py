"""Whether an applicant meets a call's conditions (jamana.calls.eligibility): pure rules, no
database. Ages are counted at the call's reference date; undecidable checks go to an agent."""

from __future__ import annotations

import ast
import calendar
import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jamana.calls import eligibility as module
from jamana.calls.eligibility import (
    STATE_HELD_DOCUMENTS,
    ApplicantFacts,
    Check,
    EligibilityRules,
    age_on,
    check_eligibility,
    verdict,
)

ORDER = ("def", "cap", "bac", "bac2", "licence", "master", "doctorate")
REFERENCE = dt.date(2026, 12, 31)


# --------------------------------------------------------------------------------------------
# Factories: plain functions with keyword-only defaults. The default call has no condition at
# all; the default applicant has everything fetched and meets anything a test turns on.


def rules(
    *,
    min_age: int | None = None,
    max_age: int | None = None,
    reference_date: dt.date | None = REFERENCE,
    nationality_required: bool = False,
    exclude_civil_servants: bool = False,
    clean_record_required: bool = False,
    min_diploma: str = "",
    required_documents: frozenset[str] = frozenset(),
) -> EligibilityRules:
    return EligibilityRules(
        min_age=min_age,
        max_age=max_age,
        reference_date=reference_date,
        nationality_required=nationality_required,
        exclude_civil_servants=exclude_civil_servants,
        clean_record_required=clean_record_required,
        min_diploma=min_diploma,
        required_documents=required_documents,
    )


def facts(
    *,
    birth_date: dt.date | None = dt.date(1998, 5, 14),
    birth_date_precision: str = "day",
    has_birth_act: bool | None = True,
    nationality: str | None = "certified",
    criminal_record: str | None = "clean",
    declared_not_civil_servant: bool = True,
    diploma_level: str = "licence",
    documents: frozenset[str] = frozenset(),
    pending_documents: frozenset[str] = frozenset(),
) -> ApplicantFacts:
    return ApplicantFacts(
        birth_date=birth_date,
        birth_date_precision=birth_date_precision,
        has_birth_act=has_birth_act,
        nationality=nationality,
        criminal_record=criminal_record,
        declared_not_civil_servant=declared_not_civil_servant,
        diploma_level=diploma_level,
        documents=documents,
        pending_documents=pending_documents,
    )


def check(code: str, the_rules: EligibilityRules, the_facts: ApplicantFacts) -> Check:
    """The one check with this code (fails the test if absent or repeated)."""
    (found,) = [c for c in check_eligibility(the_rules, the_facts, ORDER) if c.code == code]
    return found


def codes(the_rules: EligibilityRules, the_facts: ApplicantFacts) -> list[str]:
    return [c.code for c in check_eligibility(the_rules, the_facts, ORDER)]


def years_before(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year - years)


# --------------------------------------------------------------------------------------------
# age_on: completed years


def test_age_counts_completed_years_and_turns_on_the_birthday() -> None:
    birth = dt.date(2000, 7, 15)
    assert age_on(birth, dt.date(2026, 7, 14)) == 25
    assert age_on(birth, dt.date(2026, 7, 15)) == 26


def test_born_on_29_february_turns_a_year_older_on_1_march_in_a_non_leap_year() -> None:
    birth = dt.date(2008, 2, 29)
    assert age_on(birth, dt.date(2026, 2, 28)) == 17
    assert age_on(birth, dt.date(2026, 3, 1)) == 18


def test_born_on_29_february_turns_a_year_older_on_29_february_in_a_leap_year() -> None:
    birth = dt.date(2008, 2, 29)
    assert age_on(birth, dt.date(2028, 2, 28)) == 19
    assert age_on(birth, dt.date(2028, 2, 29)) == 20


@given(
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)),
    later=st.integers(min_value=0, max_value=400),
    on=st.dates(min_value=dt.date(2021, 1, 1), max_value=dt.date(2100, 12, 31)),
)
def test_someone_born_later_is_never_older(birth: dt.date, later: int, on: dt.date) -> None:
    younger = birth + dt.timedelta(days=later)
    assert age_on(younger, on) <= age_on(birth, on)
    assert age_on(birth, on) - age_on(younger, on) <= later // 365 + 1


# --------------------------------------------------------------------------------------------
# Age limits at the reference date


def test_candidate_exactly_at_min_age_on_reference_date_is_eligible() -> None:
    result = check("age_min", rules(min_age=18), facts(birth_date=years_before(REFERENCE, 18)))
    assert result == Check(
        "age_min", True, {"min_age": 18, "reference_date": "2026-12-31", "age": 18}
    )


def test_candidate_turning_min_age_the_day_after_the_reference_date_is_not_eligible() -> None:
    birth = years_before(REFERENCE, 18) + dt.timedelta(days=1)
    result = check("age_min", rules(min_age=18), facts(birth_date=birth))
    assert result.ok is False
    assert result.params["age"] == 17


def test_candidate_exactly_at_max_age_on_reference_date_is_eligible() -> None:
    # Turned 35 on the reference date itself: still "at most 35 years old" that day.
    result = check("age_max", rules(max_age=35), facts(birth_date=years_before(REFERENCE, 35)))
    assert result.ok is True
    assert result.params == {"max_age": 35, "reference_date": "2026-12-31", "age": 35}


def test_candidate_turning_one_above_max_age_on_reference_date_is_not_eligible() -> None:
    result = check("age_max", rules(max_age=35), facts(birth_date=years_before(REFERENCE, 36)))
    assert result.ok is False
    assert result.params["age"] == 36


def test_candidate_aged_max_age_for_the_whole_year_before_is_still_eligible() -> None:
    # 35 until the eve of their 36th birthday, which falls the day after the reference date.
    birth = years_before(REFERENCE, 36) + dt.timedelta(days=1)
    assert check("age_max", rules(max_age=35), facts(birth_date=birth)).ok is True


def test_born_on_29_february_is_of_age_on_1_march_of_a_non_leap_year() -> None:
    the_rules = rules(min_age=18, reference_date=dt.date(2026, 3, 1))
    assert check("age_min", the_rules, facts(birth_date=dt.date(2008, 2, 29))).ok is True
    the_rules = rules(min_age=18, reference_date=dt.date(2026, 2, 28))
    assert check("age_min", the_rules, facts(birth_date=dt.date(2008, 2, 29))).ok is False


def test_birth_month_known_only_is_decided_when_every_day_of_the_month_agrees() -> None:
    # Reference 31 Dec 2026; born in March 2008: 18 whichever day.
    result = check(
        "age_min",
        rules(min_age=18),
        facts(birth_date=dt.date(2008, 3, 1), birth_date_precision="month"),
    )
    assert result.ok is True
    assert result.params["age"] == 18


def test_birth_month_straddling_the_limit_goes_to_an_agent() -> None:
    # Reference 15 June 2026, born in June 2008: 17 or 18 depending on the day.
    the_rules = rules(min_age=18, reference_date=dt.date(2026, 6, 15))
    result = check(
        "age_min", the_rules, facts(birth_date=dt.date(2008, 6, 1), birth_date_precision="month")
    )
    assert result.ok is None
    assert result.params == {
        "min_age": 18,
        "reference_date": "2026-06-15",
        "age_from": 17,
        "age_to": 18,
        "birth_date_precision": "month",
        "reason": "imprecise_birth_date",
    }


def test_born_about_a_year_is_decided_when_the_whole_year_fails() -> None:
    # "Né vers 1990", stored 1 January 1990: 36 at least on 31 Dec 2026, above 35 every day.
    result = check(
        "age_max",
        rules(max_age=35),
        facts(birth_date=dt.date(1990, 1, 1), birth_date_precision="about"),
    )
    assert result.ok is False
    assert "reason" not in result.params


def test_born_about_a_year_is_tried_over_the_whole_year_not_only_1_january() -> None:
    # Reference 30 June 2026, "né vers 2008": 17 if born after 30 June, 18 otherwise.
    the_rules = rules(min_age=18, reference_date=dt.date(2026, 6, 30))
    about = facts(birth_date=dt.date(2008, 1, 1), birth_date_precision="about")
    assert check("age_min", the_rules, about).ok is None
    # The same stored date taken as exact would have passed.
    assert check("age_min", the_rules, dataclasses.replace(about, birth_date_precision="day")).ok


def test_birth_year_known_only_behaves_like_born_about() -> None:
    the_rules = rules(min_age=18, max_age=40, reference_date=dt.date(2026, 6, 30))
    year = facts(birth_date=dt.date(2008, 1, 1), birth_date_precision="year")
    about = dataclasses.replace(year, birth_date_precision="about")
    assert [c.ok for c in check_eligibility(the_rules, year, ORDER)] == [
        c.ok for c in check_eligibility(the_rules, about, ORDER)
    ]


@given(
    birth=st.dates(min_value=dt.date(1960, 1, 1), max_value=dt.date(2012, 12, 31)),
    precision=st.sampled_from(["day", "month", "year", "about"]),
    limit=st.integers(min_value=14, max_value=60),
    reference=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)),
)
def test_imprecise_birth_date_agrees_with_trying_every_possible_day(
    birth: dt.date, precision: str, limit: int, reference: dt.date
) -> None:
    if precision == "day":
        days = [birth]
    elif precision == "month":
        last = calendar.monthrange(birth.year, birth.month)[1]
        days = [birth.replace(day=d) for d in range(1, last + 1)]
    else:
        first = dt.date(birth.year, 1, 1)
        days = [first + dt.timedelta(n) for n in range(366 if calendar.isleap(birth.year) else 365)]
    the_facts = facts(birth_date=birth, birth_date_precision=precision)
    the_rules = rules(min_age=limit, max_age=limit, reference_date=reference)
    for code, holds in (
        ("age_min", lambda day: age_on(day, reference) >= limit),
        ("age_max", lambda day: age_on(day, reference) <= limit),
    ):
        outcomes = {holds(day) for day in days}
        expected = outcomes.pop() if len(outcomes) == 1 else None
        assert check(code, the_rules, the_facts).ok is expected


def test_no_birth_date_leaves_the_age_checks_undecided() -> None:
    the_checks = check_eligibility(rules(min_age=18, max_age=35), facts(birth_date=None), ORDER)
    assert [(c.code, c.ok, c.params["reason"]) for c in the_checks] == [
        ("age_min", None, "no_birth_date"),
        ("age_max", None, "no_birth_date"),
    ]


def test_no_age_check_when_the_call_sets_no_age_limit() -> None:
    assert codes(rules(reference_date=None), facts()) == []
    assert codes(rules(max_age=35), facts()) == ["age_max"]


def test_an_age_limit_without_a_reference_date_is_refused() -> None:
    with pytest.raises(ValueError, match="reference date"):
        rules(min_age=18, reference_date=None)
    with pytest.raises(ValueError, match="above max_age"):
        rules(min_age=40, max_age=35)


def test_an_unknown_birth_date_precision_is_refused() -> None:
    with pytest.raises(ValueError, match="precision"):
        facts(birth_date_precision="decade")


# --------------------------------------------------------------------------------------------
# Diploma


@pytest.mark.parametrize(
    ("declared", "ok"),
    [("licence", True), ("master", True), ("doctorate", True), ("bac2", False), ("def", False)],
)
def test_diploma_must_rank_at_least_the_minimum(declared: str, ok: bool) -> None:
    result = check("diploma", rules(min_diploma="licence"), facts(diploma_level=declared))
    assert result == Check("diploma", ok, {"min_diploma": "licence", "diploma_level": declared})


def test_no_diploma_declared_is_not_eligible() -> None:
    assert check("diploma", rules(min_diploma="def"), facts(diploma_level="")).ok is False


def test_no_diploma_check_when_the_post_asks_for_none() -> None:
    assert codes(rules(), facts(diploma_level="")) == []


def test_an_unknown_diploma_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown minimum"):
        check_eligibility(rules(min_diploma="phd"), facts(), ORDER)
    with pytest.raises(ValueError, match="unknown diploma level"):
        check_eligibility(rules(min_diploma="bac"), facts(diploma_level="phd"), ORDER)


# --------------------------------------------------------------------------------------------
# Nationality, criminal record, civil servants


@pytest.mark.parametrize(
    ("nationality", "ok"), [("certified", True), ("requested", None), ("none", False), (None, None)]
)
def test_nationality_is_decided_by_the_certificate(
    nationality: str | None, ok: bool | None
) -> None:
    result = check("nationality", rules(nationality_required=True), facts(nationality=nationality))
    assert result.ok is ok
    assert result.params == {"status": nationality or "not_fetched"}


def test_a_required_certificate_of_nationality_is_checked_once_under_nationality() -> None:
    the_rules = rules(required_documents=frozenset({"nationality_certificate"}))
    assert codes(the_rules, facts(nationality="none")) == ["nationality"]
    assert check("nationality", the_rules, facts(nationality="none")).ok is False


def test_convictions_on_bulletin_3_fail_a_clean_record_condition_without_listing_them() -> None:
    result = check(
        "criminal_record", rules(clean_record_required=True), facts(criminal_record="convictions")
    )
    assert result == Check("criminal_record", False, {"status": "not_blank"})


def test_a_blank_bulletin_3_meets_the_clean_record_condition() -> None:
    result = check("criminal_record", rules(clean_record_required=True), facts())
    assert result == Check("criminal_record", True, {"status": "blank"})


def test_bulletin_3_asked_only_as_a_document_passes_and_does_not_hint_at_its_content() -> None:
    the_rules = rules(required_documents=frozenset({"criminal_record_b3"}))
    with_convictions = check("criminal_record", the_rules, facts(criminal_record="convictions"))
    blank = check("criminal_record", the_rules, facts(criminal_record="clean"))
    assert with_convictions == blank == Check("criminal_record", True, {"status": "issued"})
    assert codes(the_rules, facts()) == ["criminal_record"]


def test_civil_servants_excluded_unless_the_applicant_declares_not_being_one() -> None:
    the_rules = rules(exclude_civil_servants=True)
    assert check("civil_servant", the_rules, facts(declared_not_civil_servant=True)).ok is True
    assert check("civil_servant", the_rules, facts(declared_not_civil_servant=False)).ok is False
    assert codes(rules(), facts(declared_not_civil_servant=False)) == []


# --------------------------------------------------------------------------------------------
# Documents and consent


def test_required_uploaded_documents_are_present_pending_or_missing() -> None:
    the_rules = rules(required_documents=frozenset({"diploma", "cv", "project"}))
    the_facts = facts(documents=frozenset({"cv"}), pending_documents=frozenset({"diploma"}))
    assert [(c.code, c.ok, c.params) for c in check_eligibility(the_rules, the_facts, ORDER)] == [
        ("document:cv", True, {"kind": "cv", "status": "present"}),
        ("document:diploma", None, {"kind": "diploma", "status": "pending"}),
        ("document:project", False, {"kind": "project", "status": "missing"}),
    ]


def test_state_held_documents_are_reported_by_their_own_checks_not_twice() -> None:
    the_rules = rules(required_documents=STATE_HELD_DOCUMENTS | {"diploma"})
    the_facts = facts(documents=frozenset({"diploma"}))
    assert codes(the_rules, the_facts) == [
        "birth_act",
        "nationality",
        "criminal_record",
        "document:diploma",
    ]


def test_a_birth_act_not_found_in_etat_civil_fails() -> None:
    the_rules = rules(required_documents=frozenset({"birth_act"}))
    assert check("birth_act", the_rules, facts(has_birth_act=False)) == Check(
        "birth_act", False, {"status": "missing"}
    )
    assert check("birth_act", the_rules, facts()).ok is True


def test_documents_not_fetched_yet_ask_for_consent_and_stay_undecided() -> None:
    the_rules = rules(
        nationality_required=True,
        clean_record_required=True,
        required_documents=frozenset({"birth_act"}),
    )
    the_facts = facts(has_birth_act=None, nationality=None, criminal_record=None)
    the_checks = check_eligibility(the_rules, the_facts, ORDER)
    assert the_checks[0] == Check(
        "consent",
        None,
        {"documents": ["birth_act", "criminal_record_b3", "nationality_certificate"]},
    )
    assert {c.code: c.params for c in the_checks[1:]} == {
        "birth_act": {"status": "not_fetched"},
        "nationality": {"status": "not_fetched"},
        "criminal_record": {"status": "not_fetched"},
    }
    assert verdict(the_checks) is None


def test_consent_lists_only_what_the_call_needs() -> None:
    the_facts = facts(has_birth_act=None, nationality=None, criminal_record=None)
    assert check("consent", rules(nationality_required=True), the_facts).params == {
        "documents": ["nationality_certificate"]
    }
    assert "consent" not in codes(rules(nationality_required=True), facts())
    assert codes(rules(), the_facts) == []


# --------------------------------------------------------------------------------------------
# The bottom line


def test_verdict_is_false_when_any_check_fails_even_if_others_are_pending() -> None:
    assert verdict([Check("a", True), Check("b", None), Check("c", False)]) is False


def test_verdict_is_undecided_while_any_check_is_pending() -> None:
    assert verdict([Check("a", True), Check("b", None)]) is None


def test_verdict_is_eligible_when_every_check_passes_or_there_is_none() -> None:
    assert verdict([Check("a", True), Check("b", True)]) is True
    assert verdict([]) is True


def test_an_applicant_meeting_every_condition_is_eligible() -> None:
    the_rules = rules(
        min_age=18,
        max_age=35,
        nationality_required=True,
        exclude_civil_servants=True,
        clean_record_required=True,
        min_diploma="bac",
        required_documents=STATE_HELD_DOCUMENTS | {"diploma"},
    )
    the_checks = check_eligibility(the_rules, facts(documents=frozenset({"diploma"})), ORDER)
    assert [c.code for c in the_checks] == [
        "birth_act",
        "age_min",
        "age_max",
        "nationality",
        "criminal_record",
        "civil_servant",
        "diploma",
        "document:diploma",
    ]
    assert verdict(the_checks) is True


_kinds = st.frozensets(st.sampled_from(sorted(STATE_HELD_DOCUMENTS | {"diploma", "cv", "project"})))


@given(
    the_rules=st.builds(
        rules,
        min_age=st.none() | st.integers(0, 17),
        max_age=st.none() | st.integers(18, 60),
        nationality_required=st.booleans(),
        exclude_civil_servants=st.booleans(),
        clean_record_required=st.booleans(),
        min_diploma=st.sampled_from(("", *ORDER)),
        required_documents=_kinds,
    ),
    the_facts=st.builds(
        facts,
        birth_date=st.none() | st.dates(dt.date(1960, 1, 1), dt.date(2012, 12, 31)),
        birth_date_precision=st.sampled_from(["day", "month", "year", "about"]),
        has_birth_act=st.none() | st.booleans(),
        nationality=st.sampled_from([None, "certified", "requested", "none"]),
        criminal_record=st.sampled_from([None, "clean", "convictions"]),
        declared_not_civil_servant=st.booleans(),
        diploma_level=st.sampled_from(("", *ORDER)),
        documents=_kinds,
        pending_documents=_kinds,
    ),
)
def test_checks_are_unique_storable_and_never_name_a_conviction(
    the_rules: EligibilityRules, the_facts: ApplicantFacts
) -> None:
    the_checks = check_eligibility(the_rules, the_facts, ORDER)
    the_codes = [c.code for c in the_checks]
    assert len(the_codes) == len(set(the_codes))
    stored = json.loads(json.dumps([dataclasses.asdict(c) for c in the_checks]))
    assert stored == [dataclasses.asdict(c) for c in the_checks]
    assert "convictions" not in json.dumps(stored)
    assert not any(
        code.startswith("document:") and code[9:] in STATE_HELD_DOCUMENTS for code in the_codes
    )


# --------------------------------------------------------------------------------------------
# Boundaries of the module


def test_state_held_kinds_and_diploma_order_match_the_models() -> None:
    from jamana.calls.models import DIPLOMA_ORDER
    from jamana.calls.models import STATE_HELD_DOCUMENTS as MODEL_STATE_HELD

    assert {str(kind) for kind in MODEL_STATE_HELD} == STATE_HELD_DOCUMENTS
    assert tuple(DIPLOMA_ORDER) == ORDER


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
