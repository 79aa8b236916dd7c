"""The equal-treatment report of a call, published with its results: for each group of
applicants by region of birth, sex and channel used, how many applied, were eligible and were
admitted, their success rate against the whole pool, and how long their application took to be
decided. There is no ethnic data anywhere in Jamana, and this report never asks for any.

The method, in the order it is applied:

* **Counts.** Per group: applicants (and their share of the pool), eligible, admitted. The
  differences of those counts (ineligible = applicants - eligible; eligible but not admitted =
  eligible - admitted) are not printed but can be worked out, so they are protected too.
* **Small counts.** A count from 1 to ``min_count - 1`` is shown as "< 5" (a published zero is
  a finding: "none of the 40 women was admitted"). Then, as in :mod:`jamana.civil.statistics`,
  more counts are masked ("x", always ``min_count`` or more) until no hidden count can be
  worked out exactly. Each table is a set of equations (a column adds up to its total;
  applicants = eligible + ineligible; eligible = admitted + not admitted) and the three tables
  share their totals, so they are protected together. Where civil masks while a line has
  exactly one hidden item, we follow what a reader can tell of each hidden count ("< 5" is 1
  to 4, "x" at least 5, admitted <= eligible <= applicants) from line to line until nothing
  changes, and mask while that pins one down: [< 5, x, total 6] has only one hidden count, as
  it gives 1 and 5. The count masked is the smallest published one (total last) of the line
  with the fewest unknowns through the leak, the pool's leaks first.
* **Rates.** A success rate (admitted / applicants), a share of the pool, and the gap and ratio
  to the pool's rate are computed only from published counts. A ratio to the best group's
  rate is printed only when that rate is published and no hidden rate can be higher. A median
  processing time (submitted to decided, in days) needs ``min_count`` decided applications.
* **Four-fifths indicator.** As in the US "four-fifths rule" of adverse impact, a group is
  flagged when its success rate is below 80 % of the best group's rate in the same table — and
  only when the gap is unlikely to be chance: so few admissions, in a group of its size drawn
  at random from the pool, must have a probability below 5 % divided by the number of groups
  in the table (one-sided Fisher exact test, Bonferroni-corrected: with twelve regions, one
  would otherwise be flagged by chance now and then). A small group is therefore never flagged
  on a few candidates' luck. The test is run on what the published figures prove, the group at
  its highest possible count and the best group at its lowest: a group with "< 5" admitted out
  of 100 can be flagged though its rate is hidden, and a flag tells nothing the tables do not.

A pool below ``min_count`` gets no tables at all: the list of groups present would name them.
Not covered: a reader combining this report with another source (the published list of the
admitted, say)."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from jamana.calls.models import Application, ApplicationStatus, Call, Channel
from jamana.identity.models import Sex

MIN_COUNT = 5
#: A group is flagged when its success rate is below this fraction of the best group's.
FOUR_FIFTHS = 0.8
#: ... and when so few admissions had less than this probability by chance, divided by the
#: number of groups compared in the table.
SIGNIFICANCE = 0.05

ADMITTED = "admitted"
WAITING = "waiting"
NOT_ADMITTED = "not_admitted"
INELIGIBLE = "ineligible"
OUTCOMES = (ADMITTED, WAITING, NOT_ADMITTED, INELIGIBLE)

REGION = "region"
SEX = "sex"
CHANNEL = "channel"
DIMENSIONS = (REGION, SEX, CHANNEL)

SMALL = "small"
MASKED = "masked"

# The counts printed per group, and the differences of printed counts that are not printed.
APPLICANTS_COUNT = "applicants"
ELIGIBLE_COUNT = "eligible"
ADMITTED_COUNT = "admitted"
INELIGIBLE_COUNT = "ineligible"
NOT_ADMITTED_COUNT = "eligible_not_admitted"
PRINTED = (APPLICANTS_COUNT, ELIGIBLE_COUNT, ADMITTED_COUNT)
MEASURES = (*PRINTED, INELIGIBLE_COUNT, NOT_ADMITTED_COUNT)

CSV_COLUMNS = (
    "dimension",
    "group",
    "applicants",
    "share_of_pool",
    "eligible",
    "admitted",
    "success_rate",
    "gap_points",
    "ratio_to_overall",
    "ratio_to_best",
    "below_four_fifths",
    "median_processing_days",
)

K = TypeVar("K", bound=Hashable)


# ---------------------------------------------------------------- rows


@dataclass(frozen=True)
class ReportRow:
    """One application with a final outcome, reduced to what the report counts."""

    region: str
    sex: str
    channel: str
    outcome: str  # one of OUTCOMES
    submitted_at: dt.datetime
    decided_at: dt.datetime | None


# ---------------------------------------------------------------- suppression


@dataclass(frozen=True)
class Figure:
    """A published count; ``value`` is None when hidden, so that a template or a CSV row
    cannot show a hidden number by mistake."""

    value: int | None
    hidden: str = ""  # "", SMALL ("< 5") or MASKED ("x": would give a small count away)
    min_count: int = MIN_COUNT

    @property
    def shown(self) -> bool:
        return self.value is not None

    @property
    def label(self) -> str:
        if self.value is not None:
            return formats.number_format(self.value, force_grouping=True)
        return f"< {self.min_count}" if self.hidden == SMALL else "x"

    @property
    def csv(self) -> str:
        if self.value is not None:
            return str(self.value)
        return f"<{self.min_count}" if self.hidden == SMALL else "x"


Bound = int | float  # math.inf for "no upper bound known"
# Bounds propagation converges in a few passes on these tables; the cap only guards against a
# slow cycle of one-by-one tightening. Stopping early leaves bounds looser than they could be.
MAX_PASSES = 50


def reader_bounds(
    values: Mapping[K, int],
    lines: Sequence[Sequence[K]],
    *,
    printed: Collection[K],
    hidden: Mapping[K, str],
    min_count: int,
) -> dict[K, tuple[Bound, Bound]]:
    """What a reader can tell of each count from the published figures: a printed count is
    known; "< 5" is 1 to 4; "x" is at least 5; an unprinted count is at least 0. Each line
    (its items, then their total) narrows the bounds of its items, until nothing changes."""
    low: dict[K, Bound] = {}
    high: dict[K, Bound] = {}
    for key, value in values.items():
        if key not in printed:
            low[key], high[key] = 0, math.inf
        elif key not in hidden:
            low[key] = high[key] = value
        elif hidden[key] == SMALL:
            low[key], high[key] = 1, min_count - 1
        else:
            low[key], high[key] = min_count, math.inf
    for _pass in range(MAX_PASSES):
        changed = False
        for line in lines:
            *items, total = line
            low_sum = sum(low[key] for key in items)
            finite_high = sum(high[key] for key in items if high[key] != math.inf)
            infinite = sum(1 for key in items if high[key] == math.inf)
            high_sum: Bound = finite_high if infinite == 0 else math.inf
            if low_sum > low[total]:
                low[total], changed = low_sum, True
            if high_sum < high[total]:
                high[total], changed = high_sum, True
            for key in items:
                others_low = low_sum - low[key]
                if high[key] == math.inf:
                    others_high = finite_high if infinite == 1 else math.inf
                else:
                    others_high = finite_high - high[key] if infinite == 0 else math.inf
                if low[total] - others_high > low[key]:
                    low[key], changed = low[total] - others_high, True
                if high[total] - others_low < high[key]:
                    high[key], changed = high[total] - others_low, True
        if not changed:
            break
    return {key: (low[key], high[key]) for key in values}


def protect(
    values: Mapping[K, int],
    lines: Sequence[Sequence[K]],
    *,
    printed: Collection[K],
    min_count: int = MIN_COUNT,
) -> dict[K, Figure]:
    """The printed counts of ``values``, each shown or hidden. ``lines`` are equations (items,
    then their total); keys not in ``printed`` are counts the reader never sees but which the
    printed ones would give away by subtraction.

    A printed count below ``min_count`` (zero excepted) is hidden. Then, while a reader could
    work out exactly a hidden count, or an unprinted one below ``min_count``, the line that
    gives it away has its smallest printed count of ``min_count`` or more masked (its total
    last). When nothing is left to mask (a call with four applicants), it stops."""
    hidden: dict[K, str] = {key: SMALL for key in printed if 0 < values[key] < min_count}
    sensitive = {key for key, value in values.items() if 0 < value < min_count}
    containing: dict[K, list[Sequence[K]]] = {}
    for line in lines:
        for key in line:
            containing.setdefault(key, []).append(line)
    while True:
        bounds = reader_bounds(values, lines, printed=printed, hidden=hidden, min_count=min_count)
        leaks = [
            key
            for key in values
            if (key in hidden or (key not in printed and key in sensitive))
            and bounds[key][0] == bounds[key][1]
        ]
        mask = _next_mask(leaks, containing, values, printed, hidden, min_count)
        if mask is None:
            break
        hidden[mask] = MASKED
    return {
        key: Figure(None, hidden[key], min_count)
        if key in hidden
        else Figure(values[key], "", min_count)
        for key in printed
    }


def _next_mask(
    leaks: Sequence[K],
    containing: Mapping[K, Sequence[Sequence[K]]],
    values: Mapping[K, int],
    printed: Collection[K],
    hidden: Mapping[K, str],
    min_count: int,
) -> K | None:
    """The count to mask next: among the lines through a leak, the one with fewest unknowns
    (a line that gives a count away on its own, as civil's rule sees it, before a leak that
    takes several lines to follow), and in it the smallest printed count."""
    best: tuple[int, int, int, int] | None = None
    chosen: K | None = None
    for order, leak in enumerate(leaks):
        for line in containing.get(leak, ()):
            candidates = [
                (values[key], position, key)
                for position, key in enumerate(line)
                if key in printed and key not in hidden and values[key] >= min_count
            ]
            if not candidates:
                continue
            value, position, key = min(candidates, key=lambda item: item[:2])
            unknowns = sum(1 for item in line if item in hidden or item not in printed)
            rank = (unknowns, order, value, position)
            if best is None or rank < best:
                best, chosen = rank, key
    return chosen


# ---------------------------------------------------------------- the four-fifths test


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def fewer_admitted_p_value(*, admitted: int, group: int, pool_admitted: int, pool: int) -> float:
    """The chance that a group of ``group`` applicants drawn at random from a pool of ``pool``
    with ``pool_admitted`` admissions gets ``admitted`` or fewer (Fisher's exact test, one
    sided). Logarithms keep it fast on a national competition's tens of thousands."""
    first = max(0, group - (pool - pool_admitted))
    last = min(admitted, group, pool_admitted)
    if last < first:
        return 0.0
    whole = _log_comb(pool, group)
    logs = [
        _log_comb(pool_admitted, k) + _log_comb(pool - pool_admitted, group - k) - whole
        for k in range(first, last + 1)
    ]
    top = max(logs)
    return min(1.0, math.exp(top) * math.fsum(math.exp(x - top) for x in logs))


