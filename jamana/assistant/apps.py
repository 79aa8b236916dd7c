from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "jamana.assistant"
    label = "assistant"
