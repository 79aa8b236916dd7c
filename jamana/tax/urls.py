from django.urls import path

from jamana.tax import views

app_name = "tax"
urlpatterns = [
    path("", views.my_taxes, name="my_taxes"),
    path("assessments/<str:number>/pay/", views.pay_assessment, name="pay"),
    path("accounts/<str:nif>/clearance/", views.clearance, name="clearance"),
    path("agent/", views.agent_home, name="agent_home"),
    path("agent/taxpayers/new/", views.agent_taxpayer_new, name="agent_taxpayer_new"),
    path("agent/taxpayers/<str:nif>/", views.agent_taxpayer, name="agent_taxpayer"),
    path("agent/rolls/", views.agent_rolls, name="agent_rolls"),
    path("agent/rolls/<int:roll_id>/", views.agent_roll, name="agent_roll"),
]
