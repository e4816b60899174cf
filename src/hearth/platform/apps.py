from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "hearth.platform"
    label = "platform"
    verbose_name = "Platform: serving, task worker, health"
