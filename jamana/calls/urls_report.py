"""The public equal-treatment report, included in ``jamana.calls.urls`` (namespace "calls")
before the catch-all ``<code>/``. Call codes are upper case (``publishing.CODE_RE``)."""

from django.urls import re_path

from jamana.calls import report_views as views

CODE = r"(?P<code>[A-Z0-9]+(?:-[A-Z0-9]+)*)"

urlpatterns = [
    re_path(rf"^{CODE}/equal-treatment/$", views.equal_treatment_report, name="report"),
]
