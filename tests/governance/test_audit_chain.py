"""The audit chain: appending, verifying, and finding what an attacker changed.

Tampering goes around the append-only triggers with raw SQL, as someone holding the
database could; ``hearth audit verify`` must still name the first entry that is wrong.
"""

from __future__ import annotations

import io
import itertools
import json
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from hearth.accounts.models import User
from hearth.governance.audit import GENESIS_HASH, audit_record, audit_verify, event_hash
from hearth.governance.context import AuditContext, reset_audit_context, set_audit_context
from hearth.governance.models import AuditChainHead, AuditEvent
from tests.governance.tamper import append_only_bypassed, sql, triggers_drop, triggers_install

pytestmark = pytest.mark.django_db

CHAIN_LENGTH = 6


def head() -> AuditChainHead:
    return AuditChainHead.objects.get(pk=1)


@pytest.fixture
def actor() -> User:
    return User.objects.create_user("auditor@example.test", "pw", full_name="Audrey Itor")


@pytest.fixture
def chain(actor: User) -> list[AuditEvent]:
    """A short log with a mix of actors, objects and changes; starts from an empty log."""
    assert head().seq == 0 and not AuditEvent.objects.exists(), "tests expect an empty log"
    token = set_audit_context(AuditContext(ip="192.0.2.7", user_agent="pytest-browser/1.0"))
    try:
        events = [
            audit_record(
                actor=actor if n % 2 else None,
                action=f"test.event_{n}",
                organisation_id=n if n % 3 else None,
                object_type="client_record",
                object_id=100 + n,
                reason="checked" if n == 2 else "",
                changes={"n": n, "fields": ["given_name", "phone"], "ratio": n / 4},
            )
            for n in range(1, CHAIN_LENGTH + 1)
        ]
    finally:
        reset_audit_context(token)
    return events


def verify_fails(seq: int | None, message: str) -> str:
    """Both the function and the command must report the problem at entry ``seq``."""
    report = audit_verify()
    assert not report.ok
    assert report.problem is not None
    assert report.problem.seq == seq
    assert message in report.problem.message
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify", stdout=io.StringIO())
    text = str(failure.value)
    assert message in text
    if seq is not None:
        assert re.search(rf"entr(y|ies) #{seq}\b", text), text
    return text


