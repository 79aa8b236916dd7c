from django.urls import path

from jamana.ussd import views

app_name = "ussd"
urlpatterns = [
    path("callback", views.callback, name="callback"),
    path("pin/", views.pin, name="pin"),
]
