from django.urls import path

from jamana.calls import urls_publishing, urls_report, urls_results, urls_review, views

app_name = "calls"

urlpatterns = [
    path("", views.call_list, name="list"),
    path("applications/<str:reference>/", views.application_page, name="application"),
    path("applications/<str:reference>/fetch/", views.fetch_documents, name="fetch"),
    path(
        "applications/<str:reference>/nationality/",
        views.request_nationality,
        name="request_nationality",
    ),
    path("applications/<str:reference>/upload/", views.upload, name="upload"),
    path("applications/<str:reference>/pay/", views.pay, name="pay"),
    path("applications/<str:reference>/sign/", views.sign, name="sign"),
    path("applications/<str:reference>/withdraw/", views.withdraw, name="withdraw"),
    path(
        "applications/<str:reference>/signed.<str:part>",
        views.signed_file,
        name="signed_file",
    ),
    *urls_results.urlpatterns,
    *urls_report.urlpatterns,
    *urls_review.urlpatterns,
    *urls_publishing.urlpatterns,
    path("<str:code>/", views.call_detail, name="call"),
    path("<str:code>/apply/", views.apply, name="apply"),
]
