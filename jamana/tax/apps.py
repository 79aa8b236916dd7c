from django.apps import AppConfig


class TaxConfig(AppConfig):
    name = "jamana.tax"
    label = "tax"
