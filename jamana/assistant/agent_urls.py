from django.urls import path

from jamana.assistant import views

app_name = "assistant_desk"
urlpatterns = [
    path("", views.desk, name="desk"),
    path("<str:reference>/", views.question_detail, name="question"),
    path("<str:reference>/transfer/", views.transfer, name="transfer"),
]
