from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "hearth.calls"
    label = "calls"
    verbose_name = "Calls and session records"
