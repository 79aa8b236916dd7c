from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "jamana.audit"
    label = "audit"
