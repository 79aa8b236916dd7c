from django.urls import path

from jamana.notify import views

app_name = "notify"
urlpatterns = [
    path("callback/http", views.http_callback, name="http_callback"),
    path("agent/", views.agent_messages, name="agent_messages"),
    path("dev/inbound/", views.dev_inbound, name="dev_inbound"),
]
