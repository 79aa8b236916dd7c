from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "jamana.documents"
    label = "documents"
