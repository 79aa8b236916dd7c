"""The equal-treatment report: success rates and processing times by region of birth, sex and
channel against the applicant pool, small counts hidden so that nobody can be singled out,
published with the results — and never any ethnic data.

The rules are tested on hand-made rows, without a database. The page is tested on a
statistics fixture: a call and applications written directly (see ``_statistics_fixture``),
since only their final status, region of birth, sex, channel and dates are read."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
from django.apps import apps
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from jamana.calls import report
from jamana.calls.models import Application, ApplicationStatus, Call, CallPost, CallStatus
from jamana.calls.report import ReportRow, build_report
from jamana.core.geography import find_area, load_geography
from jamana.identity.actions import do_register_person
from jamana.identity.models import Person
from jamana.testing import make_citizen, make_organisation

SUBMITTED = dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC)
SVG = "{http://www.w3.org/2000/svg}"
MEASURES = ("applicants", "eligible", "admitted")


def rows(
    count: int,
    *,
    region: str = "Kayes",
    sex: str = "Female",
    channel: str = "Web",
    outcome: str = report.NOT_ADMITTED,
    days: float | None = 30,
) -> list[ReportRow]:
    decided = None if days is None else SUBMITTED + dt.timedelta(days=days)
    return [ReportRow(region, sex, channel, outcome, SUBMITTED, decided)] * count


def dimension(result: report.EqualTreatmentReport, key: str) -> dict[str, report.GroupResult]:
    found = next(d for d in result.dimensions if d.key == key)
    return {group.name: group for group in found.groups}


def labels(group: report.GroupResult) -> tuple[str, str, str]:
    return (group.applicants.label, group.eligible.label, group.admitted.label)


# ---------------------------------------------------------------- the rules, without a database


def test_success_rates_and_gaps_are_measured_against_the_pool():
    # Kayes: 50 applicants, 5 ineligible, 20 admitted (40 %); Sikasso: 50, 10 ineligible,
    # 10 admitted (20 %). The pool: 100 applicants, 30 admitted (30 %).
    result = build_report(
        rows(20, region="Kayes", outcome=report.ADMITTED)
        + rows(10, region="Kayes", outcome=report.WAITING)
        + rows(15, region="Kayes", outcome=report.NOT_ADMITTED)
        + rows(5, region="Kayes", outcome=report.INELIGIBLE)
        + rows(10, region="Sikasso", sex="Male", outcome=report.ADMITTED)
        + rows(30, region="Sikasso", sex="Male", outcome=report.NOT_ADMITTED)
        + rows(10, region="Sikasso", sex="Male", outcome=report.INELIGIBLE)
    )
    assert labels(result.total) == ("100", "85", "30")
    assert result.overall_rate == pytest.approx(0.30)

    regions = dimension(result, report.REGION)
    assert list(regions) == ["Kayes", "Sikasso"]
    kayes, sikasso = regions["Kayes"], regions["Sikasso"]
    assert labels(kayes) == ("50", "45", "20")
    assert labels(sikasso) == ("50", "40", "10")
    assert kayes.share_of_pool == sikasso.share_of_pool == pytest.approx(0.5)
    assert kayes.success_rate == pytest.approx(0.40)
    assert kayes.gap_points == pytest.approx(10.0)
    assert kayes.ratio_to_overall == pytest.approx(4 / 3)
    assert kayes.ratio_to_best == pytest.approx(1.0)
    assert sikasso.success_rate == pytest.approx(0.20)
    assert sikasso.gap_points == pytest.approx(-10.0)
    assert sikasso.ratio_to_overall == pytest.approx(2 / 3)
    assert sikasso.ratio_to_best == pytest.approx(0.5)
    # Each table adds up to the same pool.
    assert [g.applicants.value for g in dimension(result, report.SEX).values()] == [50, 50]
    assert dimension(result, report.CHANNEL)["Web"].applicants.value == 100


def test_a_group_of_three_is_hidden_and_cannot_be_worked_out_from_the_totals():
    result = build_report(
        rows(16, region="Bamako", outcome=report.ADMITTED)
        + rows(24, region="Bamako", outcome=report.NOT_ADMITTED)
        + rows(9, region="Kayes", outcome=report.ADMITTED)
        + rows(28, region="Kayes", outcome=report.NOT_ADMITTED)
        + rows(1, region="Kidal", outcome=report.ADMITTED)
        + rows(2, region="Kidal", outcome=report.NOT_ADMITTED)
    )
    regions = dimension(result, report.REGION)
    assert labels(regions["Kidal"]) == ("< 5", "< 5", "< 5")
    # Without a second hidden count in each column, 80 - 40 - 37 would give Kidal's 3: Kayes,
    # the smaller of the others, is masked. Its admitted count (9) is masked too, so that
    # 26 - 16 - 9 does not give Kidal's single admission.
    assert labels(regions["Kayes"]) == ("x", "x", "x")
    assert labels(regions["Bamako"]) == ("40", "40", "16")
    assert labels(result.total) == ("80", "80", "26")
    # No rate rests on a hidden count; Bamako's still shows.
    assert regions["Kidal"].success_rate is None and regions["Kayes"].success_rate is None
    assert regions["Bamako"].success_rate == pytest.approx(0.40)
    assert regions["Kidal"].median_days is None

    # What a reader can deduce from everything published: Kidal's counts stay open.
    possible = _what_a_reader_can_deduce(result, cap=100)
    assert possible[("region", "Kidal", "applicants")] == {1, 2, 3, 4}
    assert possible[("region", "Kidal", "admitted")] == {1, 2, 3, 4}
    assert possible[("region", "Kayes", "applicants")] == {36, 37, 38, 39}


def test_zero_is_published_and_a_masked_count_is_always_five_or_more():
    # Nobody from Kidal was admitted: a finding, not a secret.
    result = build_report(
        rows(20, region="Bamako", outcome=report.ADMITTED)
        + rows(20, region="Bamako")
        + rows(9, region="Kidal")
        + rows(7, region="Kayes")
        + rows(2, region="Gao", outcome=report.ADMITTED)
    )
    regions = dimension(result, report.REGION)
    assert labels(regions["Kidal"]) == ("9", "9", "0")
    assert regions["Kidal"].success_rate == 0
    # Gao's 2 applicants would be 58 - 40 - 9 - 7: Kayes's 7 is masked; its published zero
    # admitted could not hide anything, so Bamako's 20 admitted is masked instead.
    assert labels(regions["Gao"]) == ("< 5", "< 5", "< 5")
    assert labels(regions["Kayes"]) == ("x", "x", "0")
    assert regions["Bamako"].admitted.label == "x"

    # "x" always stands for min_count or more, never for a masked zero.
    figures = report.protect(
        {"a": 3, "b": 0, "c": 12, "total": 15},
        [["a", "b", "c", "total"]],
        printed={"a", "b", "c", "total"},
    )
    assert [figures[k].label for k in ("a", "b", "c", "total")] == ["< 5", "0", "x", "15"]


def test_the_tables_are_protected_together_since_they_share_their_totals():
    # Two women among 40 applicants: hidden in the sex table. Hiding one man's count there
    # would not be enough if the regions and channels left the total published alone.
    result = build_report(
        rows(38, region="Bamako", sex="Male") + rows(2, region="Kayes", sex="Female")
    )
    sexes = dimension(result, report.SEX)
    assert sexes["Female"].applicants.label == "< 5"
    assert sexes["Male"].applicants.label == "x"
    assert dimension(result, report.REGION)["Kayes"].applicants.label == "< 5"
    _assert_no_line_gives_a_small_count_away(result)


def test_a_hidden_difference_is_protected_too():
    # 40 applicants from Bamako, 38 of them eligible: printing both would say that 2 were not.
    result = build_report(
        rows(38, region="Bamako") + rows(2, region="Bamako", outcome=report.INELIGIBLE)
    )
    bamako = dimension(result, report.REGION)["Bamako"]
    assert [bamako.applicants.shown, bamako.eligible.shown].count(False) >= 1
    assert [result.total.applicants.shown, result.total.eligible.shown].count(False) >= 1


def test_median_processing_time_in_days():
    result = build_report(
        rows(1, region="Kayes", days=1)
        + rows(1, region="Kayes", days=2)
        + rows(1, region="Kayes", days=3.5)
        + rows(1, region="Kayes", days=10)
        + rows(1, region="Kayes", days=30)
        + rows(1, region="Ségou", days=2)
        + rows(1, region="Ségou", days=4)
        + rows(2, region="Ségou", days=5)
        + rows(2, region="Ségou", days=9)
        # Not decided yet (no date): counted, but not in the processing time.
        + rows(1, region="Ségou", days=None)
    )
    regions = dimension(result, report.REGION)
    assert regions["Kayes"].median_days == pytest.approx(3.5)
    assert regions["Ségou"].median_days == pytest.approx(5)  # 2, 4, 5 | 5, 9, 9
    assert result.total.median_days == pytest.approx(5)

    # Fewer than five decided applications: no median.
    few = build_report(rows(4, region="Kayes", days=2) + rows(5, region="Gao", days=None))
    assert dimension(few, report.REGION)["Kayes"].median_days is None
    assert few.total.median_days is None


def test_four_fifths_flags_a_clearly_disadvantaged_big_group_and_not_a_small_one():
    result = build_report(
        rows(40, region="Bamako", outcome=report.ADMITTED)
        + rows(60, region="Bamako")
        + rows(10, region="Sikasso", outcome=report.ADMITTED)
        + rows(90, region="Sikasso")
        # Five from Kidal, none admitted: 0 % is below four fifths, but five applicants
        # failing where 25 % succeed happens by chance one time in four.
        + rows(5, region="Kidal")
    )
    regions = dimension(result, report.REGION)
    assert regions["Sikasso"].ratio_to_best == pytest.approx(0.25)
    assert regions["Sikasso"].below_four_fifths
    assert regions["Kidal"].ratio_to_best == 0
    assert not regions["Kidal"].below_four_fifths
    assert not regions["Bamako"].below_four_fifths
    region_table = next(d for d in result.dimensions if d.key == report.REGION)
    assert [group.name for group in region_table.flagged] == ["Sikasso"]
    # A gap below one fifth is not flagged, however large the groups.
    close = build_report(
        rows(400, region="Bamako", outcome=report.ADMITTED)
        + rows(600, region="Bamako")
        + rows(340, region="Sikasso", outcome=report.ADMITTED)
        + rows(660, region="Sikasso")
    )
    assert not any(group.below_four_fifths for group in dimension(close, report.REGION).values())


def test_a_big_group_with_fewer_than_five_admitted_is_flagged_on_what_is_published():
    # Kidal: 100 applicants, 2 admitted — "< 5", so no rate; but even 4 in 100 is far below
    # four fifths of Bamako's 40 %, which the published "< 5" and "100" already say.
    result = build_report(
        rows(40, region="Bamako", outcome=report.ADMITTED)
        + rows(60, region="Bamako")
        + rows(38, region="Kayes", outcome=report.ADMITTED)
        + rows(62, region="Kayes")
        + rows(2, region="Kidal", outcome=report.ADMITTED)
        + rows(98, region="Kidal")
    )
    kidal = dimension(result, report.REGION)["Kidal"]
    assert (kidal.applicants.label, kidal.admitted.label) == ("100", "< 5")
    assert kidal.success_rate is None and kidal.ratio_to_best is None
    assert kidal.below_four_fifths


def test_fishers_exact_test():
    # 3 of 10 admitted, a group of 3: all three admitted has 1 chance in C(10, 3) = 120.
    assert report.fewer_admitted_p_value(
        admitted=2, group=3, pool_admitted=3, pool=10
    ) == pytest.approx(119 / 120)
    assert report.fewer_admitted_p_value(admitted=0, group=3, pool_admitted=3, pool=10) == (
        pytest.approx(35 / 120)
    )
    # Fast on a national competition.
    assert (
        report.fewer_admitted_p_value(admitted=120, group=3000, pool_admitted=2500, pool=50000)
        < 0.05
    )


def test_groups_keep_the_order_given_never_by_size():
    result = build_report(
        rows(9, region="Kayes") + rows(6, region="Bamako") + rows(7, region="Abroad"),
        order={report.REGION: ["Bamako", "Kayes"]},
    )
    assert list(dimension(result, report.REGION)) == ["Bamako", "Kayes", "Abroad"]


def test_an_unknown_outcome_is_refused():
    with pytest.raises(ValueError, match="unknown outcome"):
        build_report(rows(1, outcome="submitted"))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Bamako", "Kayes", "Kidal", "Abroad"]),
            st.sampled_from(["Female", "Male"]),
            st.sampled_from(["Web", "USSD", "Counter"]),
            st.sampled_from(report.OUTCOMES),
            st.integers(min_value=1, max_value=12),
        ),
        max_size=60,
    )
)
def test_no_table_line_gives_a_small_count_away(groups):
    result = build_report(
        [
            row
            for region, sex, channel, outcome, n in groups
            for row in rows(n, region=region, sex=sex, channel=channel, outcome=outcome)
        ]
    )
    _assert_no_line_gives_a_small_count_away(result)
    for group in [result.total, *(g for d in result.dimensions for g in d.groups)]:
        for figure in (group.applicants, group.eligible, group.admitted):
            assert figure.value is None or figure.value == 0 or figure.value >= 5
        if group.success_rate is not None:
            assert group.applicants.shown and group.admitted.shown


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Bamako", "Kayes", "Kidal"]),
            st.sampled_from(["Female", "Male"]),
            st.sampled_from(["Web", "USSD"]),
            st.sampled_from(report.OUTCOMES),
            st.integers(min_value=1, max_value=8),
        ),
        max_size=8,
    )
)
def test_no_small_count_can_be_worked_out_even_across_the_tables(groups):
    # Small calls, where hiding is hardest, searched exhaustively.
    report_rows = [
        row
        for region, sex, channel, outcome, n in groups
        for row in rows(n, region=region, sex=sex, channel=channel, outcome=outcome)
    ]
    assume(report.MIN_COUNT <= len(report_rows) <= 22)
    truth = _true_counts(report_rows)
    possible = _what_a_reader_can_deduce(build_report(report_rows), cap=len(report_rows) + 6)
    for key, values in possible.items():
        assert truth[key] in values, key
        if 0 < truth[key] < report.MIN_COUNT:
            assert len(values) > 1, (key, truth[key])


def test_a_pool_below_five_gets_no_tables():
    result = build_report(rows(1, region="Kidal") + rows(3, region="Gao"))
    assert result.total.applicants.label == "< 5"
    assert all(table.groups == () for table in result.dimensions)


# ---------------------------------------------------------------- what a reader can deduce


def _bounds(figure: report.Figure) -> tuple[float, float]:
    if figure.value is not None:
        return figure.value, figure.value
    if figure.hidden == report.SMALL:
        return 1, figure.min_count - 1
    return figure.min_count, float("inf")


def _assert_no_line_gives_a_small_count_away(result: report.EqualTreatmentReport) -> None:
    """Each column of each table, read alone against its published total, leaves every hidden
    count more than one possible value; so does each group's applicants - eligible and
    eligible - admitted when both are shown."""
    small = range(1, result.min_count)
    for table in result.dimensions:
        for measure in ("applicants", "eligible", "admitted"):
            figures = [getattr(group, measure) for group in table.groups]
            total = getattr(result.total, measure)
            hidden = [f for f in figures if not f.shown]
            if total.shown:
                rest = total.value - sum(f.value for f in figures if f.shown)
                for figure in hidden:
                    others = [_bounds(f) for f in hidden if f is not figure]
                    low = max(_bounds(figure)[0], rest - sum(b[1] for b in others))
                    high = min(_bounds(figure)[1], rest - sum(b[0] for b in others))
                    assert low < high, (table.key, measure, figure)
            elif table.groups:
                assert hidden, (table.key, measure)
        for group in [*table.groups, result.total]:
            if group.applicants.shown and group.eligible.shown:
                assert group.applicants.value - group.eligible.value not in small
            if group.eligible.shown and group.admitted.shown:
                assert group.eligible.value - group.admitted.value not in small


def _domain(figure: report.Figure, cap: int) -> list[int]:
    if figure.value is not None:
        return [figure.value]
    if figure.hidden == report.SMALL:
        return list(range(1, figure.min_count))
    return list(range(figure.min_count, cap + 1))


def _table_solutions(table, totals, cap):
    """Every way of filling one table's hidden counts that adds up to ``totals`` and keeps
    admitted <= eligible <= applicants in each group."""
    columns = []
    for measure, total in zip(MEASURES, totals, strict=True):
        domains = [_domain(getattr(group, measure), cap) for group in table.groups]
        columns.append([v for v in itertools.product(*domains) if sum(v) == total])
    return [
        (applicants, eligible, admitted)
        for applicants, eligible, admitted in itertools.product(*columns)
        if all(admitted[i] <= eligible[i] <= applicants[i] for i in range(len(table.groups)))
    ]


def _what_a_reader_can_deduce(result, *, cap: int) -> dict[tuple, set[int]]:
    """Every value each count (printed or a difference of printed ones) can take given all
    that is published: the three tables at once, tied by their shared totals. An "x" is
    searched up to ``cap`` — the reader knows only that it is 5 or more."""
    possible: dict[tuple, set[int]] = {}

    def note(key, applicants, eligible, admitted):
        for measure, value in (
            ("applicants", applicants),
            ("eligible", eligible),
            ("admitted", admitted),
            ("ineligible", applicants - eligible),
            ("eligible_not_admitted", eligible - admitted),
        ):
            possible.setdefault((*key, measure), set()).add(value)

    pool = [_domain(getattr(result.total, measure), cap) for measure in MEASURES]
    for totals in itertools.product(*pool):
        if not totals[2] <= totals[1] <= totals[0]:
            continue
        tables = [_table_solutions(table, totals, cap) for table in result.dimensions]
        if not all(tables):
            continue
        note((None, None), *totals)
        for table, solutions in zip(result.dimensions, tables, strict=True):
            for applicants, eligible, admitted in solutions:
                for i, group in enumerate(table.groups):
                    note((table.key, group.name), applicants[i], eligible[i], admitted[i])
    return possible


def _true_counts(report_rows: list[ReportRow]) -> Counter:
    counts: Counter = Counter()
    for row in report_rows:
        keys = [
            (None, None),
            (report.REGION, row.region),
            (report.SEX, row.sex),
            (report.CHANNEL, row.channel),
        ]
        for key in keys:
            counts[(*key, "applicants")] += 1
            counts[(*key, "eligible")] += row.outcome != report.INELIGIBLE
            counts[(*key, "admitted")] += row.outcome == report.ADMITTED
            counts[(*key, "ineligible")] += row.outcome == report.INELIGIBLE
            counts[(*key, "eligible_not_admitted")] += row.outcome in (
                report.WAITING,
                report.NOT_ADMITTED,
            )
    return counts


# ---------------------------------------------------------------- the page


def test_no_field_could_hold_ethnic_data():
    """A guard: Jamana records no ethnicity, race or tribe, and the report must not either."""
    forbidden = ("ethnic", "race", "tribe", "ethnie")
    models = [*apps.get_app_config("calls").get_models(), Person]
    names = {
        f"{model.__name__}.{field.name}" for model in models for field in model._meta.get_fields()
    }
    assert names
    assert [name for name in names if any(word in name.lower() for word in forbidden)] == []


@pytest.fixture
def client(client):
    """A visitor reading in English, without an account."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _statistics_fixture(*, results_published: bool = True) -> Call:
    """A statistics fixture, not a story: a call and its applications written directly with
    the fields the report reads (final status, region of birth, sex, channel, dates), since
    the report reads nothing else. The applicant path itself is tested in its own files.

    District de Bamako: 20 women on the web (12 admitted) and 15 men at the counter (3
    admitted, 2 ineligible). Région de Koulikoro: 10 women by USSD (5 admitted) and 10 men on
    the web (none admitted). Born abroad: 3 men on the web, not admitted. And two that do not
    count: one still submitted, one withdrawn."""
    load_geography()
    now = dt.datetime(2026, 3, 20, 10, 0, tzinfo=dt.UTC)
    call = Call.objects.create(
        code="FP-2026-EGAL",
        organisation=make_organisation(code="ML-CNCFP", name="CNCFP", kind="recruiting"),
        kind="recruitment",
        title_fr="Concours direct",
        title_bm="Kɔnkuru",
        title_en="Direct competition",
        status=CallStatus.RESULTS_PUBLISHED if results_published else CallStatus.RANKED,
        opens_at=now - dt.timedelta(days=60),
        closes_at=now - dt.timedelta(days=30),
        results_published_at=now if results_published else None,
        created_at=now - dt.timedelta(days=70),
    )
    post = CallPost.objects.create(
        call=call, code="ADM", title_fr="Adm", title_bm="Adm", title_en="Adm", seats=20
    )
    account = make_citizen()
    bamako, koulikoro = find_area("ML-00"), find_area("ML-02")
    batches = [
        (12, bamako, "F", "web", ApplicationStatus.ADMITTED, 20),
        (8, bamako, "F", "web", ApplicationStatus.NOT_ADMITTED, 20),
        (3, bamako, "M", "counter", ApplicationStatus.ADMITTED, 30),
        (10, bamako, "M", "counter", ApplicationStatus.NOT_ADMITTED, 30),
        (2, bamako, "M", "counter", ApplicationStatus.INELIGIBLE, 5),
        (5, koulikoro, "F", "ussd", ApplicationStatus.ADMITTED, 40),
        (5, koulikoro, "F", "ussd", ApplicationStatus.WAITING_LIST, 40),
        (10, koulikoro, "M", "web", ApplicationStatus.NOT_ADMITTED, 40),
        (3, None, "M", "web", ApplicationStatus.NOT_ADMITTED, 20),
        (1, bamako, "F", "web", ApplicationStatus.SUBMITTED, None),
        (1, bamako, "F", "web", ApplicationStatus.WITHDRAWN, 1),
    ]
    number = itertools.count(1)
    for count, region, sex, channel, status, days in batches:
        for _ in range(count):
            n = next(number)
            submitted = now - dt.timedelta(days=50)
            Application.objects.create(
                reference=f"S{n:08d}",
                call=call,
                post=post,
                person=do_register_person(given_names=f"Candidat{n}", family_name="Zz", sex=sex),
                account=account,
                status=status,
                channel=channel,
                birth_region=region,
                sex=sex,
                created_at=submitted,
                updated_at=submitted,
                submitted_at=submitted,
                decided_at=None if days is None else submitted + dt.timedelta(days=days),
            )
    return call


