from django.apps import AppConfig


class PkiConfig(AppConfig):
    name = "jamana.pki"
    label = "pki"
    verbose_name = "National PKI"
