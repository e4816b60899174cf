from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from hearth.accounts.personas import DEMO_PASSWORD, PERSONAS, personas_ensure, totp_code_now
from hearth.scheduling.demo import demo_appointments_ensure, schedules_ensure


class Command(BaseCommand):
    help = "Load the demo practice (idempotent) and print how each role signs in."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--code",
            metavar="EMAIL",
            help="Print the current two-factor code of a demo staff account and exit.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        cast = personas_ensure()
        for organisation in cast.organisations.values():
            schedules_ensure(organisation)
        demo_appointments_ensure(cast)
        if options["code"]:
            key = next((p.key for p in PERSONAS if p.email == options["code"]), None)
            if key is None or key not in cast.totp_secrets:
                self.stderr.write("Not a demo staff account.")
                raise SystemExit(2)
            self.stdout.write(totp_code_now(cast.totp_secrets[key]))
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
