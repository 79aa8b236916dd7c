"""Review scores, weighted totals and the ranking of a post (jamana.calls.ranking): pure rules,
no database. Every tie-break rule of TIE_BREAK_RULES has its own test, in order."""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jamana.calls import ranking as module
from jamana.calls.ranking import (
    TIE_BREAK_RULES,
    Candidate,
    Placement,
    Subject,
    draw_digest,
    eliminating_subject,
    exam_part,
    rank_post,
    review_score,
    weighted_total,
)

D = Decimal
THRESHOLD = D(20)
SEED = "FP-2026-CAT-A/ADMIN:7f3a"


# --------------------------------------------------------------------------------------------
# Factories: plain functions with keyword-only defaults.


def candidate(
    key: str,
    *,
    total: str | None = "60",
    exam: str | None = None,
    review: str | None = None,
    birth_date: dt.date | None = None,
    eliminated_by: str = "",
) -> Candidate:
    return Candidate(
        key=key,
        total=None if total is None else D(total),
        exam=None if exam is None else D(exam),
        review=None if review is None else D(review),
        birth_date=birth_date,
        eliminated_by=eliminated_by,
    )


def rank(
    candidates: list[Candidate],
    *,
    seats: int = 10,
    waiting_list: int = 0,
    pass_mark: str | None = None,
    draw_seed: str = SEED,
) -> list[Placement]:
    return rank_post(
        candidates,
        seats=seats,
        waiting_list=waiting_list,
        pass_mark=None if pass_mark is None else D(pass_mark),
        draw_seed=draw_seed,
    )


def order(placements: list[Placement]) -> list[str]:
    return [p.key for p in placements]


MATHS = Subject(code="maths", max=D(20), coefficient=3, eliminatory=D(5))
FRENCH = Subject(code="french", max=D(20), coefficient=2, eliminatory=None)
CULTURE = Subject(code="culture", max=D(40), coefficient=1, eliminatory=D(8))


# --------------------------------------------------------------------------------------------
# Review score from the reviewers' totals


def test_an_application_with_fewer_than_two_reviews_has_no_score_yet() -> None:
    assert review_score([], threshold=THRESHOLD) == (None, False)
    assert review_score([D(70)], threshold=THRESHOLD) == (None, False)


def test_two_close_reviews_are_averaged() -> None:
    assert review_score([D("62.5"), D(71)], threshold=THRESHOLD) == (D("66.75"), False)


def test_two_reviews_exactly_the_threshold_apart_are_still_averaged() -> None:
    assert review_score([D(50), D(70)], threshold=THRESHOLD) == (D("60.00"), False)


def test_two_reviews_further_apart_than_the_threshold_need_an_arbitration_reviewer() -> None:
    assert review_score([D(50), D("70.01")], threshold=THRESHOLD) == (None, True)
    assert review_score([D(90), D(40)], threshold=THRESHOLD) == (None, True)


def test_after_arbitration_the_two_closest_totals_are_averaged() -> None:
    # 40 and 90 disagreed; the arbitrator's 82 sides with 90 and 40 is set aside.
    assert review_score([D(40), D(90), D(82)], threshold=THRESHOLD) == (D("86.00"), False)


def test_after_arbitration_equally_close_pairs_average_all_three() -> None:
    assert review_score([D(40), D(90), D(65)], threshold=THRESHOLD) == (D("65.00"), False)
    assert review_score([D(50), D(80), D(50)], threshold=THRESHOLD) == (D("50.00"), False)


def test_review_score_rounds_half_up_to_the_hundredth() -> None:
    # 70.025 would round to 70.02 under banker's rounding.
    assert review_score([D("70.02"), D("70.03")], threshold=THRESHOLD) == (D("70.03"), False)
    assert review_score([D(10), D(11), D(13)], threshold=THRESHOLD) == (D("10.50"), False)
    assert review_score([D(10), D(11), D(12)], threshold=THRESHOLD) == (D("11.00"), False)
    assert review_score([D(0), D(1), D(1), D(2)], threshold=THRESHOLD) == (D("1.00"), False)


def test_review_totals_outside_0_to_100_are_refused() -> None:
    with pytest.raises(ValueError, match="on 100"):
        review_score([D(50), D(101)], threshold=THRESHOLD)
    with pytest.raises(ValueError, match="threshold"):
        review_score([D(50), D(60)], threshold=D(-1))


