from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hearth.governance.crypto import (
    get_keyring,
    keyring_file_add_key,
    keyring_file_init,
    keyring_path,
    reset_keyring_cache,
)
from hearth.governance.keys import keys_count_stale, keys_rotate


class Command(BaseCommand):
    help = "Manage the encryption keyring: init, add, status, rotate."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("init", help="Create the keyring file if it does not exist.")
        sub.add_parser("add", help="Add a new key to the keyring file and make it active.")
        sub.add_parser("status", help="Show the active key and values still under old keys.")
        rotate = sub.add_parser("rotate", help="Re-encrypt values to the active key.")
        rotate.add_argument("--batch-size", type=int, default=500)
        rotate.add_argument(
            "--max-batches",
            type=int,
            default=None,
            help="Stop after this many batches; run again to resume.",
        )
        rotate.add_argument(
            "--new-key",
            action="store_true",
            help="Add a new key to the keyring file first, then re-encrypt to it.",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        path = keyring_path()
        if action == "init":
            created = keyring_file_init(path)
            self.stdout.write(f"{'Created' if created else 'Kept existing'} keyring {path}")
        elif action == "add" or (action == "rotate" and options["new_key"]):
            if settings.HEARTH_KEYRING:
                # The file is not the keyring in use: a key added there would never be
                # used, and a rotation "to" it would silently do nothing.
                raise CommandError(
                    "The keyring comes from HEARTH_KEYRING, not a file: add the new key "
                    "there, make it active, restart, then run `hearth keys rotate`."
                )
            if not path.exists():
                raise CommandError(f"No keyring file at {path}; run `hearth keys init` first.")
            key_id = keyring_file_add_key(path)
            reset_keyring_cache()
            self.stdout.write(f"Added key {key_id}; it is now the active key.")
        if action == "status":
            self._status()
        if action == "rotate":
            if options["batch_size"] < 1:
                raise CommandError("--batch-size must be at least 1")
            result = keys_rotate(
                batch_size=options["batch_size"],
                max_batches=options["max_batches"],
                progress=self.stdout.write,
            )
            self.stdout.write(
                f"Re-encrypted {result.reencrypted} values in {result.batches} batches; "
                f"{result.remaining} remain under older keys."
            )
            if not result.complete:
                self.stdout.write("Run `hearth keys rotate` again to continue.")

    def _status(self) -> None:
        ring = get_keyring()
        self.stdout.write(f"Active key: {ring.active} (keys: {', '.join(sorted(ring.keys))})")
        for label, count in keys_count_stale().items():
            self.stdout.write(f"{label}: {count} values under older keys")
