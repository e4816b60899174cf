"""No double booking, guaranteed by PostgreSQL: exclusion constraints over time ranges.

A therapist's [starts_at, blocked_until) ranges (the appointment plus their buffer) and a
client's [starts_at, ends_at) ranges may not overlap among appointments that hold their
slot. SQLite has no such constraint; there bookings run one at a time (IMMEDIATE
transactions) and the service checks before it inserts.
"""

from django.db import migrations

HOLDS_SLOT = "('requested', 'booked', 'arrived', 'in_session', 'attended', 'dna')"

UP = f"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE scheduling_appointment ADD CONSTRAINT appointment_therapist_no_overlap
    EXCLUDE USING gist (
        therapist_id WITH =,
        tstzrange(starts_at, blocked_until, '[)') WITH &&
    ) WHERE (status IN {HOLDS_SLOT});
ALTER TABLE scheduling_appointment ADD CONSTRAINT appointment_client_no_overlap
    EXCLUDE USING gist (
        client_id WITH =,
        tstzrange(starts_at, ends_at, '[)') WITH &&
    ) WHERE (status IN {HOLDS_SLOT});
"""
DOWN = """
ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appointment_therapist_no_overlap;
ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appointment_client_no_overlap;
"""


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UP, params=None)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DOWN, params=None)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunPython(up, down)]
