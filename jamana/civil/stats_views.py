"""Public statistics of birth registration: the page and its CSV. Open to anyone, no login;
what may be published is decided in :mod:`jamana.civil.statistics`."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from jamana.civil import statistics
from jamana.civil.rules import declaration_delay


def _year(request: HttpRequest) -> int | None:
    """The ``year`` asked for, None for the last twelve months; InvalidPeriod if unusable."""
    raw = request.GET.get("year", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise statistics.InvalidPeriod(raw)
    return int(raw)


@require_safe
def birth_statistics(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    error = ""
    try:
        period = statistics.period_for(year=_year(request), today=today)
    except statistics.InvalidPeriod:
        error = _("There are no figures for this year. Here are the last twelve months.")
        period = statistics.period_for(year=None, today=today)
    stats = statistics.public_birth_statistics(period)
    first = statistics.first_year_with_acts() or today.year
    return render(
        request,
        "civil/statistics.html",
        {
            "stats": stats,
            "chart": statistics.acts_chart(stats),
            "error": error,
            "years": range(today.year, first - 1, -1),
            "small": statistics.SMALL_COUNT,
            "small_label": statistics.Figure(None, statistics.SMALL).label,
            "csv_small_label": statistics.Figure(None, statistics.SMALL).csv,
            "delay_days": declaration_delay(today).days,
        },
    )


@require_safe
def birth_statistics_csv(request: HttpRequest) -> HttpResponse:
    try:
        period = statistics.period_for(year=_year(request), today=timezone.localdate())
    except statistics.InvalidPeriod:
        return HttpResponseBadRequest(
            _("There are no figures for this year."), content_type="text/plain; charset=utf-8"
        )
    stats = statistics.public_birth_statistics(period)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="jamana-birth-registration-{period.slug}.csv"'
    )
    csv.writer(response).writerows(statistics.csv_rows(stats))
    return response