# ---------------------------------------------------------------- the report


@dataclass
class _Tally:
    applicants: int = 0
    eligible: int = 0
    admitted: int = 0
    days: list[float] = field(default_factory=list)

    def add(self, row: ReportRow) -> None:
        self.applicants += 1
        if row.outcome != INELIGIBLE:
            self.eligible += 1
        if row.outcome == ADMITTED:
            self.admitted += 1
        if row.decided_at is not None:
            self.days.append((row.decided_at - row.submitted_at).total_seconds() / 86400)

    def measures(self) -> dict[str, int]:
        return {
            APPLICANTS_COUNT: self.applicants,
            ELIGIBLE_COUNT: self.eligible,
            ADMITTED_COUNT: self.admitted,
            INELIGIBLE_COUNT: self.applicants - self.eligible,
            NOT_ADMITTED_COUNT: self.eligible - self.admitted,
        }


@dataclass(frozen=True)
class GroupResult:
    """One group's line. Rates are fractions (0.25), ``gap_points`` percentage points; each is
    None where it would rest on a hidden count."""

    name: str
    applicants: Figure
    eligible: Figure
    admitted: Figure
    share_of_pool: float | None = None
    success_rate: float | None = None
    gap_points: float | None = None
    ratio_to_overall: float | None = None
    ratio_to_best: float | None = None
    below_four_fifths: bool = False
    median_days: float | None = None

    @property
    def share_percent(self) -> float | None:
        return None if self.share_of_pool is None else self.share_of_pool * 100

    @property
    def success_percent(self) -> float | None:
        return None if self.success_rate is None else self.success_rate * 100


