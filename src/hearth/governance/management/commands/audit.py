from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hearth.governance.audit import audit_verify


class Command(BaseCommand):
    help = "Audit log tools. `verify` checks the whole hash chain."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Report the first broken or missing link, if any.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        report = audit_verify()
        if report.problem is not None:
            raise CommandError(
                f"Audit chain broken after {report.checked} good entries: {report.problem.message}."
            )
        self.stdout.write(f"Audit chain intact: {report.checked} entries verified.")
