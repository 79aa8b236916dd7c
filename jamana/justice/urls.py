from django.urls import path

from jamana.justice import views

app_name = "justice"
urlpatterns = [
    path("", views.my_casier, name="my_casier"),
    path("request/", views.request_bulletin, name="request"),
    path("agent/", views.agent_home, name="agent_home"),
    path("agent/casiers/<int:person_id>/", views.agent_casier, name="agent_casier"),
    path("agent/requests/<str:reference>/", views.agent_request, name="agent_request"),
    path("agent/rules/", views.agent_rules, name="agent_rules"),
]
