from django.urls import path

from jamana.documents import signing_views

app_name = "signing"
urlpatterns = [
    path("", signing_views.start, name="start"),
    path("certificates/", signing_views.certificates, name="certificates"),
    path("<str:token>/", signing_views.confirm, name="confirm"),
    path("<str:token>/resend/", signing_views.resend, name="resend"),
    path("<str:token>/signed.pdf", signing_views.download, name="download"),
]
