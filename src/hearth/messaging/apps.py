from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "hearth.messaging"
    label = "messaging"
    verbose_name = "Secure messaging"

    def ready(self) -> None:
        from hearth.messaging.notifications import message_notifications_send
        from hearth.platform.periodic import PeriodicJob, periodic_register

        periodic_register(PeriodicJob("message_notifications", 15, message_notifications_send))
