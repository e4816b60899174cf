from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "hearth.safety"
    label = "safety"
    verbose_name = "Safety: crisis directory, checks, risk and escalation"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from hearth.accounts.models import Organisation
        from hearth.safety.directory import organisation_created

        # Every new organisation starts with the seed crisis directory, however it was
        # created (admin, demo, tests); admins then edit their own copy.
        post_save.connect(organisation_created, sender=Organisation, dispatch_uid="crisis_seed")

        from django.conf import settings

        from hearth.platform.periodic import PeriodicJob, periodic_register
        from hearth.safety.escalation import escalations_advance

        periodic_register(
            PeriodicJob(
                "escalations",
                settings.HEARTH_ESCALATION_CHECK_SECONDS,
                lambda worker_id: escalations_advance(),
            )
        )