@dataclass(frozen=True)
class DimensionResult:
    """One table. ``best_rate`` is the highest success rate of its groups, or None when that
    rate is hidden or a hidden one could be higher (ratios to it are then not printed)."""

    key: str  # REGION, SEX or CHANNEL
    title: str
    groups: tuple[GroupResult, ...]
    best_rate: float | None

    @property
    def flagged(self) -> tuple[GroupResult, ...]:
        return tuple(group for group in self.groups if group.below_four_fifths)


@dataclass(frozen=True)
class EqualTreatmentReport:
    """The whole report: the pool, then one table per dimension (region, sex, channel)."""

    min_count: int
    total: GroupResult
    dimensions: tuple[DimensionResult, ...]

    @property
    def overall_rate(self) -> float | None:
        return self.total.success_rate

    @property
    def flagged(self) -> tuple[tuple[DimensionResult, GroupResult], ...]:
        return tuple((dim, group) for dim in self.dimensions for group in dim.flagged)


# (dimension, group, measure); the pool's counts are (None, None, measure) in every table.
Key = tuple[str | None, str | None, str]


def _titles() -> dict[str, str]:
    return {
        REGION: gettext("Region of birth"),
        SEX: gettext("Sex"),
        CHANNEL: gettext("Channel used"),
    }


