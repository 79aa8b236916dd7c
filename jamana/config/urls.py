from django.urls import include, path

from jamana.config.api import api
from jamana.core import views as core_views
from jamana.pki import views as pki_views
from jamana.procedures import views as procedure_views
from jamana.ussd import views as ussd_views

urlpatterns = [
    path("", procedure_views.home, name="home"),
    path("services/<str:code>/", procedure_views.service_detail, name="service_detail"),
    path("account/", include("jamana.identity.urls")),
    path("requests/", include("jamana.procedures.urls")),
    path("agent/certificates/", include("jamana.pki.agent_urls")),
    path("agent/questions/", include("jamana.assistant.agent_urls")),
    path("agent/", include("jamana.procedures.agent_urls")),
    path("i18n/setlang/", core_views.set_language, name="set_language"),
    path("healthz", core_views.healthz, name="healthz"),
    path("dev/sms/", core_views.dev_sms_inbox, name="dev_sms"),
    path("dev/ussd/", ussd_views.dev_simulator, name="dev_ussd"),
    path("ussd/", include("jamana.ussd.urls")),
    path("api/v1/", api.urls),
    path("pki/", include("jamana.pki.urls")),
    path(".well-known/jamana/trust-list.json", pki_views.trust_list, name="trust_list"),
    path("sign/", include("jamana.documents.signing_urls")),
    path("payments/", include("jamana.payments.urls")),
    path("notify/", include("jamana.notify.urls")),
    path("tax/", include("jamana.tax.urls")),
    path("civil/", include("jamana.civil.urls")),
    path("justice/", include("jamana.justice.urls")),
    path("calls/", include("jamana.calls.urls")),
    path("assistant/", include("jamana.assistant.urls")),
    path("", include("jamana.documents.urls")),
]
