"""The jury's pages and the officer's review pages, included in ``jamana.calls.urls``
(namespace "calls"). Call codes are upper case, so ``jury/<code>/`` never shadows the
lower-case ``jury/reviews/...``."""

from django.urls import path, re_path

from jamana.calls import review_views as views
from jamana.calls.urls_publishing import CODE

REFERENCE = r"(?P<reference>[0-9A-Z]{9})"

urlpatterns = [
    path("jury/", views.jury_home, name="jury_home"),
    path("jury/reviews/<int:review_id>/", views.jury_review, name="jury_review"),
    path(
        "jury/reviews/<int:review_id>/conflict/",
        views.jury_review_conflict,
        name="jury_review_conflict",
    ),
    path(
        "jury/reviews/<int:review_id>/project/",
        views.jury_review_document,
        name="jury_review_document",
    ),
    re_path(rf"^jury/{CODE}/$", views.jury_call, name="jury_call"),
    re_path(rf"^jury/{CODE}/declare/$", views.jury_declare, name="jury_declare"),
    re_path(rf"^agent/{CODE}/review/$", views.agent_review, name="agent_call_review"),
    re_path(
        rf"^agent/{CODE}/review/assign/$",
        views.agent_review_assign,
        name="agent_call_review_assign",
    ),
    re_path(
        rf"^agent/{CODE}/eligibility/{REFERENCE}/$",
        views.agent_eligibility,
        name="agent_call_eligibility",
    ),
    re_path(
        rf"^agent/{CODE}/eligibility/{REFERENCE}/(?P<kind>[a-z0-9_]+)/$",
        views.agent_eligibility_document,
        name="agent_call_eligibility_document",
    ),
    re_path(rf"^agent/{CODE}/marks/$", views.agent_marks, name="agent_call_marks"),
]
