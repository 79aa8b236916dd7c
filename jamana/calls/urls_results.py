"""Results pages, included in ``jamana.calls.urls`` (namespace "calls") before the catch-all
``<code>/``. Call codes are upper case (``publishing.CODE_RE``)."""

from django.urls import path, re_path

from jamana.calls import results_views as views

CODE = r"(?P<code>[A-Z0-9]+(?:-[A-Z0-9]+)*)"
APPEAL = r"(?P<appeal>[A-Za-z0-9]+)"

urlpatterns = [
    path("applications/<str:reference>/appeal/", views.file_appeal, name="appeal"),
    re_path(rf"^{CODE}/results/$", views.results_page, name="results"),
    re_path(rf"^agent/{CODE}/ranking/$", views.ranking_page, name="ranking"),
    re_path(rf"^agent/{CODE}/ranking/finalise/$", views.ranking_finalise, name="ranking_finalise"),
    re_path(rf"^agent/{CODE}/ranking/reveal/$", views.ranking_reveal, name="ranking_reveal"),
    re_path(rf"^agent/{CODE}/results/publish/$", views.results_publish, name="results_publish"),
    re_path(rf"^agent/{CODE}/appeals/{APPEAL}/amend/$", views.appeal_amend, name="appeal_amend"),
]
