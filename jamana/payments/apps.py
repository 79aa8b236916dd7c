from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "jamana.payments"
    label = "payments"
