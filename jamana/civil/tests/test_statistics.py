"""Public statistics of birth registration: acts per region and month, the share declared in
time, the median delay, certificates issued — with small numbers hidden on the page and in the
CSV alike, and readable by anyone without signing in.

The clock is frozen on 20 March 2026, so the default period is April 2025 to March 2026."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from jamana.civil import statistics
from jamana.civil.actions import (
    BirthFacts,
    Judgment,
    ParentInput,
    RegisterEntry,
    check_declare_birth,
    check_transcribe_judgment,
    check_validate_declaration,
    do_record_register_act,
    do_register_centre,
)
from jamana.civil.certificates import check_issue_certificate_at_counter
from jamana.civil.models import BirthAct, CentreKind
from jamana.core.geography import find_area
from jamana.testing import make_organisation

TODAY = dt.date(2026, 3, 20)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(dt.datetime(2026, 3, 20, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def client(client):
    """A visitor reading in English, without an account."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def koulikoro_centre(geography):
    organisation = make_organisation(
        code="ML-CEC-KATI-VILLE", name="Centre principal d'état civil de Kati"
    )
    return do_register_centre(
        organisation=organisation, kind=CentreKind.PRINCIPAL, commune=find_area("ML-02-020418")
    )


def _facts(born: dt.date, given_names: str, **changes) -> BirthFacts:
    values = dict(
        child_given_names=given_names,
        child_family_name="Traoré",
        child_sex="F",
        birth_date=born,
        birth_commune=None,
        birth_place="Bamako",
        mother=ParentInput(name="Fatoumata Keïta"),
        declarant_role="mother",
    )
    values.update(changes)
    return BirthFacts(**values)  # type: ignore[arg-type]


def _from_register(centre, *, drawn_up_on: dt.date, births: list[dt.date], first: int, **entry):
    for offset, born in enumerate(births):
        do_record_register_act(
            centre=centre,
            facts=_facts(born, f"Enfant {first + offset}"),
            entry=RegisterEntry(
                year=drawn_up_on.year, number=first + offset, drawn_up_on=drawn_up_on, **entry
            ),
        )


def _declared(centre, mother, registrar, born: dt.date, name: str) -> BirthAct:
    declaration = check_declare_birth(account=mother, centre=centre, facts=_facts(born, name))
    return check_validate_declaration(agent=registrar, reference=declaration.reference)


def _by_judgment(centre, registrar, born: dt.date, name: str) -> BirthAct:
    return check_transcribe_judgment(
        agent=registrar,
        centre=centre,
        facts=_facts(born, name),
        judgment=Judgment(
            court="Tribunal de grande instance de la Commune III", date=TODAY, number=f"JS-{name}"
        ),
    )


@pytest.fixture
def register(bamako_centre, koulikoro_centre, mother, registrar):
    """Bamako: 8 acts in January (7 with a day of birth, delays 1 to 7 days; one "born in
    1962"), 6 in March (4 declared in time, delays 3, 5, 10 and 31 days; 2 judgments, 400 and
    1000 days). Koulikoro: 2 acts in January (10 and 12 days)."""
    _from_register(
        bamako_centre,
        drawn_up_on=dt.date(2026, 1, 10),
        births=[dt.date(2026, 1, 10) - dt.timedelta(days=d) for d in range(1, 8)],
        first=1,
    )
    _from_register(
        bamako_centre,
        drawn_up_on=dt.date(2026, 1, 10),
        births=[dt.date(1962, 1, 1)],
        first=8,
        birth_date_precision="year",
    )
    _from_register(
        koulikoro_centre,
        drawn_up_on=dt.date(2026, 1, 12),
        births=[dt.date(2026, 1, 2), dt.date(2025, 12, 31)],
        first=1,
    )
    # The last one is declared on the last day of the 30 clear days: still in time.
    for days, name in ((3, "Awa"), (5, "Bintou"), (10, "Kadiatou"), (31, "Mariam")):
        _declared(bamako_centre, mother, registrar, TODAY - dt.timedelta(days=days), name)
    for days, name in ((400, "Oumou"), (1000, "Salimata")):
        _by_judgment(bamako_centre, registrar, TODAY - dt.timedelta(days=days), name)
    return bamako_centre


def _row(html: str, heading: str, table_id: str) -> list[str]:
    """The cells of the row headed ``heading`` in the table labelled ``table_id``."""
    table = re.search(rf'aria-labelledby="{table_id}">(.*?)</table>', html, re.S)
    assert table, table_id
    row = re.search(rf'<th scope="row">{re.escape(heading)}</th>(.*?)</tr>', table.group(1), re.S)
    assert row, heading
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<td>(.*?)</td>", row.group(1), re.S)
    ]