_totals = st.decimals(min_value=0, max_value=100, places=2)


@given(totals=st.lists(_totals, min_size=3, max_size=3), data=st.data())
def test_review_score_ignores_the_order_of_the_reviews_and_stays_within_them(
    totals: list[Decimal], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(totals))
    score, arbitration = review_score(totals, threshold=THRESHOLD)
    assert (score, arbitration) == review_score(shuffled, threshold=THRESHOLD)
    assert score is not None
    assert arbitration is False
    assert min(totals) <= score <= max(totals)


# --------------------------------------------------------------------------------------------
# Weighted total on 100


def test_total_weights_the_review_and_each_subject_brought_to_100() -> None:
    # (70*1 + 12/20*100*3 + 15/20*100*2 + 30/40*100*1) / (1+3+2+1) = (70+180+150+75)/7
    total = weighted_total(
        review=D(70),
        review_coefficient=1,
        exam_marks={"maths": D(12), "french": D(15), "culture": D(30)},
        subjects=[MATHS, FRENCH, CULTURE],
    )
    assert total == D("67.86")


def test_a_review_coefficient_of_zero_leaves_only_the_exam() -> None:
    marks = {"maths": D(12), "french": D(15)}
    assert weighted_total(
        review=None, review_coefficient=0, exam_marks=marks, subjects=[MATHS, FRENCH]
    ) == D("66.00")
    assert weighted_total(
        review=D(100), review_coefficient=0, exam_marks=marks, subjects=[MATHS, FRENCH]
    ) == D("66.00")


def test_a_call_without_exam_ranks_on_the_review_alone() -> None:
    total = weighted_total(review=D("66.75"), review_coefficient=2, exam_marks={}, subjects=[])
    assert total == D("66.75")


def test_a_missing_mark_means_absent_and_no_total() -> None:
    subjects = [MATHS, FRENCH]
    for marks in ({"maths": D(12)}, {"maths": D(12), "french": None}):
        assert (
            weighted_total(review=D(70), review_coefficient=1, exam_marks=marks, subjects=subjects)
            is None
        )
    assert exam_part(exam_marks={"maths": D(12)}, subjects=subjects) is None


def test_no_total_while_the_review_counts_but_is_not_done() -> None:
    total = weighted_total(
        review=None, review_coefficient=1, exam_marks={"maths": D(12)}, subjects=[MATHS]
    )
    assert total is None


def test_total_rounds_half_up_to_the_hundredth() -> None:
    # 0.5/40*100 = 1.25 and coefficient 2 over 4 → 0.625 → 0.63 (banker's: 0.62).
    subject = Subject(code="oral", max=D(40), coefficient=2, eliminatory=None)
    total = weighted_total(
        review=D(0), review_coefficient=2, exam_marks={"oral": D("0.5")}, subjects=[subject]
    )
    assert total == D("0.63")


def test_inconsistent_marks_and_coefficients_are_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        weighted_total(
            review=D(50), review_coefficient=1, exam_marks={"maths": D(21)}, subjects=[MATHS]
        )
    with pytest.raises(ValueError, match="unknown subjects"):
        weighted_total(
            review=D(50), review_coefficient=1, exam_marks={"physics": D(10)}, subjects=[MATHS]
        )
    with pytest.raises(ValueError, match="counts"):
        weighted_total(review=D(50), review_coefficient=0, exam_marks={}, subjects=[])
    with pytest.raises(ValueError, match="eliminatory"):
        Subject(code="maths", max=D(20), coefficient=1, eliminatory=D(25))


def test_exam_part_is_the_exam_alone_on_100() -> None:
    marks = {"maths": D(12), "french": D(15), "culture": D(30)}
    # (180 + 150 + 75) / 6
    assert exam_part(exam_marks=marks, subjects=[MATHS, FRENCH, CULTURE]) == D("67.50")
    assert exam_part(exam_marks={}, subjects=[]) is None


