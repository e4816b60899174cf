from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "hearth.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"
