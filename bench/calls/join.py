"""Join time: from the therapist's admit to the first remote video frame decoded on both
sides, in headless Chromium on loopback, Hearth against a same-run floor.

    .venv/bin/python bench/calls/join.py               # the full run: 20 calls each (~3 min)
    .venv/bin/python bench/calls/join.py --quick       # a smoke run: 3 calls each
    .venv/bin/python bench/calls/join.py --calls 40

What: each Hearth call is driven as tests/calls/test_call_browser.py drives it. The
client (a phone-sized browser context signed in as the demo client Alice) opens the call
page, waits for the camera preview and joins the waiting room; the therapist (another
context, the demo therapist Tom) opens the page, opens the room and, once Alice shows as
waiting, clicks "Let … in" (``#admit``). The clock starts just before that click. Each
page then polls ``window.hearthCall.pc.getStats()`` every 20 ms and notes when the first
``inbound-rtp`` video frame has been decoded; the join time is the later of the two
sides. Timestamps are ``performance.timeOrigin + performance.now()``, one clock for all
pages of the browser. ``requestVideoFrameCallback`` on ``#remote`` is noted as well, as
a cross-check.

The floor, measured in the same run, alternating call by call with Hearth: the same two
pages (the call page's DOM and Hearth's own ``call.js``, unchanged) in one browser
context, with ``WebSocket`` replaced by ``bench/calls/floor/shim.js``, which passes the
same join, admit, offer, answer and candidate messages between the two pages over a
``BroadcastChannel``: no network and no server. A tiny HTTP server in this process
serves those pages from a loopback origin of its own (``getUserMedia`` needs a secure
context; ``BroadcastChannel`` needs one origin and one context). So Hearth ÷ floor is
what the server adds to joining a call.

How: a fresh database ``hearth_bench_join`` on the local PostgreSQL
(``BENCH_POSTGRES_URL``), migrated by the real ``hearth migrate`` and filled by the real
``hearth demo``. Each call needs a fresh appointment (a call already admitted is
rejoined without the waiting room), so this books, with the real ``appointment_book``
as Tom, consecutive 50-minute video appointments for Alice with Tom, the first starting
in 5 minutes, with an extra-hours exception for Tom over them and the organisation's
daily video limit raised (as ``book_now`` in tests/scheduling/conftest.py does for one).
The server, ``hearth serve --no-worker``, runs with ``HEARTH_CALL_OPENS_MINUTES`` wide
enough that every one of those rooms is open now. Chromium is Debian's
(``HEARTH_CHROMIUM``, default /usr/bin/chromium) with the flags of tests/conftest.py
``CHROMIUM_ARGS`` (fake camera and microphone). Everything is stopped and the database
dropped at the end, even when the run fails.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import importlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scheduling"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from callbench import ROOT, session_cookie_name, session_key_for
from common import (
    bench_environment,
    django_setup,
    free_port,
    hearth,
    hearth_server,
    load_average,
    machine,
    percentile,
    print_machine,
)

DATABASE = "hearth_bench_join"
FLOOR = Path(__file__).resolve().parent / "floor"
CALL_JS = ROOT / "src" / "hearth" / "calls" / "static" / "calls" / "call.js"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
MAX_CALLS = 100
FRAME_TIMEOUT = 30.0
APPOINTMENT_MINUTES = 50
GAP_MINUTES = 15
ADMIT = """() => {
    const t = performance.timeOrigin + performance.now();
    document.getElementById("admit").click();
    return t;
}"""


@dataclass
class Call:
    kind: str  # "hearth" or "floor"
    admit: float
    client_frame: float | None
    therapist_frame: float | None
    client_presented: float | None
    therapist_presented: float | None

    @property
    def join_ms(self) -> float | None:
        if self.client_frame is None or self.therapist_frame is None:
            return None
        return max(self.client_frame, self.therapist_frame) - self.admit


@dataclass(frozen=True)
class Setup:
    appointments: list[int]
    client_session: str
    therapist_session: str


def book(calls: int) -> Setup:
    """``calls`` consecutive video appointments for Alice with Tom, the first in 5 minutes."""
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from hearth.accounts.personas import personas_ensure
    from hearth.safety.checks import session_check_confirm, session_check_submit
    from hearth.scheduling.demo import schedules_ensure
    from hearth.scheduling.models import (
        Appointment,
        AvailabilityException,
        SchedulingPolicy,
        TherapistProfile,
    )
    from hearth.scheduling.services import BookingConflict, BookingRequest, appointment_book

    cast = personas_ensure()  # the demo's people, already there from `hearth demo`
    organisation = cast.organisations["riverside"]
    services = schedules_ensure(organisation)
    SchedulingPolicy.objects.filter(organisation=organisation).update(
        max_daily_video_minutes=24 * 60
    )
    start = (timezone.now() + timedelta(minutes=5)).replace(second=0, microsecond=0)
    step = timedelta(minutes=APPOINTMENT_MINUTES + GAP_MINUTES)
    profile = TherapistProfile.objects.get(membership=cast.memberships["tom"])
    AvailabilityException.objects.create(
        profile=profile,
        kind=AvailabilityException.Kind.EXTRA,
        starts_at=start - timedelta(hours=1),
        ends_at=start + step * (calls + 10),
    )
    booked: list[int] = []
    moment = start
    while len(booked) < calls and moment < start + step * (calls + 10):
        try:
            appointment = appointment_book(
                membership=cast.memberships["tom"],
                request=BookingRequest(
                    client=cast.records["alice"],
                    therapist=cast.users["tom"],
                    service_type=services["Treatment"],
                    modality="video",
                    starts_at=moment,
                ),
            )
            booked.append(appointment.pk)
        except (BookingConflict, ValidationError):
            pass  # the demo's own appointment for Alice with Tom, or a fatigue limit
        moment += step
    if len(booked) < calls:
        raise RuntimeError(f"could book only {len(booked)} of {calls} appointments")
    # The session-start check, answered and confirmed (as tests/calls do): the timed part
    # starts at the admit, which is refused without it. (HEARTH_CALL_OPENS_MINUTES is wide
    # here as for the server, so every appointment's check is open.)
    for appointment in Appointment.objects.filter(pk__in=booked):
        session_check_submit(
            membership=cast.memberships["alice"],
            appointment=appointment,
            location="home",
            callback_phone="0161 496 0123",
            is_private=True,
            emergency_contact_correct=True,
        )
        session_check_confirm(membership=cast.memberships["tom"], appointment=appointment)
    return Setup(booked, session_key_for(cast.users["alice"]), session_key_for(cast.users["tom"]))


# --- The floor's pages ------------------------------------------------------------------


def floor_page(room: int, role: str) -> bytes:
    if role == "therapist":
        # No server, so no session-start check to wait for: the floor's is done.
        admit = (
            '<div id="session-check-review" data-may-start="true"></div>'
            '<button type="button" id="admit" disabled>Let in</button>'
        )
        controls = (
            '<button type="button" id="phone">Switch to phone</button>'
            '<button type="button" id="end">End session</button>'
            '<div id="phone-confirm" hidden><button type="button" id="phone-yes">Yes</button>'
            '<button type="button" id="phone-no">No</button></div>'
        )
    else:
        admit = ""
        controls = '<button type="button" id="leave">Leave</button>'
    html = (FLOOR / "call.html").read_text(encoding="utf-8")
    html = html.replace("ROOM", str(room)).replace("ROLE", role)
    html = html.replace("ADMIT", admit).replace("CONTROLS", controls)
    return html.encode()


class FloorHandler(http.server.BaseHTTPRequestHandler):
    """/shim.js, /call.js (Hearth's, read from src/ as the server serves it) and
    /<room>/<role>.html."""

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/shim.js":
            body, kind = (FLOOR / "shim.js").read_bytes(), "text/javascript"
        elif path == "/call.js":
            body, kind = CALL_JS.read_bytes(), "text/javascript"
        elif path.endswith(".html") and path.count("/") == 2:
            room, role = path[1:-5].split("/")
            if role not in ("client", "therapist") or not room.isdigit():
                self.send_error(404)
                return
            body, kind = floor_page(int(room), role), "text/html; charset=utf-8"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextlib.contextmanager
def floor_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), FloorHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --- Driving the two pages -----------------------------------------------------------


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


def admit_and_time(kind: str, client: Any, therapist: Any) -> Call:
    """Both pages are in place (client waiting, admit enabled): admit, wait for frames."""
    admit = float(therapist.evaluate(ADMIT))
    marks: dict[str, dict[str, float | None]] = {}

    def both_decoded() -> bool:
        for name, page in (("client", client), ("therapist", therapist)):
            marks[name] = page.evaluate("() => window.__bench")
        return all(m["frame"] is not None for m in marks.values())

    with contextlib.suppress(RuntimeError):  # a call without frames is reported as such
        wait_for(both_decoded, FRAME_TIMEOUT, "the first remote frame on both sides")
    return Call(
        kind,
        admit,
        marks["client"]["frame"],
        marks["therapist"]["frame"],
        marks["client"]["presented"],
        marks["therapist"]["presented"],
    )


def prepare(client: Any, therapist: Any, client_url: str, therapist_url: str) -> None:
    """As tests/calls/test_call_browser.py: preview, join the waiting room; open the room."""
    client.goto(client_url)
    wait_for(
        lambda: client.evaluate("() => document.getElementById('preview').srcObject !== null"),
        20,
        "the camera preview",
    )
    client.click("#join")
    client.wait_for_selector("#waiting:not([hidden])")
    therapist.goto(therapist_url)
    therapist.click("#join")
    therapist.wait_for_selector("#admit:not([disabled])")


def hearth_call(browser: Any, base: str, appointment: int, setup: Setup) -> Call:
    cookie = session_cookie_name()
    url = f"{base}/calls/{appointment}/"
    contexts = []
    for session, options in ((setup.client_session, PHONE), (setup.therapist_session, {})):
        context = browser.new_context(**options)
        context.add_init_script(path=str(FLOOR / "monitor.js"))
        context.add_cookies([{"name": cookie, "value": session, "url": base}])
        contexts.append(context)
    try:
        client, therapist = contexts[0].new_page(), contexts[1].new_page()
        prepare(client, therapist, url, url)
        return admit_and_time("hearth", client, therapist)
    finally:
        for context in contexts:
            context.close()


def floor_call(browser: Any, base: str, room: int) -> Call:
    context = browser.new_context()
    context.add_init_script(path=str(FLOOR / "monitor.js"))
    try:
        client, therapist = context.new_page(), context.new_page()
        client.set_viewport_size(PHONE["viewport"])
        prepare(client, therapist, f"{base}/{room}/client.html", f"{base}/{room}/therapist.html")
        return admit_and_time("floor", client, therapist)
    finally:
        context.close()


# --- The report ------------------------------------------------------------------------


def summary(calls: list[Call]) -> dict[str, float]:
    times = [c.join_ms for c in calls if c.join_ms is not None]
    return {
        "n": len(times),
        "failed": len(calls) - len(times),
        "p50": percentile(times, 50),
        "p90": percentile(times, 90),
        "max": max(times, default=float("nan")),
        "client p50": percentile(
            [c.client_frame - c.admit for c in calls if c.client_frame is not None], 50
        ),
        "therapist p50": percentile(
            [c.therapist_frame - c.admit for c in calls if c.therapist_frame is not None], 50
        ),
        "presented p50": percentile(
            [
                max(c.client_presented, c.therapist_presented) - c.admit
                for c in calls
                if c.client_presented is not None and c.therapist_presented is not None
            ],
            50,
        ),
    }


def report(calls: list[Call]) -> None:
    hearth_calls = [c for c in calls if c.kind == "hearth"]
    floor_calls = [c for c in calls if c.kind == "floor"]
    h, f = summary(hearth_calls), summary(floor_calls)
    print(
        "| | calls joined | p50 | p90 | max | client side p50 | therapist side p50 | "
        "both presented p50 (requestVideoFrameCallback) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, s in (("Hearth", h), ("floor (BroadcastChannel)", f)):
        print(
            f"| {name} | {s['n']:.0f} of {s['n'] + s['failed']:.0f} | {s['p50']:.0f} ms | "
            f"{s['p90']:.0f} ms | {s['max']:.0f} ms | {s['client p50']:.0f} ms | "
            f"{s['therapist p50']:.0f} ms | {s['presented p50']:.0f} ms |"
        )
    ratio = h["p50"] / f["p50"]
    print()
    print(f"- p50 < 1 s: **{'met' if h['p50'] < 1000 and not h['failed'] else 'not met'}**")
    print(f"- Hearth ÷ floor (p50): {ratio:.2f}: **{'met' if ratio <= 1.2 else 'not met'}**")
    print(f"- Hearth ÷ floor (p90): {h['p90'] / f['p90']:.2f}")
    print()
    print("Every call, in order (ms from admit to the first frame decoded: client / therapist):")
    print()
    for i in range(0, len(calls), 2):
        row = calls[i : i + 2]
        print(
            "- "
            + "; ".join(
                f"{c.kind} {c.join_ms:.0f} ({_ms(c.client_frame, c.admit)} / "
                f"{_ms(c.therapist_frame, c.admit)})"
                if c.join_ms is not None
                else f"{c.kind} no frame within {FRAME_TIMEOUT:.0f} s"
                for c in row
            )
        )


def _ms(mark: float | None, admit: float) -> str:
    return "—" if mark is None else f"{mark - admit:.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 calls each")
    parser.add_argument("--calls", type=int, help=f"each, default 20 (at most {MAX_CALLS})")
    args = parser.parse_args(argv)
    calls = args.calls or (3 if args.quick else 20)
    if not 1 <= calls <= MAX_CALLS:
        parser.error(f"--calls must be in [1, {MAX_CALLS}]")
    chromium = os.environ.get("HEARTH_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        parser.error(f"Chromium not found at {chromium} (set HEARTH_CHROMIUM)")

    info = machine()
    wall = time.perf_counter()
    print(f"# Join time benchmark ({'quick' if args.quick else 'full'})\n")
    results: list[Call] = []
    opens = (APPOINTMENT_MINUTES + GAP_MINUTES) * (calls + 12)
    with bench_environment(DATABASE) as bench:
        hearth(bench, "migrate", "--no-input")
        hearth(bench, "demo")
        # Read by settings at setup (django_setup replaces the HEARTH_ environment).
        bench.env["HEARTH_CALL_OPENS_MINUTES"] = str(opens)
        django_setup(bench)
        setup = book(calls + 1)  # the first for an untimed warm-up call
        from django.db import connection

        connection.close()
        from playwright.sync_api import sync_playwright

        sys.path.insert(0, str(ROOT))
        # The browser tests' own flags (fake camera and microphone, loopback candidates).
        chromium_args = list(importlib.import_module("tests.conftest").CHROMIUM_ARGS)

        port = free_port()
        server_env = {"HEARTH_CALL_OPENS_MINUTES": str(opens)}
        with (
            hearth_server(bench, port, env=server_env) as process,
            floor_server() as floor_base,
            sync_playwright() as playwright,
        ):
            info["chromium"] = chromium
            browser = playwright.chromium.launch(
                executable_path=chromium, headless=True, args=chromium_args
            )
            info["chromium"] = f"{browser.version} (headless, {chromium})"
            base = f"http://127.0.0.1:{port}"
            # One untimed call of each first: Chromium's media stack and the server warm up.
            hearth_call(browser, base, setup.appointments[0], setup)
            floor_call(browser, floor_base, 0)
            for n, appointment in enumerate(setup.appointments[1:], start=1):
                order = ("hearth", "floor") if n % 2 else ("floor", "hearth")
                for kind in order:
                    if kind == "hearth":
                        call = hearth_call(browser, base, appointment, setup)
                    else:
                        call = floor_call(browser, floor_base, n)
                    results.append(call)
                    shown = f"{call.join_ms:.0f} ms" if call.join_ms is not None else "no frame"
                    print(f"  call {n:2d} {kind:6s} {shown}", flush=True)
            browser.close()
            assert process.poll() is None, "the server stopped during the run"
    print()
    print_machine(info)
    report(results)
    elapsed = time.perf_counter() - wall
    print(f"\nLoad average at the end: {load_average()}; {elapsed:.0f} s in all.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