def test_a_mark_strictly_below_the_eliminatory_mark_eliminates() -> None:
    subjects = [MATHS, FRENCH, CULTURE]
    at_the_mark = {"maths": D(5), "french": D(0), "culture": D(8)}
    assert eliminating_subject(exam_marks=at_the_mark, subjects=subjects) == ""
    below = {"maths": D("4.75"), "french": D(15), "culture": D("7.5")}
    assert eliminating_subject(exam_marks=below, subjects=subjects) == "maths"
    assert eliminating_subject(exam_marks={"culture": D(2)}, subjects=subjects) == "culture"


# --------------------------------------------------------------------------------------------
# Ranking: the tie-break rules, in order


def test_higher_total_ranks_first() -> None:
    placements = rank([candidate("1", total="55"), candidate("2", total="72.5")])
    assert [(p.key, p.rank) for p in placements] == [("2", 1), ("1", 2)]


def test_equal_totals_are_separated_by_the_exam_part() -> None:
    placements = rank(
        [
            candidate("1", total="60", exam="58", review="65"),
            candidate("2", total="60", exam="62", review="55"),
        ]
    )
    assert order(placements) == ["2", "1"]


def test_equal_totals_and_exam_parts_are_separated_by_the_review() -> None:
    placements = rank(
        [
            candidate("1", exam="58", review="55", birth_date=dt.date(1990, 1, 1)),
            candidate("2", exam="58", review="65", birth_date=dt.date(2000, 1, 1)),
        ]
    )
    assert order(placements) == ["2", "1"]


def test_a_missing_exam_or_review_part_comes_after_a_known_one() -> None:
    assert order(rank([candidate("1", exam=None), candidate("2", exam="0")])) == ["2", "1"]
    assert order(rank([candidate("1", review=None), candidate("2", review="0")])) == ["2", "1"]


def test_then_the_older_candidate_ranks_first() -> None:
    placements = rank(
        [
            candidate("1", birth_date=dt.date(1996, 3, 2)),
            candidate("2", birth_date=dt.date(1996, 3, 1)),
            candidate("3", birth_date=None),
        ]
    )
    assert order(placements) == ["2", "1", "3"]


def test_full_ties_are_broken_by_a_draw_anyone_can_recompute() -> None:
    keys = [str(n) for n in range(1, 9)]
    placements = rank([candidate(key) for key in keys])
    expected = sorted(keys, key=lambda k: hashlib.sha256(f"{SEED}:{k}".encode()).hexdigest())
    assert order(placements) == expected
    assert [p.rank for p in placements] == list(range(1, 9))
    assert order(rank([candidate(key) for key in keys], draw_seed="another seed")) != expected


def test_draw_is_the_sha256_of_seed_colon_candidate_number() -> None:
    assert draw_digest("seed", "123") == hashlib.sha256(b"seed:123").hexdigest()
    assert "SHA-256" in TIE_BREAK_RULES[-1]
    assert len(TIE_BREAK_RULES) == 5


def test_totals_equal_to_the_hundredth_are_tied() -> None:
    # Published as 75.00 both: the exam part decides, not the hidden third decimal.
    placements = rank(
        [candidate("1", total="75.004", exam="70"), candidate("2", total="75.001", exam="80")]
    )
    assert order(placements) == ["2", "1"]


# --------------------------------------------------------------------------------------------
# Ranking: seats, waiting list and exclusions


def test_seats_are_admitted_then_the_waiting_list_then_the_rest() -> None:
    candidates = [candidate(str(n), total=str(90 - n)) for n in range(1, 7)]
    placements = rank(candidates, seats=2, waiting_list=3)
    assert [(p.key, p.rank, p.outcome, p.reason) for p in placements] == [
        ("1", 1, "admitted", ""),
        ("2", 2, "admitted", ""),
        ("3", 3, "waiting", ""),
        ("4", 4, "waiting", ""),
        ("5", 5, "waiting", ""),
        ("6", 6, "not_admitted", "beyond_seats"),
    ]


def test_no_seat_puts_everyone_ranked_on_the_waiting_list() -> None:
    placements = rank([candidate("1"), candidate("2")], seats=0, waiting_list=1)
    assert sorted(p.outcome for p in placements) == ["not_admitted", "waiting"]


