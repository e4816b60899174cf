"""Run the real ``hearth`` command against its own fresh database, as a newcomer would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HEARTH = str(Path(sys.executable).with_name("hearth"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_database(base_url: str, name: str) -> str:
    """Create a fresh database next to the one in ``base_url``; return its URL."""
    import psycopg

    admin_url = base_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return base_url.rsplit("/", 1)[0] + "/" + name


def _postgres_drop(database_url: str) -> None:
    import psycopg

    base, name = database_url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class HearthServer:
    var_dir: Path
    port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    owns_database: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def prepare(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
        env["HEARTH_VAR_DIR"] = str(self.var_dir)
        env.pop("HEARTH_KEYRING", None)
        env.pop("HEARTH_KEYRING_PATH", None)
        if env.get("DATABASE_URL", "").startswith("postgres"):
            env["DATABASE_URL"] = _postgres_database(
                env["DATABASE_URL"], f"hearth_e2e_{os.getpid()}"
            )
        else:
            env.pop("DATABASE_URL", None)  # the SQLite default in var/
        if env.get("REDIS_URL"):
            # A channel prefix of its own, so parallel runs never cross-talk.
            env["HEARTH_CHANNEL_PREFIX"] = f"hearth-e2e-{os.getpid()}"
            env["HEARTH_CACHE_PREFIX"] = f"hearth-e2e-{os.getpid()}"
        self.env = env

    def run(self, *args: str) -> str:
        result = subprocess.run(
            [HEARTH, *args], env=self.env, capture_output=True, text=True, timeout=180
        )
        if result.returncode != 0:
            raise AssertionError(f"hearth {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def start(self, *, worker: bool = True) -> None:
        self.process = subprocess.Popen(
            [HEARTH, "serve", "--port", str(self.port), *([] if worker else ["--no-worker"])],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def wait_healthy(self, timeout: float = 60) -> dict[str, object]:
        import json

        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                output = self.process.stdout.read().decode() if self.process.stdout else ""
                raise AssertionError(f"hearth serve exited early:\n{output[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as response:  # noqa: S310
                    return dict(json.loads(response.read()))
            except urllib.error.HTTPError as exc:  # 503 while the worker starts up
                last = exc.read().decode()
            except OSError as exc:
                last = exc
            time.sleep(0.3)
        raise AssertionError(f"hearth serve was not healthy within {timeout}s: {last}")

    def wait_ready(self, timeout: float = 60) -> None:
        """Until the server answers HTTP at all (any status: the worker may be off)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                output = self.process.stdout.read().decode() if self.process.stdout else ""
                raise AssertionError(f"hearth serve exited early:\n{output[-3000:]}")
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=5)  # noqa: S310
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"hearth serve did not answer within {timeout}s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.env.get("DATABASE_URL", "").startswith("postgres") and self.owns_database:
            _postgres_drop(self.env["DATABASE_URL"])


def test_database_url() -> str:
    """The URL of the database this test run uses, for a server in another process."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def asgi_server_on_test_database(
    var_dir: Path, *, keyring: str, extra_env: dict[str, str] | None = None
) -> HearthServer:
    """``hearth serve`` (uvicorn: HTTP and WebSockets) on the test database.

    Data the test commits (transaction=True) is visible to the server; sessions made by
    the test are valid there because both use the same secret key.
    """
    from django.conf import settings

    server = HearthServer(var_dir=var_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        {
            "HEARTH_VAR_DIR": str(var_dir),
            "DATABASE_URL": test_database_url(),
            "HEARTH_KEYRING": keyring,
            "HEARTH_SECRET_KEY": settings.SECRET_KEY,
            # As deployed: a pool of database connections (on PostgreSQL).
            "HEARTH_DB_POOL_MAX": "4",
            **(extra_env or {}),
        }
    )
    server.env = env
    server.start(worker=False)
    return server
