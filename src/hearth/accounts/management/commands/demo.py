from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from hearth.accounts.personas import (
    DEMO_PASSWORD,
    PERSONAS,
    demo_phones_ensure,
    personas_ensure,
    totp_code_now,
)
from hearth.calls.selectors import call_is_open
from hearth.records.demo import clinical_demo_ensure
from hearth.safety.demo import safety_demo_ensure
from hearth.scheduling.demo import demo_appointments_ensure, demo_session_soon, schedules_ensure
from hearth.scheduling.models import Appointment, AppointmentStatus
from hearth.scheduling.services import appointment_cancel


class Command(BaseCommand):
    help = "Load the demo practice (idempotent) and print how each role signs in."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--code",
            metavar="EMAIL",
            help="Print the current two-factor code of a demo staff account and exit.",
        )
        parser.add_argument(
            "--call-now",
            choices=["video", "audio", "telephone"],
            metavar="MODALITY",
            help="Book Alice with Tom starting in a few minutes (video, audio or telephone), "
            "so the call room is open now, and print its address.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        cast = personas_ensure()
        demo_phones_ensure(cast)
        for organisation in cast.organisations.values():
            schedules_ensure(organisation)
        demo_appointments_ensure(cast)
        clinical_demo_ensure(cast)
        safety_demo_ensure(cast)
        if options["code"]:
            key = next((p.key for p in PERSONAS if p.email == options["code"]), None)
            if key is None or key not in cast.totp_secrets:
                self.stderr.write("Not a demo staff account.")
                raise SystemExit(2)
            self.stdout.write(totp_code_now(cast.totp_secrets[key]))
            return
        if options["call_now"]:
            appointment = self._session_soon(cast, options["call_now"])
            self.stdout.write(
                f"Session of Alice with Tom at {appointment.starts_at:%H:%M} UTC "
                f"({appointment.modality}); the room is open now:\n"
                f"  http://127.0.0.1:8000/calls/{appointment.pk}/\n"
                "Open it in two browser windows (one private), one signed in as "
                "alice@demo.hearth.test, the other as tom@demo.hearth.test."
            )
            return
        self.stdout.write("Demo practice ready. Sign in at http://127.0.0.1:8000/ with:")
        self.stdout.write(f"  password for every demo account: {DEMO_PASSWORD}")
        for p in PERSONAS:
            line = f"  {p.role.label:<14} {p.email:<28} ({p.full_name}, {p.org})"
            if p.key in cast.totp_secrets:
                line += f"  TOTP secret {cast.totp_secrets[p.key]}"
            self.stdout.write(line)
        self.stdout.write(
            "Staff sign in with a two-factor code: add the TOTP secret to an authenticator "
            "app, or run `hearth demo --code EMAIL` for the current code."
        )

    def _session_soon(self, cast: Any, modality: str) -> Appointment:
        """An open session of Alice with Tom in this modality, or a new one.

        A demo session in another modality that has not begun makes way (cancelled by
        the service), so trying video and then telephone just works.
        """
        for appointment in Appointment.objects.filter(
            client=cast.records["alice"],
            therapist=cast.users["tom"],
            status=AppointmentStatus.BOOKED,
        ).order_by("-starts_at")[:5]:
            if not call_is_open(appointment):
                continue
            if appointment.modality == modality:
                return appointment
            appointment_cancel(
                membership=cast.memberships["tom"],
                appointment=appointment,
                reason=f"Demo: replaced by a {modality} session.",
            )
        return demo_session_soon(cast, modality=modality)