def test_a_total_exactly_at_the_pass_mark_is_ranked_and_below_it_is_not() -> None:
    placements = rank(
        [candidate("1", total="50"), candidate("2", total="49.99")], seats=5, pass_mark="50"
    )
    assert placements == [
        Placement("1", 1, "admitted", ""),
        Placement("2", None, "not_admitted", "below_pass_mark"),
    ]


def test_absent_and_eliminated_candidates_are_not_ranked_and_say_why() -> None:
    placements = rank(
        [
            candidate("3", total="95", eliminated_by="maths"),
            candidate("1", total=None),
            candidate("2", total="40"),
            candidate("4", total=None, eliminated_by="french"),
        ],
        pass_mark="50",
    )
    assert [(p.key, p.rank, p.outcome, p.reason) for p in placements] == [
        ("1", None, "not_admitted", "absent"),
        ("2", None, "not_admitted", "below_pass_mark"),
        ("3", None, "not_admitted", "eliminatory:maths"),
        ("4", None, "not_admitted", "absent"),
    ]


def test_unranked_candidates_come_after_the_ranked_ones_in_candidate_number_order() -> None:
    placements = rank(
        [
            candidate("10", total=None),
            candidate("9", total=None),
            candidate("100", total="20"),
            candidate("2", total=None),
        ]
    )
    assert order(placements) == ["100", "2", "9", "10"]
    assert placements[0].rank == 1


def test_duplicate_candidate_numbers_are_refused() -> None:
    with pytest.raises(ValueError, match="candidate number"):
        rank([candidate("1"), candidate("1", total="70")])
    with pytest.raises(ValueError, match="negative"):
        rank([candidate("1")], seats=-1)


# --------------------------------------------------------------------------------------------
# Properties over any post

_values = st.sampled_from(["40", "55.5", "60", "72.25"])
_candidates = st.lists(
    st.builds(
        candidate,
        st.integers(min_value=1, max_value=500).map(str),
        total=st.none() | _values,
        exam=st.none() | _values,
        review=st.none() | _values,
        birth_date=st.none() | st.sampled_from([dt.date(1995, 1, 1), dt.date(1999, 6, 30)]),
        eliminated_by=st.sampled_from(["", "", "", "maths"]),
    ),
    max_size=25,
    unique_by=lambda c: c.key,
)
_layout = {
    "seats": st.integers(min_value=0, max_value=8),
    "waiting_list": st.integers(min_value=0, max_value=5),
    "pass_mark": st.none() | _values,
}


@given(candidates=_candidates, data=st.data(), **_layout)
def test_ranking_ignores_input_order(
    candidates: list[Candidate],
    data: st.DataObject,
    seats: int,
    waiting_list: int,
    pass_mark: str | None,
) -> None:
    shuffled = data.draw(st.permutations(candidates))
    layout = {"seats": seats, "waiting_list": waiting_list, "pass_mark": pass_mark}
    assert rank(shuffled, **layout) == rank(candidates, **layout)  # type: ignore[arg-type]


@given(candidates=_candidates, **_layout)
def test_every_candidate_is_placed_once_with_distinct_ranks_by_merit(
    candidates: list[Candidate], seats: int, waiting_list: int, pass_mark: str | None
) -> None:
    placements = rank(candidates, seats=seats, waiting_list=waiting_list, pass_mark=pass_mark)
    assert sorted(order(placements)) == sorted(c.key for c in candidates)
    ranked = [p for p in placements if p.rank is not None]
    assert [p.rank for p in ranked] == list(range(1, len(ranked) + 1))
    assert placements[: len(ranked)] == ranked  # ranked first, then the others
    outcomes = [p.outcome for p in ranked]
    admitted = min(seats, len(ranked))
    waiting = min(waiting_list, len(ranked) - admitted)
    assert outcomes == (
        ["admitted"] * admitted
        + ["waiting"] * waiting
        + ["not_admitted"] * (len(ranked) - admitted - waiting)
    )
    by_key = {c.key: c for c in candidates}
    totals = [by_key[p.key].total for p in ranked]
    assert totals == sorted(totals, reverse=True)  # type: ignore[type-var]
    for p in ranked:
        c = by_key[p.key]
        assert c.total is not None and not c.eliminated_by
        assert pass_mark is None or c.total >= D(pass_mark)


# --------------------------------------------------------------------------------------------
# Boundaries of the module


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
