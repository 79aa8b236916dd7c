from django.urls import path

from jamana.civil import stats_views, views

app_name = "civil"
urlpatterns = [
    path("", views.my_civil, name="my_civil"),
    path("declare/", views.declare, name="declare"),
    path("late-registration/", views.late_registration, name="late_registration"),
    path("acts/<int:act_id>/request/", views.request_certificate, name="request_certificate"),
    path("agent/", views.agent_home, name="agent_home"),
    path("agent/declare/", views.agent_declare, name="agent_declare"),
    path("agent/judgment/", views.agent_judgment, name="agent_judgment"),
    path("agent/declarations/<str:reference>/", views.agent_declaration, name="agent_declaration"),
    path("agent/acts/", views.agent_acts, name="agent_acts"),
    path("agent/acts/<int:act_id>/", views.agent_act, name="agent_act"),
    path("agent/acts/<int:act_id>/print/", views.agent_print, name="agent_print"),
    path("agent/duplicates/", views.agent_duplicates, name="agent_duplicates"),
    path("statistics/", stats_views.birth_statistics, name="statistics"),
    path("statistics.csv", stats_views.birth_statistics_csv, name="statistics_csv"),
]
