"""Give every organisation that existed before the crisis directory the seed copy.

New organisations get theirs when they are created (hearth.safety.directory).
"""

from django.db import migrations

from hearth.safety.seed import CRISIS_SEED


def seed(apps, schema_editor):
    Organisation = apps.get_model("accounts", "Organisation")
    CrisisService = apps.get_model("safety", "CrisisService")
    for organisation in Organisation.objects.all():
        if not CrisisService.objects.filter(organisation=organisation).exists():
            CrisisService.objects.bulk_create(
                CrisisService(organisation=organisation, **entry) for entry in CRISIS_SEED
            )


class Migration(migrations.Migration):
    dependencies = [("safety", "0001_crisis_directory")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
