from django.urls import path

from jamana.assistant import views

app_name = "assistant"
urlpatterns = [
    path("", views.ask, name="ask"),
    path("ask-a-person/", views.hand_over, name="hand_over"),
]
