from django.urls import path, re_path

from jamana.pki import views

app_name = "pki"
urlpatterns = [
    path("certs/<str:name>.cer", views.certificate, name="certificate"),
    path("crl/<str:ca>.crl", views.crl, name="crl"),
    path("ocsp", views.ocsp, name="ocsp"),
    re_path(r"^ocsp/(?P<encoded>.+)$", views.ocsp, name="ocsp_get"),
    path("tsa", views.tsa, name="tsa"),
]
