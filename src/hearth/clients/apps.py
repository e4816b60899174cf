from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "hearth.clients"
    label = "clients"
    verbose_name = "Clients"
