"""Public statistics of birth registration: acts drawn up per region and month, how many births
were declared within the legal delay, how long a birth waits for its act, and the certificates
issued — with small numbers hidden so that no family in a small place can be singled out.

Counts come from aggregate queries grouped by commune and month (portable between SQLite and
PostgreSQL); the median delay is computed in Python from a histogram of delays, never from one
row per act. Every published count goes through :func:`protect`: a count below
:data:`SMALL_COUNT` (zero included) is shown as "< 5", and a second count is masked wherever a
hidden one could otherwise be worked out by subtracting the others from a published total."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from django.db.models import Count, DateField, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from jamana.civil import rules
from jamana.civil.certificates import DOCUMENT_KINDS
from jamana.civil.models import ActSource, BirthAct
from jamana.core.models import AdminArea
from jamana.documents.models import Document

#: Below this, a count is not published and no share or median is computed over the group.
SMALL_COUNT = 5
#: The earliest year a visitor may ask for (old registers go back to colonial times).
FIRST_YEAR = 1900
CSV_COLUMNS = (
    "region_code",
    "region_name",
    "month",
    "acts",
    "declared_in_time_share",
    "median_delay_days",
    "extracts",
    "full_copies",
)
SMALL = "small"
MASKED = "masked"

K = TypeVar("K")

EXTRACT_KIND = DOCUMENT_KINDS[rules.EXTRACT]
FULL_COPY_KIND = DOCUMENT_KINDS[rules.FULL_COPY]


# ---------------------------------------------------------------- period


class InvalidPeriod(ValueError):
    pass


def add_months(month: dt.date, count: int) -> dt.date:
    """The first day of the month ``count`` months after the month of ``month``."""
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """Whole calendar months, oldest first; ``year`` is set when a calendar year was asked."""

    months: tuple[dt.date, ...]
    year: int | None = None

    @property
    def start(self) -> dt.date:
        return self.months[0]

    @property
    def end(self) -> dt.date:
        """The day after the period (exclusive bound)."""
        return add_months(self.months[-1], 1)

    @property
    def last(self) -> dt.date:
        return self.months[-1]

    @property
    def slug(self) -> str:
        return str(self.year) if self.year else f"{self.start:%Y-%m}_{self.last:%Y-%m}"


def period_for(*, year: int | None, today: dt.date) -> Period:
    """The twelve months up to and including this one, or one calendar year — stopping at this
    month for the current year, since months to come have nothing to count."""
    this_month = today.replace(day=1)
    if year is None:
        return Period(tuple(add_months(this_month, offset) for offset in range(-11, 1)))
    if not FIRST_YEAR <= year <= today.year:
        raise InvalidPeriod(year)
    last = 12 if year < today.year else today.month
    return Period(tuple(dt.date(year, month, 1) for month in range(1, last + 1)), year=year)


# ---------------------------------------------------------------- suppression


@dataclass(frozen=True)
class Figure:
    """A published count. ``value`` is None when the count is hidden, so that a template or a
    CSV row cannot show a hidden number by mistake."""

    value: int | None
    hidden: str = ""  # "", SMALL ("< 5") or MASKED ("x": would reveal a small count)

    @property
    def shown(self) -> bool:
        return self.value is not None

    @property
    def label(self) -> str:
        if self.value is not None:
            return formats.number_format(self.value, force_grouping=True)
        return f"< {SMALL_COUNT}" if self.hidden == SMALL else "x"

    @property
    def csv(self) -> str:
        if self.value is not None:
            return str(self.value)
        return f"<{SMALL_COUNT}" if self.hidden == SMALL else "x"


def protect(values: Mapping[K, int], lines: Iterable[Sequence[K]]) -> dict[K, Figure]:
    """Hide every count below :data:`SMALL_COUNT`, then mask more counts until no line
    (a row or column with its total as last item) has exactly one hidden item.

    A line is an equation — its items but the last add up to the last — so a line with one
    hidden item gives that item away by subtraction; with two or more, only their sum is
    known. The count masked is the line's smallest published one (its cells before its total),
    so as little as possible is lost. Zero counts are hidden like any small count: a published
    zero would narrow down the hidden cells beside it."""
    hidden = {key: SMALL for key, value in values.items() if value < SMALL_COUNT}
    equations = [list(line) for line in lines]
    changed = True
    while changed:
        changed = False
        for line in equations:
            if sum(1 for key in line if key in hidden) != 1:
                continue
            published = [
                (values[key], position, key)
                for position, key in enumerate(line)
                if key not in hidden
            ]
            if published:
                hidden[min(published, key=lambda item: item[:2])[2]] = MASKED
                changed = True
    return {
        key: Figure(None, hidden[key]) if key in hidden else Figure(value)
        for key, value in values.items()
    }


# A key of a region-by-month table: (region code, month); None stands for "all": (code, None)
# is a region's total over the period, (None, month) the month's total, (None, None) the total.
Key = tuple[str | None, dt.date | None]


def table_lines(regions: Sequence[str], months: Sequence[dt.date]) -> list[list[Key]]:
    """The equations of a table with its margins: each row, each column, and both margins."""
    lines: list[list[Key]] = []
    for region in regions:
        lines.append([*((region, month) for month in months), (region, None)])
    for month in months:
        lines.append([*((region, month) for region in regions), (None, month)])
    lines.append([*((None, month) for month in months), (None, None)])
    lines.append([*((region, None) for region in regions), (None, None)])
    return lines


# ---------------------------------------------------------------- derived figures


def median_of_histogram(histogram: Mapping[int, int]) -> float | None:
    """The median of the values counted in ``histogram`` (value → how many), or None."""
    total = sum(histogram.values())
    if total == 0:
        return None
    wanted = [(total - 1) // 2, total // 2]  # the same index when the total is odd
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        while wanted and wanted[0] < seen:
            found.append(value)
            wanted.pop(0)
    return (found[0] + found[1]) / 2


@dataclass
class Tally:
    """Raw figures of one group, before anything is hidden."""

    acts: int = 0
    # Acts with a declaration date, and judgments (late by definition: CPF art. 133).
    dated: int = 0
    in_time: int = 0
    # Days from birth to act → number of acts, for acts whose day of birth is known.
    delays: Counter[int] = field(default_factory=Counter)
    extracts: int = 0
    full_copies: int = 0

    def add(self, other: Tally) -> None:
        self.acts += other.acts
        self.dated += other.dated
        self.in_time += other.in_time
        self.delays.update(other.delays)
        self.extracts += other.extracts
        self.full_copies += other.full_copies


@dataclass(frozen=True)
class Timeliness:
    """The share declared in time and the median delay; None where the group is too small."""

    share_in_time: float | None
    median_delay_days: float | None

    @classmethod
    def of(cls, tally: Tally) -> Timeliness:
        share = tally.in_time / tally.dated if tally.dated >= SMALL_COUNT else None
        with_day = sum(tally.delays.values())
        median = median_of_histogram(tally.delays) if with_day >= SMALL_COUNT else None
        return cls(share, median)

    @property
    def share_percent(self) -> int | None:
        return None if self.share_in_time is None else round(self.share_in_time * 100)


# ---------------------------------------------------------------- queries


@dataclass(frozen=True)
class Region:
    code: str  # "" when the centre's commune is not recorded
    name: str


def _drawn_up_in(period: Period) -> Q:
    return Q(drawn_up_on__gte=period.start, drawn_up_on__lt=period.end)


def _delay_from(start: str, end: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(end) - F(start), output_field=DurationField())


def in_time_condition() -> Q:
    """Acts declared within the delay in force on the day of birth, as
    :func:`rules.declaration_deadline` counts it; needs the ``declaration_delay`` alias.

    Each dated rule becomes one range of birth dates with its allowed delay, so the query
    follows the rules table rather than a constant. A birth before the first rule has no delay
    we know of and is not counted in time."""
    ordered = sorted(rules.DECLARATION_DELAYS, key=lambda rule: rule.valid_from)
    condition = Q(pk__in=[])
    for rule, following in zip(ordered, [*ordered[1:], None], strict=True):
        # Within a rule, the deadline is the same number of days after every birth date.
        allowed = rules.declaration_deadline(rule.valid_from) - rule.valid_from
        births = Q(birth_date__gte=rule.valid_from)
        if following is not None:
            births &= Q(birth_date__lt=following.valid_from)
        condition |= births & Q(declaration_delay__lte=allowed)
    return Q(declared_on__isnull=False) & ~Q(source=ActSource.JUDGMENT) & condition


def tally_acts(acts: QuerySet[BirthAct], period: Period) -> dict[tuple[int | None, dt.date], Tally]:
    """Acts drawn up in ``period``, per commune of their centre and month: two grouped
    queries, one for the counts and one for the histogram of delays."""
    tallies: dict[tuple[int | None, dt.date], Tally] = {}
    counted = (
        acts.filter(_drawn_up_in(period))
        .alias(declaration_delay=_delay_from("birth_date", "declared_on"))
        .annotate(month=TruncMonth("drawn_up_on"))
        .values("centre__commune", "month")
        .annotate(
            acts=Count("pk"),
            dated=Count("pk", filter=Q(declared_on__isnull=False) | Q(source=ActSource.JUDGMENT)),
            in_time=Count("pk", filter=in_time_condition()),
        )
        .order_by()
    )
    for row in counted:
        tally = tallies.setdefault((row["centre__commune"], row["month"]), Tally())
        tally.acts, tally.dated, tally.in_time = row["acts"], row["dated"], row["in_time"]
    # "Born around 1962" has no delay in days: only day-precise births count here.
    delays = (
        acts.filter(_drawn_up_in(period), birth_date_precision="day")
        .annotate(month=TruncMonth("drawn_up_on"), delay=_delay_from("birth_date", "drawn_up_on"))
        .values("centre__commune", "month", "delay")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in delays:
        tally = tallies.setdefault((row["centre__commune"], row["month"]), Tally())
        tally.delays[row["delay"].days] += row["n"]
    return tallies


def tally_certificates(
    documents: QuerySet[Document], period: Period
) -> dict[tuple[int | None, dt.date], Tally]:
    """Birth certificates issued in ``period``, per commune of the issuing centre and month
    (revoked ones included: they were issued)."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(period.end, dt.time.min, tzinfo=zone)
    rows = (
        documents.filter(
            kind__in=(EXTRACT_KIND, FULL_COPY_KIND), issued_at__gte=start, issued_at__lt=end
        )
        # An issuer that is not a registry centre is placed by its own area.
        .annotate(
            area=Coalesce("issuer__registry_centre__commune", "issuer__area"),
            month=TruncMonth("issued_at", output_field=DateField()),
        )
        .values("area", "month", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    tallies: dict[tuple[int | None, dt.date], Tally] = {}
    for row in rows:
        tally = tallies.setdefault((row["area"], row["month"]), Tally())
        if row["kind"] == EXTRACT_KIND:
            tally.extracts += row["n"]
        else:
            tally.full_copies += row["n"]
    return tallies


def regions_of(area_ids: Iterable[int]) -> dict[int, Region]:
    """The top-level area (region, or the District of Bamako) of each area: one query per
    level of the map, never one per area."""
    wanted = set(area_ids)
    known: dict[int, tuple[int | None, str, str]] = {}
    pending = set(wanted)
    for _level in range(6):  # the map is at most 4 deep (AdminArea.ancestors)
        if not pending:
            break
        rows = (
            AdminArea.objects.filter(pk__in=pending)
            .values_list("pk", "parent", "code", "name")
            .order_by()
        )
        for pk, parent, code, name in rows:
            known[pk] = (parent, code, name)
        pending = {parent for parent, _c, _n in known.values() if parent and parent not in known}
    regions: dict[int, Region] = {}
    for area_id in wanted:
        node = area_id
        while (parent := known.get(node, (None, "", ""))[0]) is not None and parent in known:
            node = parent
        if node in known:
            regions[area_id] = Region(code=known[node][1], name=known[node][2])
    return regions


# ---------------------------------------------------------------- the statistics


@dataclass(frozen=True)
class RegionRow:
    region: Region
    months: tuple[Figure, ...]
    total: Figure
    timeliness: Timeliness


@dataclass(frozen=True)
class BirthStatistics:
    period: Period
    regions: tuple[Region, ...]
    acts: Mapping[Key, Figure]
    extracts: Mapping[Key, Figure]
    full_copies: Mapping[Key, Figure]
    timeliness: Mapping[Key, Timeliness]

    @property
    def rows(self) -> list[RegionRow]:
        return [
            RegionRow(
                region=region,
                months=tuple(self.acts[(region.code, month)] for month in self.period.months),
                total=self.acts[(region.code, None)],
                timeliness=self.timeliness[(region.code, None)],
            )
            for region in self.regions
        ]

    @property
    def month_totals(self) -> list[Figure]:
        return [self.acts[(None, month)] for month in self.period.months]

    @property
    def total(self) -> Figure:
        return self.acts[(None, None)]

    @property
    def overall(self) -> Timeliness:
        return self.timeliness[(None, None)]

    @property
    def extracts_by_month(self) -> list[Figure]:
        return [self.extracts[(None, month)] for month in self.period.months]

    @property
    def full_copies_by_month(self) -> list[Figure]:
        return [self.full_copies[(None, month)] for month in self.period.months]


def birth_statistics(
    *, acts: QuerySet[BirthAct], certificates: QuerySet[Document], period: Period
) -> BirthStatistics:
    """The published figures of ``acts`` and ``certificates`` over ``period``: the regions
    that have anything to show, each count protected, each share and median computed over at
    least :data:`SMALL_COUNT` acts."""
    by_area: dict[tuple[int | None, dt.date], Tally] = {}
    for source in (tally_acts(acts, period), tally_certificates(certificates, period)):
        for key, tally in source.items():
            by_area.setdefault(key, Tally()).add(tally)
    regions_by_area = regions_of(area for area, _month in by_area if area is not None)
    unknown = Region(code="", name=gettext("Region not recorded"))
    cells: dict[tuple[str, dt.date], Tally] = {}
    names: dict[str, Region] = {}
    for (area, month), tally in by_area.items():
        region = regions_by_area.get(area, unknown) if area is not None else unknown
        names[region.code] = region
        cells.setdefault((region.code, month), Tally()).add(tally)
    # Official codes in order (ML-00 Bamako, ML-01 Kayes…); the unrecorded region last.
    regions = tuple(sorted(names.values(), key=lambda r: (r.code == "", r.code)))
    codes = [region.code for region in regions]
    totals: dict[Key, Tally] = {}
    for code in codes:
        for month in period.months:
            tally = cells.get((code, month), Tally())
            groups: tuple[Key, ...] = ((code, month), (code, None), (None, month), (None, None))
            for group in groups:
                totals.setdefault(group, Tally()).add(tally)
    for month in period.months:  # a month without anything still has its (empty) total
        totals.setdefault((None, month), Tally())
    totals.setdefault((None, None), Tally())
    lines = table_lines(codes, period.months)
    return BirthStatistics(
        period=period,
        regions=regions,
        acts=protect({key: tally.acts for key, tally in totals.items()}, lines),
        extracts=protect({key: tally.extracts for key, tally in totals.items()}, lines),
        full_copies=protect({key: tally.full_copies for key, tally in totals.items()}, lines),
        timeliness={key: Timeliness.of(tally) for key, tally in totals.items()},
    )


def public_birth_statistics(period: Period) -> BirthStatistics:
    """All acts of the national register and all birth certificates issued."""
    return birth_statistics(
        acts=BirthAct.objects.all(), certificates=Document.objects.all(), period=period
    )


def first_year_with_acts() -> int | None:
    """The year of the oldest act, to offer the years that have data."""
    first = BirthAct.objects.order_by("drawn_up_on").values_list("drawn_up_on", flat=True).first()
    return first.year if first else None


# ---------------------------------------------------------------- CSV


def _csv_number(value: float | None) -> str:
    """A median: whole days, or a half day when the two middle acts differ by an odd number."""
    if value is None:
        return ""
    return str(int(value)) if value.is_integer() else f"{value:.1f}"


def csv_rows(stats: BirthStatistics) -> Iterator[list[str]]:
    """The header, then one row per region and month, hidden counts as "<5" or "x" and
    shares and medians empty where the page does not show them."""
    yield list(CSV_COLUMNS)
    for region in stats.regions:
        for month in stats.period.months:
            key = (region.code, month)
            timeliness = stats.timeliness[key]
            yield [
                region.code,
                region.name,
                f"{month:%Y-%m}",
                stats.acts[key].csv,
                "" if timeliness.share_in_time is None else f"{timeliness.share_in_time:.3f}",
                _csv_number(timeliness.median_delay_days),
                stats.extracts[key].csv,
                stats.full_copies[key].csv,
            ]


# ---------------------------------------------------------------- chart

CHART_HEIGHT = 160
SLOT = 48
BAR = 32
TOP = 22
BOTTOM = 40
SIDE = 8
INK = "#111"
MUTED = "#444"
ACCENT = "#14532d"  # the site's accent colour (site.css --accent)


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar: "Mar"
    sublabel: str  # the year, under January and the first bar
    title: str  # what the bar says in words, for <title>
    figure: Figure


def _text(x: int, y: int, colour: str, text: str) -> SafeString:
    if not text:
        return SafeString("")
    return format_html(
        '<text x="{}" y="{}" fill="{}" text-anchor="middle">{}</text>', x, y, colour, text
    )


def render_bar_chart(
    bars: Sequence[Bar], *, title: str, description: str, id_prefix: str = "chart"
) -> SafeString:
    """An inline SVG bar chart, drawn on the server: no script, readable without styles. A
    hidden count has no bar, only its "< 5" or "x"."""
    width = SIDE * 2 + SLOT * max(len(bars), 1)
    baseline = TOP + CHART_HEIGHT
    top = max((bar.figure.value or 0 for bar in bars), default=0) or 1
    groups: list[SafeString] = []
    for index, bar in enumerate(bars):
        x = SIDE + SLOT * index + (SLOT - BAR) // 2
        middle = x + BAR // 2
        shape, value = SafeString(""), _text(middle, baseline - 5, MUTED, bar.figure.label)
        if bar.figure.value is not None:
            bar_height = max(1, round(CHART_HEIGHT * bar.figure.value / top))
            shape = format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                x,
                baseline - bar_height,
                BAR,
                bar_height,
                ACCENT,
            )
            value = _text(middle, baseline - bar_height - 5, INK, bar.figure.label)
        groups.append(
            format_html(
                "<g><title>{}</title>{}{}{}{}</g>",
                bar.title,
                shape,
                value,
                _text(middle, baseline + 16, MUTED, bar.label),
                _text(middle, baseline + 31, MUTED, bar.sublabel),
            )
        )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" '
        'role="img" aria-labelledby="{p}-title {p}-desc" '
        'font-family="system-ui, sans-serif" font-size="12">'
        '<title id="{p}-title">{title}</title><desc id="{p}-desc">{desc}</desc>'
        '<line x1="{side}" y1="{base}" x2="{end}" y2="{base}" stroke="{muted}"/>{groups}</svg>',
        w=width,
        h=baseline + BOTTOM,
        p=id_prefix,
        title=title,
        desc=description,
        side=SIDE,
        base=baseline,
        end=width - SIDE,
        muted=MUTED,
        groups=SafeString("".join(groups)),
    )


def acts_chart(stats: BirthStatistics) -> SafeString:
    """Acts drawn up per month, all regions together, in the visitor's language."""
    bars = []
    for index, (month, figure) in enumerate(
        zip(stats.period.months, stats.month_totals, strict=True)
    ):
        name = formats.date_format(month, "F Y")
        if figure.value is not None:
            title = ngettext(
                "%(month)s: %(count)s act drawn up",
                "%(month)s: %(count)s acts drawn up",
                figure.value,
            ) % {"month": name, "count": figure.label}
        elif figure.hidden == SMALL:
            title = gettext("%(month)s: fewer than %(small)s acts drawn up") % {
                "month": name,
                "small": SMALL_COUNT,
            }
        else:
            title = gettext("%(month)s: hidden, to protect a small number") % {"month": name}
        bars.append(
            Bar(
                label=formats.date_format(month, "M"),
                sublabel=str(month.year) if index == 0 or month.month == 1 else "",
                title=title,
                figure=figure,
            )
        )
    return render_bar_chart(
        bars,
        title=gettext("Birth acts drawn up per month"),
        description=gettext(
            "Bar chart of the birth acts drawn up each month, all regions together. The same "
            "figures are in the table below."
        ),
    )
