from django.urls import path

from jamana.procedures import agent_views

app_name = "agent"
urlpatterns = [
    path("", agent_views.queue, name="queue"),
    path("persons/", agent_views.person_lookup, name="person_lookup"),
    path("requests/<str:reference>/", agent_views.request_detail, name="request_detail"),
    path(
        "requests/<str:reference>/applicant/",
        agent_views.applicant_record,
        name="applicant_record",
    ),
    path(
        "requests/<str:reference>/<str:action>/",
        agent_views.act_on_request,
        name="act_on_request",
    ),
]