def _ordered(names: Iterable[str], preferred: Sequence[str]) -> list[str]:
    """``preferred`` order first, any other name after it alphabetically. Never by size: the
    order of two "< 5" groups would tell which is bigger."""
    rank = {name: position for position, name in enumerate(preferred)}
    return sorted(names, key=lambda name: (rank.get(name, len(rank)), name.casefold(), name))


def report_lines(groups: Mapping[str, Sequence[str]]) -> list[list[Key]]:
    """The equations of the three tables: each column adds up to the pool's count; in each
    line, eligible + ineligible = applicants and admitted + not admitted = eligible."""
    lines: list[list[Key]] = []
    rows: list[tuple[str | None, str | None]] = [(None, None)]
    for dimension, names in groups.items():
        for measure in MEASURES:
            lines.append([*((dimension, name, measure) for name in names), (None, None, measure)])
        rows.extend((dimension, name) for name in names)
    for table, group in rows:
        lines.append(
            [
                (table, group, ELIGIBLE_COUNT),
                (table, group, INELIGIBLE_COUNT),
                (table, group, APPLICANTS_COUNT),
            ]
        )
        lines.append(
            [
                (table, group, ADMITTED_COUNT),
                (table, group, NOT_ADMITTED_COUNT),
                (table, group, ELIGIBLE_COUNT),
            ]
        )
    return lines


def _rate(numerator: Figure, denominator: Figure) -> float | None:
    if numerator.value is None or denominator.value is None or denominator.value == 0:
        return None
    return numerator.value / denominator.value


@dataclass(frozen=True)
class _Proven:
    """What the published figures prove about a group's success: its admitted count and
    rate lie within these bounds (exact when both counts are shown)."""

    applicants: Bound
    applicants_exact: bool
    admitted_high: Bound
    rate_low: float
    rate_high: float

    @classmethod
    def of(cls, bounds: Mapping[Key, tuple[Bound, Bound]], dimension: str, name: str) -> _Proven:
        applicants_low, applicants_high = bounds[(dimension, name, APPLICANTS_COUNT)]
        admitted_low, admitted_high = bounds[(dimension, name, ADMITTED_COUNT)]
        return cls(
            applicants=applicants_low,
            applicants_exact=applicants_low == applicants_high,
            admitted_high=admitted_high,
            rate_low=float(admitted_low / applicants_high),  # 0.0 when unbounded
            rate_high=float(min(1, admitted_high / max(applicants_low, 1))),
        )