def _row(html: str, heading: str, table_id: str) -> list[str]:
    table = re.search(rf'aria-labelledby="{table_id}">(.*?)</table>', html, re.S)
    assert table, table_id
    row = re.search(rf'<th scope="row">{re.escape(heading)}</th>(.*?)</tr>', table.group(1), re.S)
    assert row, heading
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip()
        for cell in re.findall(r"<td>(.*?)</td>", row.group(1), re.S)
    ]


@pytest.mark.django_db
def test_the_report_is_published_with_the_results(client, django_assert_max_num_queries):
    call = _statistics_fixture()
    with django_assert_max_num_queries(2):
        page = client.get(f"/calls/{call.code}/equal-treatment/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "No ethnic data is collected" in html
    assert "is shown as “&lt; 5”" in html

    # 35 + 20 + 3 = 58 decided (the submitted and the withdrawn ones do not count), 20
    # admitted. Two ineligible in the pool, both from Bamako: the eligible counts that would
    # give them away are hidden. The 3 born abroad are hidden, and with them Koulikoro's count.
    assert _row(html, "All applicants", "region") == [
        "58", "100.0 %", "x", "20", "34.5 %", "—", "—", "30.0",
    ]  # fmt: skip
    assert _row(html, "District de Bamako", "region") == [
        "35", "60.3 %", "x", "15", "42.9 %", "+8.4", "1.00", "20.0",
    ]  # fmt: skip
    assert _row(html, "Région de Koulikoro", "region") == [
        "x", "—", "20", "5", "—", "—", "—", "40.0",
    ]  # fmt: skip
    assert _row(html, "Born abroad / unknown", "region") == [
        "&lt; 5", "—", "&lt; 5", "0", "—", "—", "—", "—",
    ]  # fmt: skip
    # Men: 3 admitted of 28, hidden, and with it the women's 17 of 30. Yet what is published
    # proves it: at most 4 of 28 against at least 16 of 30 — flagged, with no rate shown.
    assert _row(html, "Male", "sex") == [
        "28", "48.3 %", "x", "&lt; 5", "—", "—", "— below four fifths", "30.0",
    ]  # fmt: skip
    assert _row(html, "Female", "sex") == ["30", "51.7 %", "30", "x", "—", "—", "—", "20.0"]
    assert re.search(r"<li>\s*Sex: Male\s*</li>", html)  # the groups flagged, up front
    assert "Candidat" not in html and "S00000001" not in html
    assert "<script" not in html

    # One chart per table, well-formed, a title for every group.
    charts = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(charts) == 3
    svg = ET.fromstring(charts[1])  # noqa: S314 (our own page, parsed to prove it is XML)
    assert svg.get("role") == "img"
    titles = [g.find(f"{SVG}title").text for g in svg.findall(f"{SVG}g")]
    assert titles == [
        "Female: no rate published, to protect small numbers",
        "Male: no rate published, to protect small numbers"
        " — below four fifths of the best group's rate",
    ]
    bamako = ET.fromstring(charts[0]).findall(f"{SVG}g")[0]  # noqa: S314
    assert bamako.find(f"{SVG}title").text == "District de Bamako: 42.9 % of applicants admitted"
    assert int(bamako.find(f"{SVG}rect").get("width")) == round(400 * 15 / 35)


@pytest.mark.django_db
def test_the_csv_follows_the_same_rules(client):
    call = _statistics_fixture()
    response = client.get(f"/calls/{call.code}/equal-treatment/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(table[0]) == list(report.CSV_COLUMNS)
    by_group = {(row["dimension"], row["group"]): row for row in table}
    assert by_group[("all", "All applicants")]["applicants"] == "58"
    abroad = by_group[("region", "Born abroad / unknown")]
    assert (abroad["applicants"], abroad["success_rate"], abroad["median_processing_days"]) == (
        "<5",
        "",
        "",
    )
    assert by_group[("region", "District de Bamako")]["success_rate"] == "0.429"
    male = by_group[("sex", "Male")]
    assert (male["admitted"], male["success_rate"], male["below_four_fifths"]) == (
        "<5",
        "",
        "true",
    )
    assert {row["dimension"] for row in table} == {"all", "region", "sex", "channel"}


@pytest.mark.django_db
def test_there_is_no_report_before_the_results_are_published(client):
    call = _statistics_fixture(results_published=False)
    assert client.get(f"/calls/{call.code}/equal-treatment/").status_code == 404
    assert client.get(f"/calls/{call.code}/equal-treatment/?format=csv").status_code == 404
    assert client.get("/calls/FP-2099-NONE/equal-treatment/").status_code == 404
