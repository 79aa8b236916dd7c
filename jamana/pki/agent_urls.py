from django.urls import path

from jamana.pki import agent_views

app_name = "pki_agent"
urlpatterns = [path("", agent_views.certificates, name="certificates")]
