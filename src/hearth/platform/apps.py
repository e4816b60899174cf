from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "hearth.platform"
    label = "platform"
    verbose_name = "Platform: serving, task worker, health"

    def ready(self) -> None:
        from hearth.platform.periodic import PeriodicJob, periodic_register
        from hearth.platform.tasks import heartbeats_prune

        # Enqueued, not run inline: the queue keeps a record of each run and its result.
        periodic_register(
            PeriodicJob("heartbeats_prune", 3600, lambda worker_id: heartbeats_prune.enqueue())
        )