def _csv(response) -> list[dict[str, str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


SMALL = "&lt; 5"


@pytest.mark.django_db
def test_anyone_sees_acts_per_region_and_month_with_small_counts_hidden(
    client, register, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        page = client.get("/civil/statistics/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "April 2025" in html and "March 2026" in html

    # Every Koulikoro count is below 5. Bamako has 8 and 6 acts, but with Koulikoro's small
    # counts beside them in the same months, the month totals would give those away: masked.
    assert _row(html, "Région de Koulikoro", "acts") == [SMALL] * 13
    assert _row(html, "District de Bamako", "acts") == [SMALL] * 9 + ["x", SMALL, "x", "x"]
    assert _row(html, "All regions", "acts") == [SMALL] * 9 + ["10", SMALL, "6", "16"]
    assert "14" not in re.search(r'aria-labelledby="acts">(.*?)</table>', html, re.S).group(1)

    # 4 of the 6 dated acts in time (2 judgments late); medians over the day-precise acts.
    assert _row(html, "District de Bamako", "timeliness") == ["x", "67%", "5"]
    assert _row(html, "Région de Koulikoro", "timeliness") == [SMALL, "—", "—"]
    assert _row(html, "All regions", "timeliness") == ["16", "67%", "6"]
    assert "any number below 5, zero included" in html


@pytest.mark.django_db
def test_the_chart_is_well_formed_svg_with_a_title_for_every_month(client, register):
    html = client.get("/civil/statistics/").content.decode()
    # Our own page, parsed only to prove the SVG is well-formed XML.
    svg = ET.fromstring(re.search(r"<svg.*?</svg>", html, re.S).group(0))  # noqa: S314
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == "Birth acts drawn up per month"
    bars = svg.findall(f"{SVG}g")
    assert len(bars) == 12
    titles = [bar.find(f"{SVG}title").text for bar in bars]
    assert titles[9] == "January 2026: 10 acts drawn up"
    assert titles[11] == "March 2026: 6 acts drawn up"
    assert titles[0] == "April 2025: fewer than 5 acts drawn up"
    # Only published months have a bar; January's is the tallest.
    rects = {i: bar.find(f"{SVG}rect") for i, bar in enumerate(bars)}
    assert [i for i, rect in rects.items() if rect is not None] == [9, 11]
    assert int(rects[9].get("height")) > int(rects[11].get("height"))
    assert "<script" not in html


@pytest.mark.django_db
def test_csv_has_one_row_per_region_and_month_with_the_same_suppression(client, register):
    response = client.get("/civil/statistics.csv")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert list(rows[0]) == list(statistics.CSV_COLUMNS)
    assert len(rows) == 2 * 12
    by_key = {(row["region_code"], row["month"]): row for row in rows}
    assert by_key[("ML-00", "2026-03")] == {
        "region_code": "ML-00",
        "region_name": "District de Bamako",
        "month": "2026-03",
        "acts": "x",
        "declared_in_time_share": "0.667",
        "median_delay_days": "20.5",  # 3, 5, 10 | 31, 400, 1000
        "extracts": "<5",
        "full_copies": "<5",
    }
    january = by_key[("ML-00", "2026-01")]
    assert (january["acts"], january["declared_in_time_share"], january["median_delay_days"]) == (
        "x",
        "",  # digitised from registers: no declaration date
        "4",
    )
    koulikoro = by_key[("ML-02", "2026-01")]
    assert (koulikoro["acts"], koulikoro["median_delay_days"]) == ("<5", "")
    assert all(row["acts"] in ("<5", "x") for row in rows)


@pytest.mark.django_db
def test_certificates_issued_are_counted_per_month(client, register, registrar, pki):
    act = BirthAct.objects.filter(centre=register, source="declaration").first()
    for _ in range(5):
        check_issue_certificate_at_counter(
            agent=registrar, centre=register, act=act, kind="extract"
        )
    check_issue_certificate_at_counter(agent=registrar, centre=register, act=act, kind="full_copy")

    html = client.get("/civil/statistics/").content.decode()
    assert _row(html, "Extracts", "certificates") == [SMALL] * 11 + ["5"]
    assert _row(html, "Full copies", "certificates") == [SMALL] * 12
    rows = {(r["region_code"], r["month"]): r for r in _csv(client.get("/civil/statistics.csv"))}
    # Koulikoro issued none: its zero is hidden, so Bamako's 5 (= the month's total) is masked.
    assert rows[("ML-00", "2026-03")]["extracts"] == "x"
    assert rows[("ML-02", "2026-03")]["extracts"] == "<5"
    assert rows[("ML-00", "2026-03")]["full_copies"] == "<5"


@pytest.mark.django_db
def test_a_calendar_year_can_be_chosen(client, register):
    _from_register(
        register,
        drawn_up_on=dt.date(2025, 6, 2),
        births=[dt.date(2025, 6, 2) - dt.timedelta(days=d) for d in (2, 4, 6, 8, 40)],
        first=1,
    )
    html = client.get("/civil/statistics/?year=2025").content.decode()
    assert "From January 2025 to December 2025." in html
    assert '<option value="2025" selected>' in html
    # One region only: nothing to give away, its counts are published as they are.
    assert _row(html, "District de Bamako", "acts") == [SMALL] * 5 + ["5"] + [SMALL] * 6 + ["5"]
    assert "Région de Koulikoro" not in html

    rows = _csv(client.get("/civil/statistics.csv?year=2025"))
    assert [row["month"] for row in rows] == [f"2025-{m:02d}" for m in range(1, 13)]
    june = rows[5]
    assert (june["acts"], june["median_delay_days"], june["declared_in_time_share"]) == (
        "5",
        "6",
        "",
    )
    # The current year stops at this month.
    rows = _csv(client.get("/civil/statistics.csv?year=2026"))
    assert {row["month"] for row in rows} == {"2026-01", "2026-02", "2026-03"}


@pytest.mark.django_db
def test_a_year_without_figures_is_refused(client, geography):
    page = client.get("/civil/statistics/?year=2031")
    assert page.status_code == 200
    assert "There are no figures for this year." in page.content.decode()
    assert client.get("/civil/statistics/?year=abc").status_code == 200
    assert client.get("/civil/statistics.csv?year=2031").status_code == 400
    # Nothing recorded yet: the page still renders, with only hidden counts.
    html = client.get("/civil/statistics/").content.decode()
    assert "No birth act was drawn up in this period." in html
    assert _csv(client.get("/civil/statistics.csv")) == []


# ---------------------------------------------------------------- the rules, without a database


def test_a_lone_small_count_is_masked_with_the_smallest_other_one():
    months = [dt.date(2026, 1, 1), dt.date(2026, 2, 1)]
    cells = {("A", months[0]): 40, ("A", months[1]): 30, ("B", months[0]): 3}
    cells |= {("B", months[1]): 9, ("C", months[0]): 7, ("C", months[1]): 12}
    values = _with_totals(cells, ["A", "B", "C"], months)
    figures = statistics.protect(values, statistics.table_lines(["A", "B", "C"], months))
    labels = {key: figure.label for key, figure in figures.items()}
    # B's 3 in January is hidden; its row would give it away, so B's 9 goes, and its column,
    # so C's 7 goes; B's 9 then stands alone in February's column, so C's 12 goes too.
    assert labels[("B", months[0])] == "< 5"
    assert labels[("B", months[1])] == "x"
    assert labels[("C", months[0])] == "x" and labels[("C", months[1])] == "x"
    assert labels[("A", months[0])] == "40" and labels[("A", months[1])] == "30"
    assert labels[(None, None)] == "101"
    assert all(figures[key].value == values[key] for key in figures if figures[key].shown)
    _assert_no_line_gives_one_away(figures, statistics.table_lines(["A", "B", "C"], months))


@given(st.lists(st.integers(min_value=0, max_value=30), min_size=6, max_size=6))
def test_no_hidden_count_can_be_worked_out_from_one_total(counts):
    regions, months = ["A", "B", "C"], [dt.date(2026, 1, 1), dt.date(2026, 2, 1)]
    cells = {
        (region, month): counts[i * 2 + j]
        for i, region in enumerate(regions)
        for j, month in enumerate(months)
    }
    values = _with_totals(cells, regions, months)
    lines = statistics.table_lines(regions, months)
    figures = statistics.protect(values, lines)
    _assert_no_line_gives_one_away(figures, lines)
    for key, figure in figures.items():
        assert figure.shown == (figure.value is not None)
        if values[key] < statistics.SMALL_COUNT:
            assert figure.label == "< 5" and figure.csv == "<5"


def test_median_of_a_histogram():
    assert statistics.median_of_histogram({}) is None
    assert statistics.median_of_histogram({7: 1}) == 7
    assert statistics.median_of_histogram({1: 1, 2: 1, 10: 1}) == 2
    assert statistics.median_of_histogram({3: 1, 5: 1, 10: 1, 31: 1, 400: 1, 1000: 1}) == 20.5
    assert statistics.median_of_histogram({2: 3, 9: 1}) == 2


def test_a_share_or_median_needs_five_acts():
    four = statistics.Tally(acts=4, dated=4, in_time=4)
    four.delays.update({2: 4})
    assert statistics.Timeliness.of(four) == statistics.Timeliness(None, None)
    five = statistics.Tally(acts=5, dated=5, in_time=4)
    five.delays.update({2: 5})
    assert statistics.Timeliness.of(five) == statistics.Timeliness(0.8, 2)


def _with_totals(cells, regions, months):
    values = dict(cells)
    for region in regions:
        values[(region, None)] = sum(cells[(region, m)] for m in months)
    for month in months:
        values[(None, month)] = sum(cells[(r, month)] for r in regions)
    values[(None, None)] = sum(cells.values())
    return values


def _assert_no_line_gives_one_away(figures, lines):
    for line in lines:
        assert sum(1 for key in line if not figures[key].shown) != 1, line
