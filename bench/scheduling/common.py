"""What both scheduling benchmarks share: a fresh PostgreSQL database of their own, the
environment the real ``hearth`` command runs with, statistics and a machine description.

Nothing here writes outside a temporary directory and the benchmark's own database,
which is dropped at the end even when the run fails.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

# The PostgreSQL server's maintenance database; the benchmark creates its own next to it.
ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
HEARTH = str(Path(sys.executable).with_name("hearth"))
# Variables of the calling shell that must not leak into the benchmark's Hearth.
_DROPPED_PREFIXES = ("HEARTH_", "DJANGO_", "PYTEST", "DATABASE_URL", "REDIS_URL")


@dataclass(frozen=True)
class BenchEnv:
    database_url: str
    var_dir: Path
    env: dict[str, str]


def _database_url(name: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _drop(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def bench_environment(database: str) -> Iterator[BenchEnv]:
    """A fresh database ``database`` and a temporary HEARTH_VAR_DIR; both removed after."""
    if not database.startswith("hearth_bench_"):
        raise ValueError("benchmark databases are named hearth_bench_*")
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    try:
        with tempfile.TemporaryDirectory(prefix=f"{database}-") as tmp:
            var_dir = Path(tmp)
            url = _database_url(database)
            key = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
            env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_PREFIXES)}
            env.update(
                DATABASE_URL=url,
                HEARTH_VAR_DIR=str(var_dir),
                HEARTH_KEYRING=json.dumps({"active": "b1", "keys": {"b1": key}}),
                HEARTH_SECRET_KEY=secrets.token_urlsafe(50),
                HEARTH_ALLOWED_HOSTS="127.0.0.1",
                DJANGO_SETTINGS_MODULE="hearth.config.settings",
                # The servers keep a pool of database connections, as deploy/env.example
                # recommends; BENCH_DB_POOL_MAX=0 measures opening one per call.
                HEARTH_DB_POOL_MAX=os.environ.get("BENCH_DB_POOL_MAX", "8"),
            )
            yield BenchEnv(url, var_dir, env)
    finally:
        _drop(database)


def hearth(bench: BenchEnv, *args: str, timeout: float = 300) -> str:
    """Run the real ``hearth`` command against the benchmark's database."""
    result = subprocess.run(
        [HEARTH, *args], env=bench.env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"hearth {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process (Linux), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    """Resident memory of a process (Linux ``VmRSS``), in bytes; 0 if unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def wait_until_up(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"hearth serve exited early:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")  # 503 without a worker; any answer means up
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"hearth serve did not answer within 60 s:\n{log.read_text()[-3000:]}")


def hearth_start(
    bench: BenchEnv, port: int, *, env: dict[str, str] | None = None, name: str = "serve"
) -> subprocess.Popen[bytes]:
    """Start the real ``hearth serve --no-worker`` (one uvicorn process) on a loopback
    port, with the benchmark's environment plus ``env``; return once it answers."""
    log = bench.var_dir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [HEARTH, "serve", "--port", str(port), "--no-worker"],
            env={**bench.env, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(port, process, log)
    except BaseException:
        stop(process)
        raise
    return process


@contextmanager
def hearth_server(
    bench: BenchEnv, port: int, *, env: dict[str, str] | None = None, name: str = "serve"
) -> Iterator[subprocess.Popen[bytes]]:
    """``hearth_start``; stopped on leaving, even on failure."""
    process = hearth_start(bench, port, env=env, name=name)
    try:
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen[Any]) -> None:
    """Ask a server process to stop; kill it if it has not within 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def django_setup(bench: BenchEnv) -> None:
    """Configure Django in this process exactly as the ``hearth`` command would."""
    for name in [k for k in os.environ if k.startswith(_DROPPED_PREFIXES)]:
        del os.environ[name]
    os.environ.update(bench.env)
    import django

    django.setup()


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0–100), interpolating between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def code_version() -> str:
    """The commit measured, and whether src/ had changes not yet committed."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head} + uncommitted changes in src/" if dirty else head


def machine() -> dict[str, str]:
    with psycopg.connect(ADMIN_URL) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return {
        "code": code_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "memory": _memory(),
        "python": platform.python_version(),
        "postgresql": str(row[0]) if row else "unknown",
        "load (1/5/15 min)": load_average(),
    }


def print_machine(info: dict[str, str]) -> None:
    print("| machine | |")
    print("|---|---|")
    for key, value in info.items():
        print(f"| {key} | {value} |")
    print()