def _below_four_fifths(
    proven: _Proven, *, best_low: float, pool: GroupResult, compared: int
) -> bool:
    """Whether the published figures prove the group below four fifths of the best rate and
    significantly so. Worked out from the reader's bounds (a "< 5" admitted count is taken at
    its largest, the best group at its smallest), so that a flag is certain and says nothing
    the tables do not. ``compared`` groups in the table are as many chances of a false flag."""
    if not best_low or not proven.applicants_exact or proven.admitted_high == math.inf:
        return False
    if pool.applicants.value is None or pool.admitted.value is None:
        return False
    if proven.rate_high >= FOUR_FIFTHS * best_low:
        return False
    chance = fewer_admitted_p_value(
        admitted=int(proven.admitted_high),
        group=int(proven.applicants),
        pool_admitted=pool.admitted.value,
        pool=pool.applicants.value,
    )
    return chance < SIGNIFICANCE / max(compared, 1)


def _median(days: Sequence[float], min_count: int) -> float | None:
    return statistics.median(days) if len(days) >= min_count else None


def build_report(
    rows: Iterable[ReportRow],
    *,
    min_count: int = MIN_COUNT,
    order: Mapping[str, Sequence[str]] | None = None,
) -> EqualTreatmentReport:
    """The report over ``rows`` with counts below ``min_count`` hidden. ``order`` gives, per
    dimension, the order of its groups (regions by official code, say); groups not listed
    follow alphabetically. Only groups with at least one applicant are listed, and none when
    the whole pool is below ``min_count``."""
    if min_count < 1:
        raise ValueError("min_count must be at least 1")
    pool = _Tally()
    tallies: dict[tuple[str, str], _Tally] = {}
    for row in rows:
        if row.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {row.outcome!r}")
        pool.add(row)
        for dimension, name in ((REGION, row.region), (SEX, row.sex), (CHANNEL, row.channel)):
            tallies.setdefault((dimension, name), _Tally()).add(row)
    if pool.applicants < min_count:
        # With the pool itself "< 5", the mere list of groups present would say who applied
        # (one name under each heading): no table at all.
        tallies = {}
    groups = {
        dimension: _ordered(
            (name for dim, name in tallies if dim == dimension), (order or {}).get(dimension, ())
        )
        for dimension in DIMENSIONS
    }
    # The pool first: a leak there is stopped before the groups', and a pool count masked
    # (the eligible, say) covers a column of each table at once.
    values: dict[Key, int] = {(None, None, m): count for m, count in pool.measures().items()}
    for (dimension, name), tally in tallies.items():
        for measure, count in tally.measures().items():
            values[(dimension, name, measure)] = count
    printed = {key for key in values if key[2] in PRINTED}
    lines = report_lines(groups)
    figures = protect(values, lines, printed=printed, min_count=min_count)

    def figures_of(dimension: str | None, name: str | None) -> tuple[Figure, Figure, Figure]:
        return (
            figures[(dimension, name, APPLICANTS_COUNT)],
            figures[(dimension, name, ELIGIBLE_COUNT)],
            figures[(dimension, name, ADMITTED_COUNT)],
        )

    applicants, eligible, admitted = figures_of(None, None)
    overall = _rate(admitted, applicants)
    total = GroupResult(
        name=gettext("All applicants"),
        applicants=applicants,
        eligible=eligible,
        admitted=admitted,
        share_of_pool=1.0 if applicants.value else None,
        success_rate=overall,
        median_days=_median(pool.days, min_count),
    )
    hidden = {key: figure.hidden for key, figure in figures.items() if not figure.shown}
    bounds = reader_bounds(values, lines, printed=printed, hidden=hidden, min_count=min_count)
    titles = _titles()
    dimensions = []
    for dimension in DIMENSIONS:
        names = groups[dimension]
        rates = {
            name: _rate(figures[(dimension, name, ADMITTED_COUNT)], figures_of(dimension, name)[0])
            for name in names
        }
        proven = {name: _Proven.of(bounds, dimension, name) for name in names}
        # The best rate is at least the highest proven lower bound. It is known exactly (and
        # ratios to it printed) only when a published rate reaches it and no hidden one can
        # be higher.
        best_low = max((p.rate_low for p in proven.values()), default=0.0)
        best = (
            best_low
            if best_low in rates.values() and all(p.rate_high <= best_low for p in proven.values())
            else None
        )
        results = []
        for name in names:
            applicants, eligible, admitted = figures_of(dimension, name)
            rate = rates[name]
            results.append(
                GroupResult(
                    name=name,
                    applicants=applicants,
                    eligible=eligible,
                    admitted=admitted,
                    share_of_pool=_rate(applicants, total.applicants),
                    success_rate=rate,
                    gap_points=None if rate is None or overall is None else (rate - overall) * 100,
                    ratio_to_overall=None if rate is None or not overall else rate / overall,
                    ratio_to_best=None if rate is None or not best else rate / best,
                    below_four_fifths=_below_four_fifths(
                        proven[name], best_low=best_low, pool=total, compared=len(names)
                    ),
                    median_days=_median(tallies[(dimension, name)].days, min_count),
                )
            )
        dimensions.append(
            DimensionResult(
                key=dimension, title=titles[dimension], groups=tuple(results), best_rate=best
            )
        )
    return EqualTreatmentReport(min_count=min_count, total=total, dimensions=tuple(dimensions))


