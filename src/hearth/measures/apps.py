from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "hearth.measures"
    label = "measures"
    verbose_name = "Outcome measures"

    def ready(self) -> None:
        from django.conf import settings

        from hearth.measures.invitations import measure_invitations_send_due
        from hearth.platform.periodic import PeriodicJob, periodic_register

        periodic_register(
            PeriodicJob(
                "measure_invitations",
                settings.HEARTH_REMINDER_SECONDS,
                measure_invitations_send_due,
            )
        )
