"""Many writers, one chain: appends from concurrent connections on PostgreSQL.

Each thread has its own database connection, as separate web workers would, so the
row lock on the chain head is what keeps the chain from forking.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from hearth.accounts.models import Organisation
from hearth.clients.models import ClientRecord
from hearth.governance.audit import ChainReport, audit_record, audit_verify
from hearth.governance.models import AuditChainHead, AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8
EACH = 25


class Abandoned(Exception):
    """Raised inside a writer's transaction after it has audited, to roll both back."""


def run_writers(work: Callable[[int], None], *, threads: int = THREADS) -> list[BaseException]:
    """Run ``work(n)`` in ``threads`` threads started together; return what they raised."""
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def thread_main(n: int) -> None:
        try:
            start.wait(timeout=10)
            work(n)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    workers = [threading.Thread(target=thread_main, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(worker.is_alive() for worker in workers), "a writer hung"
    return errors


def assert_gapless(total: int) -> None:
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, total + 1))
    head = AuditChainHead.objects.get(pk=1)
    assert head.seq == total
    assert head.hash == AuditEvent.objects.get(seq=total).hash
    report = audit_verify()
    assert report.ok, report.problem
    assert report.checked == total


def test_concurrent_writers_append_one_gapless_chain(postgres: None) -> None:
    def work(n: int) -> None:
        for i in range(EACH):
            audit_record(actor=None, action="test.concurrent", object_id=f"{n}-{i}")

    assert run_writers(work) == []
    assert_gapless(THREADS * EACH)
    written = set(AuditEvent.objects.values_list("object_id", flat=True))
    assert written == {f"{n}-{i}" for n in range(THREADS) for i in range(EACH)}
    # Each thread's own entries are in the order it wrote them.
    for n in range(THREADS):
        mine = AuditEvent.objects.filter(object_id__startswith=f"{n}-").order_by("seq")
        assert [e.object_id for e in mine] == [f"{n}-{i}" for i in range(EACH)]


def test_audit_rows_commit_and_roll_back_with_the_change(postgres: None) -> None:
    """Writers hold the chain lock through a longer transaction that writes a record;
    every third one fails after auditing, and neither its record nor its entry stays."""
    org = Organisation.objects.create(name="Concurrency Counselling", slug="concurrency")
    per_thread = 6

    def work(n: int) -> None:
        for i in range(per_thread):
            marker = f"w{n}-{i}"
            try:
                with transaction.atomic():
                    record = ClientRecord.objects.create(
                        organisation=org,
                        given_name=marker,
                        family_name="Writer",
                        presenting_summary=f"Clinical text {marker}",
                    )
                    audit_record(
                        actor=None,
                        action="client_record.create",
                        organisation_id=org.pk,
                        object_type="client_record",
                        object_id=record.pk,
                        changes={"marker": marker},
                    )
                    # Keep the head locked while the transaction does more work.
                    record.presenting_summary = f"Revised text {marker}"
                    record.save(update_fields=["presenting_summary"])
                    time.sleep(0.002)
                    if i % 3 == 2:
                        raise Abandoned(marker)
            except Abandoned:
                pass

    assert run_writers(work) == []
    kept = {f"w{n}-{i}" for n in range(THREADS) for i in range(per_thread) if i % 3 != 2}
    records = {r.given_name: r for r in ClientRecord.objects.filter(organisation=org)}
    assert set(records) == kept
    events = list(AuditEvent.objects.filter(action="client_record.create"))
    assert {e.changes["marker"] for e in events} == kept
    for event in events:
        record = records[event.changes["marker"]]
        assert event.object_id == str(record.pk)
        assert record.presenting_summary == f"Revised text {event.changes['marker']}"
    assert_gapless(len(kept) + 1)  # and the new organisation's crisis directory seed


def test_verify_while_writers_append_reports_no_false_break(postgres: None) -> None:
    """Checking a live log: entries appended during the walk are not tampering."""
    done = threading.Event()
    reports: list[tuple[int, ChainReport]] = []

    def work(n: int) -> None:
        if n == 0:  # one thread checks while the others write
            while not done.is_set():
                reports.append((AuditEvent.objects.count(), audit_verify()))
            return
        try:
            for i in range(EACH):
                audit_record(actor=None, action="test.live", object_id=f"{n}-{i}")
        finally:
            if n == THREADS - 1:
                done.set()

    for _ in range(20):  # a log to walk from the start, so each check takes a moment
        audit_record(actor=None, action="test.seed")
    errors = run_writers(work)
    done.set()
    assert errors == []
    assert len(reports) >= 3, "the checker did not run while the writers did"
    assert [r.problem for _, r in reports if not r.ok] == []
    assert_gapless(20 + (THREADS - 1) * EACH)