# ---------------------------------------------------------------- from the database

FINAL_OUTCOMES = {
    ApplicationStatus.ADMITTED: ADMITTED,
    ApplicationStatus.WAITING_LIST: WAITING,
    ApplicationStatus.NOT_ADMITTED: NOT_ADMITTED,
    ApplicationStatus.INELIGIBLE: INELIGIBLE,
}


def get_equal_treatment_report(call: Call) -> EqualTreatmentReport:
    """The report over the call's applications with a final outcome, in one query. Submitted
    applications still waiting for a decision, drafts and withdrawals are not counted.

    No access event is recorded: this reads no one's record. The region of birth and the sex
    were copied onto the application at submission for this report, the query selects only
    them (no name, no reference, no person) and what leaves is protected aggregates."""
    unknown_region = gettext("Born abroad / unknown")
    applications = (
        Application.objects.filter(call=call, status__in=list(FINAL_OUTCOMES))
        .values_list(
            "birth_region__code",
            "birth_region__name",
            "sex",
            "channel",
            "status",
            "submitted_at",
            "created_at",
            "decided_at",
        )
        .order_by()
    )
    rows = []
    region_codes: dict[str, str] = {}
    for code, name, sex, channel, status, submitted_at, created_at, decided_at in applications:
        region = name or unknown_region
        if code:
            region_codes.setdefault(region, code)
        if submitted_at is None:
            # Never through the actions (a decision comes after submission): counted anyway,
            # left out of processing times.
            submitted_at, decided_at = created_at, None
        rows.append(
            ReportRow(
                region=region,
                sex=str(Sex(sex).label) if sex in Sex.values else gettext("Not recorded"),
                channel=str(Channel(channel).label)
                if channel in Channel.values
                else gettext("Not recorded"),
                outcome=FINAL_OUTCOMES[ApplicationStatus(status)],
                submitted_at=submitted_at,
                decided_at=decided_at,
            )
        )
    order = {
        # Regions by official code (ML-00 Bamako, ML-01 Kayes…), born abroad or unknown last.
        REGION: [*sorted(region_codes, key=region_codes.__getitem__), unknown_region],
        SEX: [str(Sex.FEMALE.label), str(Sex.MALE.label)],
        CHANNEL: [str(label) for label in Channel.labels],
    }
    return build_report(rows, order=order)


# ---------------------------------------------------------------- CSV


def _decimal(value: float | None, places: int) -> str:
    return "" if value is None else f"{value:.{places}f}"


def csv_rows(report: EqualTreatmentReport) -> Iterator[list[str]]:
    """The header, the pool, then one row per group of each dimension; hidden counts as "<5"
    or "x", rates and medians empty where the page does not show them."""
    yield list(CSV_COLUMNS)
    lines = [("all", report.total)]
    lines += [
        (dimension.key, group) for dimension in report.dimensions for group in dimension.groups
    ]
    for dimension_key, group in lines:
        yield [
            dimension_key,
            group.name,
            group.applicants.csv,
            _decimal(group.share_of_pool, 3),
            group.eligible.csv,
            group.admitted.csv,
            _decimal(group.success_rate, 3),
            _decimal(group.gap_points, 1),
            _decimal(group.ratio_to_overall, 2),
            _decimal(group.ratio_to_best, 2),
            "true" if group.below_four_fifths else "false",
            _decimal(group.median_days, 1),
        ]


