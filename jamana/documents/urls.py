from django.urls import path

from jamana.documents import offline, views

app_name = "documents"
urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("verify/offline/", offline.offline_verify, name="offline_verify"),
    path("verify/<str:code>", views.verify_by_code, name="verify_code"),
    path("agent/documents/<str:number>/", views.agent_document, name="agent_document"),
    path("documents/", views.my_documents, name="my_documents"),
    path("documents/<str:number>.pdf", views.download, name="download"),
]
