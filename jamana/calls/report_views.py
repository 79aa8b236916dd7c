"""The equal-treatment report of a call: a public page and its CSV, published once the call's
results are. What may be published is decided in :mod:`jamana.calls.report`."""

from __future__ import annotations

import csv

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from jamana.calls import queries, report
from jamana.calls.models import Call
from jamana.core.errors import NotFound


def _published_call(code: str) -> Call:
    """A public call whose results are out; 404 otherwise, as if there were no report yet."""
    try:
        call = queries.get_public_call(code)
    except NotFound as exc:
        raise Http404(exc.message) from None
    if call.results_published_at is None:
        # Before the results, the counts would say who is still in the running.
        raise Http404("results_not_published")
    return call


@require_safe
def equal_treatment_report(request: HttpRequest, code: str) -> HttpResponse:
    call = _published_call(code)
    result = report.get_equal_treatment_report(call)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="jamana-equal-treatment-{call.code}.csv"'
        )
        csv.writer(response).writerows(report.csv_rows(result))
        return response
    small = report.Figure(None, report.SMALL, result.min_count)
    return render(
        request,
        "calls/report.html",
        {
            "call": call,
            "report": result,
            "sections": [
                (dimension, report.rates_chart(dimension, overall=result.overall_rate))
                for dimension in result.dimensions
            ],
            "small": result.min_count,
            "small_label": small.label,
            "csv_small_label": small.csv,
            "four_fifths": round(report.FOUR_FIFTHS * 100),
            "significance": round(report.SIGNIFICANCE * 100),
        },
    )