# ---------------------------------------------------------------- chart

ROW = 26
BAR = 16
LABEL_WIDTH = 190
SCALE_WIDTH = 400
WIDTH = LABEL_WIDTH + SCALE_WIDTH + 60
TOP = 10
BOTTOM = 28
INK = "#111"
MUTED = "#444"
ACCENT = "#14532d"  # the site's accent colour (site.css --accent)
WARNING = "#9a3412"


def _percent(value: float) -> str:
    return gettext("%(rate)s %%") % {
        "rate": formats.number_format(round(value * 100, 1), decimal_pos=1)
    }


def rates_chart(dimension: DimensionResult, *, overall: float | None) -> SafeString:
    """Success rate per group as horizontal bars on a 0-100 % scale, with the pool's rate as
    a dashed line; drawn on the server, no script. A group without a published rate has no
    bar, only a dash; a flagged group's bar is drawn in the warning colour."""
    height = TOP + ROW * max(len(dimension.groups), 1) + BOTTOM
    baseline = TOP + ROW * len(dimension.groups)
    parts: list[SafeString] = []
    for index, group in enumerate(dimension.groups):
        y = TOP + ROW * index
        middle = y + ROW // 2 + 4
        if group.success_rate is not None:
            title = gettext("%(group)s: %(rate)s of applicants admitted") % {
                "group": group.name,
                "rate": _percent(group.success_rate),
            }
        else:
            title = gettext("%(group)s: no rate published, to protect small numbers") % {
                "group": group.name
            }
        if group.below_four_fifths:
            title += " — " + gettext("below four fifths of the best group's rate")
        shape = value = SafeString("")
        if group.success_rate is not None:
            width = max(1, round(SCALE_WIDTH * group.success_rate))
            shape = format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                LABEL_WIDTH,
                y + (ROW - BAR) // 2,
                width,
                BAR,
                WARNING if group.below_four_fifths else ACCENT,
            )
            value = format_html(
                '<text x="{}" y="{}" fill="{}">{}</text>',
                LABEL_WIDTH + width + 4,
                middle,
                INK,
                _percent(group.success_rate),
            )
        else:
            value = format_html(
                '<text x="{}" y="{}" fill="{}">—</text>', LABEL_WIDTH + 4, middle, MUTED
            )
        parts.append(
            format_html(
                '<g><title>{}</title><text x="{}" y="{}" fill="{}" text-anchor="end">{}</text>'
                "{}{}</g>",
                title,
                LABEL_WIDTH - 6,
                middle,
                INK,
                group.name,
                shape,
                value,
            )
        )
    if overall is not None:
        x = LABEL_WIDTH + round(SCALE_WIDTH * overall)
        parts.append(
            format_html(
                '<line x1="{x}" y1="{top}" x2="{x}" y2="{base}" stroke="{c}" '
                'stroke-dasharray="4 3"/><text x="{x}" y="{label}" fill="{c}" '
                'text-anchor="middle">{text}</text>',
                x=x,
                top=TOP,
                base=baseline,
                c=MUTED,
                label=baseline + 20,
                text=gettext("all: %(rate)s") % {"rate": _percent(overall)},
            )
        )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" '
        'role="img" aria-labelledby="{p}-title {p}-desc" '
        'font-family="system-ui, sans-serif" font-size="12">'
        '<title id="{p}-title">{title}</title><desc id="{p}-desc">{desc}</desc>'
        '<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="{muted}"/>{parts}</svg>',
        w=WIDTH,
        h=height,
        p=f"chart-{dimension.key}",
        title=gettext("Success rate per group — %(dimension)s") % {"dimension": dimension.title},
        desc=gettext(
            "Horizontal bars: the share of each group's applicants who were admitted, from 0 "
            "to 100 %; the dashed line is the rate of all applicants. The same figures are in "
            "the table below."
        ),
        left=LABEL_WIDTH,
        top=TOP,
        base=baseline,
        muted=MUTED,
        parts=SafeString("".join(parts)),
    )
