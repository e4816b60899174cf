from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "hearth.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from django.conf import settings

        from hearth.platform.periodic import PeriodicJob, periodic_register
        from hearth.scheduling.reminders import reminders_send_due

        periodic_register(
            PeriodicJob("reminders", settings.HEARTH_REMINDER_SECONDS, reminders_send_due)
        )