def test_audit_record_appends_contiguous_linked_entries(chain: list[AuditEvent]) -> None:
    stored = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in stored] == list(range(1, CHAIN_LENGTH + 1))
    assert stored[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(stored):
        assert after.prev_hash == before.hash
    for written, row in zip(chain, stored, strict=True):
        assert re.fullmatch(r"[0-9a-f]{64}", row.hash)
        # The hash covers the row as it reads back from the database, not only as written.
        assert event_hash(row) == row.hash == written.hash
    assert len({e.hash for e in stored}) == CHAIN_LENGTH
    assert (head().seq, head().hash) == (CHAIN_LENGTH, stored[-1].hash)


def test_audit_record_keeps_actor_context_and_changes(chain: list[AuditEvent], actor: User) -> None:
    with_actor = AuditEvent.objects.get(seq=1)
    assert (with_actor.actor_id, with_actor.actor_email) == (actor.pk, actor.email)
    without_actor = AuditEvent.objects.get(seq=2)
    assert (without_actor.actor_id, without_actor.actor_email) == (None, "")
    assert (with_actor.ip, with_actor.user_agent) == ("192.0.2.7", "pytest-browser/1.0")
    assert with_actor.object_id == "101"
    assert with_actor.changes == {"n": 1, "fields": ["given_name", "phone"], "ratio": 0.25}
    anonymous = audit_record(actor=AnonymousUser(), action="auth.login_failed", reason="x" * 900)
    anonymous.refresh_from_db()
    assert (anonymous.actor_id, anonymous.actor_email, anonymous.ip) == (None, "", None)
    assert anonymous.reason == "x" * 500
    assert audit_verify().ok


def test_intact_chain_verifies(chain: list[AuditEvent]) -> None:
    report = audit_verify()
    assert report.ok and report.problem is None
    assert report.checked == CHAIN_LENGTH
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert out.getvalue().strip() == f"Audit chain intact: {CHAIN_LENGTH} entries verified."


def test_empty_log_verifies() -> None:
    report = audit_verify()
    assert report.ok and report.checked == 0


# --- (a) an entry edited in place ------------------------------------------------------

EDITS = {
    "action": ("action = %s", "test.harmless"),
    "actor": ("actor_email = %s", "someone.else@example.test"),
    "organisation": ("organisation_id = %s", 999),
    "object": ("object_id = %s", "999"),
    "reason": ("reason = %s", "nothing to see"),
    "changes": ("changes = %s", json.dumps({"n": 99})),
    "time": ("created_at = created_at + INTERVAL '1 hour'", None),
    "address": ("ip = %s", "198.51.100.1"),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_edited_entry_is_found(chain: list[AuditEvent], edit: str) -> None:
    assignment, value = EDITS[edit]
    if edit == "time" and connection.vendor == "sqlite":
        assignment = "created_at = datetime(created_at, '+1 hour')"
    with append_only_bypassed():
        sql(
            f"UPDATE governance_auditevent SET {assignment} WHERE seq = %s",
            [value, 3] if value is not None else [3],
        )
    verify_fails(3, "entry #3 was altered after it was written")


def test_edit_with_recomputed_hash_breaks_the_next_link(chain: list[AuditEvent]) -> None:
    """The hash is not secret: rewriting it to match the edit must still be caught."""
    with append_only_bypassed():
        sql("UPDATE governance_auditevent SET action = 'test.forged' WHERE seq = 3")
        forged = AuditEvent.objects.get(seq=3)
        sql("UPDATE governance_auditevent SET hash = %s WHERE seq = 3", [event_hash(forged)])
    verify_fails(4, "entry #4 does not follow entry #3")


def test_last_entry_rewritten_with_its_hash_is_found_through_the_head(
    chain: list[AuditEvent],
) -> None:
    last = CHAIN_LENGTH
    with append_only_bypassed():
        sql("UPDATE governance_auditevent SET reason = 'rewritten' WHERE seq = %s", [last])
        forged = AuditEvent.objects.get(seq=last)
        sql("UPDATE governance_auditevent SET hash = %s WHERE seq = %s", [event_hash(forged), last])
    verify_fails(last, f"entry #{last} is not the entry that was written")


# --- (b) an entry deleted from the middle ------------------------------------------------


def test_entry_deleted_in_the_middle_is_found(chain: list[AuditEvent]) -> None:
    with append_only_bypassed():
        sql("DELETE FROM governance_auditevent WHERE seq = 3")
    text = verify_fails(3, "entry #3 is missing")
    assert "after 2 good entries" in text


def test_deleted_entry_hidden_by_renumbering_is_found(chain: list[AuditEvent]) -> None:
    with append_only_bypassed():
        sql("DELETE FROM governance_auditevent WHERE seq = 3")
        for seq in range(4, CHAIN_LENGTH + 1):
            sql("UPDATE governance_auditevent SET seq = %s WHERE seq = %s", [seq - 1, seq])
    verify_fails(3, "entry #3 does not follow entry #2")


# --- (c) entries cut from the end ------------------------------------------------------


@pytest.mark.parametrize("cut", [1, 2])
def test_tail_truncation_is_found_through_the_chain_head(chain: list[AuditEvent], cut: int) -> None:
    kept = CHAIN_LENGTH - cut
    with append_only_bypassed():
        sql("DELETE FROM governance_auditevent WHERE seq > %s", [kept])
    # Every remaining link is sound; only the head knows more was written.
    missing = f"entry #{kept + 1} is" if cut == 1 else f"entries #{kept + 1} to #{CHAIN_LENGTH} are"
    text = verify_fails(
        kept + 1,
        f"{missing} missing: the log ends at entry #{kept} but entry #{CHAIN_LENGTH} was written",
    )
    assert f"after {kept} good entries" in text


def test_whole_log_deleted_is_found(chain: list[AuditEvent]) -> None:
    with append_only_bypassed():
        sql("DELETE FROM governance_auditevent")
    verify_fails(1, f"entries #1 to #{CHAIN_LENGTH} are missing: the log ends at entry #0")


def test_entry_appended_around_the_head_is_found(chain: list[AuditEvent]) -> None:
    """Inserting is allowed by the triggers, but a row the head never counted is foreign."""
    last = chain[-1]
    forged = AuditEvent(
        seq=last.seq + 1,
        created_at=last.created_at,
        action="test.forged",
        prev_hash=last.hash,
    )
    forged.hash = event_hash(forged)
    forged.save(force_insert=True)
    verify_fails(CHAIN_LENGTH + 1, f"entry #{CHAIN_LENGTH + 1} was not appended through")


def test_missing_chain_head_is_reported_not_crashed(chain: list[AuditEvent]) -> None:
    AuditChainHead.objects.filter(pk=1).delete()
    verify_fails(None, "the chain head (audit head #1) is missing")


# --- (d) entries reordered -------------------------------------------------------------


def test_swapped_sequence_numbers_are_found(chain: list[AuditEvent]) -> None:
    with append_only_bypassed():
        sql("UPDATE governance_auditevent SET seq = -1 WHERE seq = 3")
        sql("UPDATE governance_auditevent SET seq = 3 WHERE seq = 4")
        sql("UPDATE governance_auditevent SET seq = 4 WHERE seq = -1")
    verify_fails(3, "entry #3 does not follow entry #2")


def test_swapped_contents_are_found(chain: list[AuditEvent]) -> None:
    """Rows keep their numbers but trade everything else, hashes included."""
    columns = "created_at, actor_id, actor_email, organisation_id, action, object_type, "
    columns += "object_id, ip, user_agent, reason, changes, prev_hash, hash"
    names = [c.strip() for c in columns.split(",")]
    third, fourth = (
        sql(f"SELECT {columns} FROM governance_auditevent WHERE seq = %s", [seq])[0]
        for seq in (3, 4)
    )
    assignments = ", ".join(f"{name} = %s" for name in names)
    with append_only_bypassed():
        sql(f"UPDATE governance_auditevent SET {assignments} WHERE seq = 3", [*fourth])
        sql(f"UPDATE governance_auditevent SET {assignments} WHERE seq = 4", [*third])
    assert AuditEvent.objects.get(seq=3).action == "test.event_4"
    verify_fails(3, "entry #3 does not follow entry #2")


# --- the database refuses changes, whoever asks ---------------------------------------


def refused(statement_runner) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        statement_runner()


def test_orm_update_and_delete_are_refused(chain: list[AuditEvent]) -> None:
    event = AuditEvent.objects.get(seq=2)
    refused(lambda: AuditEvent.objects.filter(seq=2).update(action="test.changed"))
    refused(lambda: AuditEvent.objects.all().update(reason="all of them"))
    event.action = "test.changed"
    refused(lambda: event.save())
    refused(lambda: AuditEvent.objects.get(seq=2).delete())
    refused(lambda: AuditEvent.objects.filter(seq__gte=4).delete())
    assert AuditEvent.objects.count() == CHAIN_LENGTH
    assert AuditEvent.objects.get(seq=2).action == "test.event_2"
    assert audit_verify().ok


def test_raw_update_and_delete_are_refused(chain: list[AuditEvent]) -> None:
    refused(lambda: sql("UPDATE governance_auditevent SET action = 'x' WHERE seq = 2"))
    refused(lambda: sql("DELETE FROM governance_auditevent WHERE seq = 2"))
    refused(lambda: sql("DELETE FROM governance_auditevent"))
    assert [row[0] for row in sql("SELECT action FROM governance_auditevent WHERE seq = 2")] == [
        "test.event_2"
    ]
    assert AuditEvent.objects.count() == CHAIN_LENGTH
    assert audit_verify().ok


def test_truncate_is_refused_on_postgresql(postgres: None, chain: list[AuditEvent]) -> None:
    refused(lambda: sql("TRUNCATE governance_auditevent"))
    assert AuditEvent.objects.count() == CHAIN_LENGTH


def test_bypass_helper_really_restores_the_triggers(chain: list[AuditEvent]) -> None:
    """Guards the tests above: after tampering, the log is append-only again."""
    with append_only_bypassed():
        pass
    refused(lambda: sql("DELETE FROM governance_auditevent WHERE seq = 1"))
    triggers_drop()
    triggers_install()
    refused(lambda: sql("UPDATE governance_auditevent SET seq = 7 WHERE seq = 1"))


# --- the log stays in one transaction with the change it describes ----------------------


def test_audit_entry_rolls_back_with_the_change(chain: list[AuditEvent]) -> None:
    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        audit_record(actor=None, action="test.rolled_back")
        raise Abandoned
    assert not AuditEvent.objects.filter(action="test.rolled_back").exists()
    assert head().seq == CHAIN_LENGTH
    after = audit_record(actor=None, action="test.after_rollback")
    assert after.seq == CHAIN_LENGTH + 1
    assert audit_verify().ok


# --- values the database spells its own way ---------------------------------------------

# What reads back for each address the client (or a proxy header) gave.
ADDRESSES = {
    "2001:DB8::1": "2001:db8::1",
    "2001:0db8:0000:0000:0000:0000:0000:0001": "2001:db8::1",
    "::10.0.0.1": "::a00:1",
    "::ffff:10.0.0.1": "::ffff:10.0.0.1",
    "fe80::1%eth0": "fe80::1",
    "10.0.0.1": "10.0.0.1",
    "unknown": None,
    "": None,
}


@pytest.mark.parametrize("given", list(ADDRESSES))
def test_client_address_in_any_spelling_keeps_the_chain_valid(given: str) -> None:
    expected = ADDRESSES[given]
    if given == "::10.0.0.1" and connection.vendor == "postgresql":
        expected = "::10.0.0.1"  # inet prints it its own way: the hash must not mind
    token = set_audit_context(AuditContext(ip=given, user_agent="pytest"))
    try:
        event = audit_record(actor=None, action="test.address")
    finally:
        reset_audit_context(token)
    event.refresh_from_db()
    assert event.ip == expected
    report = audit_verify()
    assert report.ok, report.problem


def test_numbers_in_changes_keep_the_chain_valid() -> None:
    """PostgreSQL's jsonb reads some floats back as integers; the hash must not mind."""
    changes = {
        "score": 12.5,
        "third": 1 / 3,
        "whole": 3.0,
        "big": 1e16,
        "huge": 1.5e300,
        "tiny": 1e-7,
        "negative_zero": -0.0,
        "nested": [{"bytes": 2.5e16}, True, None, 7],
    }
    event = audit_record(actor=None, action="test.numbers", changes=changes)
    event.refresh_from_db()
    # Equal as numbers, whatever type they come back as (1.5e300 is stored as its decimal).
    assert event.changes == {**changes, "huge": event.changes["huge"]}
    assert float(event.changes["huge"]) == 1.5e300
    report = audit_verify()
    assert report.ok, report.problem


def test_overlong_user_agent_is_cut_not_refused() -> None:
    token = set_audit_context(AuditContext(ip="192.0.2.1", user_agent="A" * 1000))
    try:
        event = audit_record(actor=None, action="test.user_agent")
    finally:
        reset_audit_context(token)
    event.refresh_from_db()
    assert event.user_agent == "A" * 300
    assert audit_verify().ok


# --- flush (which ends every transactional test) keeps a usable chain -------------------


@pytest.mark.django_db(transaction=True)
def test_flush_leaves_a_chain_head_to_append_to() -> None:
    audit_record(actor=None, action="test.before_flush")
    triggers_drop()  # flush empties the log, which the triggers would refuse
    try:
        call_command("flush", interactive=False, verbosity=0)
    finally:
        triggers_install()
    assert (head().seq, head().hash) == (0, GENESIS_HASH)
    assert audit_record(actor=None, action="test.after_flush").seq == 1
    assert audit_verify().ok
