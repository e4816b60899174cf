"""The permission walk: every route, every persona, the declared outcome.

Each Hearth route must have a row in ROUTES saying what each persona gets. A new route
without a row fails ``test_every_route_has_a_declared_rule``, so no clinical page or
endpoint can ship without its access rule being stated and checked here.

Outcomes: an HTTP status, or LOGIN (redirect to the sign-in page).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from hearth.accounts.personas import Cast

LOGIN = "login"
PERSONAS = ["anon", "alice", "charlie", "tom", "theo", "sam", "ada", "cora", "olive"]
STAFF_WITH_RECORDS = {"tom", "theo", "sam", "ada", "olive"}
MEMBERS = [p for p in PERSONAS if p != "anon"]

# Routes provided by well-kept libraries that carry their own access rules: allauth's
# account pages (sign-in, MFA, sessions) and Django's admin (is_staff + superuser).
# They are checked for "no server error, admin closed to ordinary users" below.
LIBRARY_PREFIXES = ("accounts/", "admin/")


def everyone(outcome: Any) -> dict[str, Any]:
    return dict.fromkeys(PERSONAS, outcome)


def members(outcome: Any, anon: Any = LOGIN, **overrides: Any) -> dict[str, Any]:
    return {"anon": anon, **dict.fromkeys(MEMBERS, outcome), **overrides}


def only(allowed: set[str], ok: Any = 200, other: Any = 403, anon: Any = LOGIN) -> dict[str, Any]:
    return {"anon": anon, **{p: ok if p in allowed else other for p in MEMBERS}}


@dataclass
class Rule:
    expect: dict[str, Any]
    kwargs: Callable[[Cast, dict[str, Any]], dict[str, Any]] = lambda cast, extra: {}
    query: Callable[[Cast, dict[str, Any]], str] = lambda cast, extra: ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def alice_thread(cast: Cast, extra: dict[str, Any]) -> dict[str, Any]:
    return {"thread_id": extra["thread"].pk}


ALICE_MESSAGES = {
    "anon": LOGIN,
    "alice": 200,
    "charlie": 404,
    "tom": 200,
    "theo": 404,
    "sam": 200,
    "ada": 403,
    "cora": 403,
    "olive": 404,
}


def alice_record(cast: Cast, extra: dict[str, Any]) -> dict[str, Any]:
    return {"record_id": cast.records["alice"].pk}


# Alice is Tom's client; Sam supervises Tom; Ada administers Riverside; Theo and Olive
# (another organisation) must not see her; clients and commissioners have no record pages.
ALICE_RECORD_PAGE = {
    "anon": LOGIN,
    "alice": 403,
    "charlie": 403,
    "tom": 200,
    "theo": 404,
    "sam": 200,
    "ada": 200,
    "cora": 403,
    "olive": 404,
}
ALICE_RECORD_API = {**ALICE_RECORD_PAGE, "anon": 401}
SCHEDULING_API = only({"alice", "charlie", "tom", "theo", "sam", "ada", "olive"}, anon=401)


def alice_appointment(cast: Cast, extra: dict[str, Any]) -> dict[str, Any]:
    return {"appointment_id": extra["appointment"].pk}


# Alice's appointment with Tom: Alice herself, Tom, his supervisor and the admin see it.
ALICE_APPOINTMENT_API = {**ALICE_RECORD_API, "alice": 200, "charlie": 404}


SCHEDULERS = {"alice", "charlie", "tom", "theo", "sam", "ada", "olive"}
CLINICIANS = {"tom", "theo", "sam", "olive"}
# Clinical pages of Alice's record: Tom and his supervisor; not the admin.
ALICE_CLINICAL_PAGE = {**ALICE_RECORD_PAGE, "ada": 403}


def alice_episode(cast: Cast, extra: dict[str, Any]) -> dict[str, Any]:
    return {"episode_id": extra["episode"].pk}


def alice_note(cast: Cast, extra: dict[str, Any]) -> dict[str, Any]:
    return {"note_id": extra["note"].pk}


# The session-start check of Alice's remote appointment: she answers, Tom reviews; other
# clinicians and clients get 404 (no such check for them), other roles have no such page.
ALICE_CHECK = {
    "anon": LOGIN,
    "alice": 200,
    "charlie": 404,
    "tom": 403,
    "theo": 404,
    "sam": 404,
    "ada": 403,
    "cora": 403,
    "olive": 404,
}


def post_only(roles: set[str]) -> dict[str, Any]:
    """A GET to a POST-only endpoint: 405 for permitted roles (before any object is
    fetched; object access is checked by the POST tests), 403 for others."""
    return only(roles, ok=405, anon=401)


ROUTES: dict[str, Rule] = {
    "home": Rule(members(200)),
    "healthz": Rule(everyone(200), note="public liveness, no data"),
    "organisation_choose": Rule(members(200)),
    "account_settings": Rule(members(200)),
    "staff_list": Rule(only({"ada"})),
    "organisation_settings": Rule(only({"ada"})),
    "invitation_revoke": Rule(
        only({"ada"}, ok=405),
        kwargs=lambda cast, extra: {"invitation_id": extra["invitation"].pk},
        note="POST only",
    ),
    "invitation_accept": Rule(
        everyone(200),
        kwargs=lambda cast, extra: {"token": extra["invitation_token"]},
        note="the token is the credential",
    ),
    "client_register": Rule(everyone(200), kwargs=lambda cast, extra: {"slug": "riverside"}),
    "client_list": Rule(only(STAFF_WITH_RECORDS)),
    "client_create": Rule(only(STAFF_WITH_RECORDS)),
    "client_detail": Rule(ALICE_RECORD_PAGE, kwargs=alice_record),
    "client_edit": Rule(ALICE_RECORD_PAGE, kwargs=alice_record),
    "my_record": Rule(only({"alice", "charlie"})),
    "audit_log": Rule(only({"ada"})),
    "audit_export": Rule(only({"ada"})),
    "api_me": Rule(members(200, anon=401)),
    "api_client_list": Rule(only(STAFF_WITH_RECORDS, anon=401)),
    "api_client_detail": Rule(ALICE_RECORD_API, kwargs=alice_record),
    "api_audit_events": Rule(only({"ada"}, anon=401)),
    "api_schema": Rule(members(200), note="describes the API; holds no data"),
    "api_docs": Rule(members(200)),
    "api_slots": Rule(
        # Olive's organisation does not offer Riverside's service: a specific 400.
        {**SCHEDULING_API, "olive": 400},
        query=lambda cast, extra: f"?service_type={extra['service'].pk}&modality=video&days=7",
    ),
    "api_appointments": Rule(SCHEDULING_API),
    "api_appointment_detail": Rule(ALICE_APPOINTMENT_API, kwargs=alice_appointment),
    "api_appointment_reschedule": Rule(post_only(SCHEDULERS), kwargs=alice_appointment),
    "api_appointment_cancel": Rule(post_only(SCHEDULERS), kwargs=alice_appointment),
    "api_appointment_attendance": Rule(
        post_only({"tom", "theo", "sam", "olive"}), kwargs=alice_appointment
    ),
    "api_appointment_confirm": Rule(
        post_only({"tom", "theo", "sam", "ada", "olive"}), kwargs=alice_appointment
    ),
    "my_appointments": Rule(only({"alice", "charlie"})),
    "appointment_book": Rule(only(SCHEDULERS)),
    "calendar_feed_settings": Rule(only({"tom", "theo", "sam", "olive"})),
    "availability": Rule(only({"tom", "theo", "sam", "olive"})),
    "calendar_feed": Rule(
        everyone(200),
        kwargs=lambda cast, extra: {"token": extra["feed_token"]},
        note="the secret token is the credential; initials only",
    ),
    "waitlist": Rule(only(STAFF_WITH_RECORDS)),
    "scheduling_settings": Rule(only({"ada"})),
    # Alice's appointment: she, Tom, his supervisor and the admin may move or cancel it.
    "appointment_reschedule": Rule(
        {**ALICE_RECORD_PAGE, "alice": 200, "charlie": 404}, kwargs=alice_appointment
    ),
    "appointment_cancel": Rule(
        {**ALICE_RECORD_PAGE, "alice": 200, "charlie": 404}, kwargs=alice_appointment
    ),
    "appointment_attendance": Rule(
        only({"tom", "theo", "sam", "olive"}, ok=405), kwargs=alice_appointment, note="POST only"
    ),
    "calendar": Rule(only({"tom", "theo", "sam", "olive"})),
    # The call room: the appointment's client and therapist only (a supervisor too is
    # refused: 1:1 rooms); admins and commissioners have no call pages at all.
    "call": Rule(
        {
            "anon": LOGIN,
            "alice": 200,
            "charlie": 404,
            "tom": 200,
            "theo": 404,
            "sam": 404,
            "ada": 403,
            "cora": 403,
            "olive": 404,
        },
        kwargs=alice_appointment,
    ),
    # Telephone outcome and ending a session: therapists only, POST only; the POST itself
    # is checked against the appointment (tests/calls/test_session_record.py).
    "call_telephone_outcome": Rule(
        only({"tom", "theo", "olive"}, ok=405), kwargs=alice_appointment, note="POST only"
    ),
    "call_end": Rule(
        only({"tom", "theo", "olive"}, ok=405), kwargs=alice_appointment, note="POST only"
    ),
    # Messaging: Alice's thread is hers, Tom's (her therapist) and Sam's (his supervisor);
    # a service admin manages records but never reads messages; others get 404 or 403.
    "messages": Rule(
        {**only({"tom", "theo", "sam", "olive"}), "alice": 302, "charlie": 302},
        note="clients go straight to their own conversation",
    ),
    "message_preferences": Rule(only({"alice", "charlie", "tom", "theo", "sam", "olive"})),
    "message_thread": Rule(ALICE_MESSAGES, kwargs=alice_thread),
    "message_send": Rule(
        only({"alice", "charlie", "tom", "theo", "sam", "olive"}, ok=405),
        kwargs=alice_thread,
        note="POST only; the POST checks the thread (tests/messaging)",
    ),
    "message_arrangement": Rule(
        {**ALICE_MESSAGES, "alice": 403, "charlie": 403}, kwargs=alice_thread
    ),
    "message_attachment": Rule(
        ALICE_MESSAGES,
        kwargs=lambda cast, extra: {"attachment_id": extra["attachment"].pk},
    ),
    "message_thread_start": Rule(
        only({"tom", "theo", "sam", "olive"}, ok=405), kwargs=alice_record, note="POST only"
    ),
    # The record of care. Episodes follow the client record's rules (Ada sees the
    # episode but not its clinical text); notes and measures are for clinicians only.
    "episode_list": Rule(ALICE_RECORD_PAGE, kwargs=alice_record),
    "episode_create": Rule(ALICE_RECORD_PAGE, kwargs=alice_record),
    "episode_detail": Rule(ALICE_RECORD_PAGE, kwargs=alice_episode),
    "episode_status": Rule(only(CLINICIANS, ok=405), kwargs=alice_episode, note="POST only"),
    "note_start": Rule(ALICE_CLINICAL_PAGE, kwargs=alice_episode),
    "note_detail": Rule(ALICE_CLINICAL_PAGE, kwargs=alice_note),
    "note_autosave": Rule(only(CLINICIANS, ok=405), kwargs=alice_note, note="POST only"),
    "note_cosign": Rule(only(CLINICIANS, ok=405), kwargs=alice_note, note="POST only"),
    "note_addendum": Rule(only(CLINICIANS, ok=405), kwargs=alice_note, note="POST only"),
    "plan_detail": Rule(ALICE_CLINICAL_PAGE, kwargs=alice_episode),
    "my_plan": Rule(only({"alice", "charlie"})),
    # Riverside does not share notes with clients (the default): 404 for its clients.
    "my_notes": Rule(only({"alice", "charlie"}, ok=404)),
    "clinical_settings": Rule(only({"ada"})),
    "review_list": Rule(only(CLINICIANS)),
    # Sam's review of Tom's session: Tom sees it once Sam has recorded it.
    "review_detail": Rule(
        {**only(CLINICIANS), "tom": 404, "theo": 404, "olive": 404},
        kwargs=lambda cast, extra: {"review_id": extra["review"].pk},
    ),
    "my_measures": Rule(only({"alice", "charlie"})),
    # The sample appointment has not happened: Alice is sent back to her list.
    "feedback_form": Rule(
        {**only({"alice", "charlie"}), "alice": 302, "charlie": 404}, kwargs=alice_appointment
    ),
    "feedback_overview": Rule(only({"tom", "theo", "sam", "olive", "ada", "cora"})),
    "feedback_seen": Rule(
        only(CLINICIANS, ok=405),
        kwargs=lambda cast, extra: {"feedback_id": 1},
        note="POST only",
    ),
    "my_progress": Rule(only({"alice", "charlie"})),
    # The sample appointment is weeks away, so nothing is due yet: Alice is sent back to
    # her list; Charlie cannot see Alice's appointment.
    "measure_complete": Rule(
        {**only({"alice", "charlie"}), "alice": 302, "charlie": 404},
        kwargs=lambda cast, extra: {"appointment_id": extra["appointment"].pk, "code": "phq-9"},
    ),
    "measure_risk_review": Rule(
        only(CLINICIANS, ok=405),
        kwargs=lambda cast, extra: {"response_id": extra["measure_response"].pk},
        note="POST only",
    ),
    # Safety: the crisis directory is read by clinicians, edited by service admins.
    "crisis_directory": Rule(only(STAFF_WITH_RECORDS)),
    # Safety details and plan: the client's own page, and the record's care team's.
    "my_safety": Rule(only({"alice", "charlie"})),
    "client_safety": Rule(ALICE_RECORD_PAGE, kwargs=alice_record),
    # Risk flags: the client's clinicians only (service admins do not read them).
    "client_risk": Rule({**ALICE_RECORD_PAGE, "ada": 403}, kwargs=alice_record),
    "client_suitability": Rule({**ALICE_RECORD_PAGE, "ada": 403}, kwargs=alice_record),
    "suitability_due": Rule(only({"tom", "theo", "sam", "olive"})),
    # Help now: clients only; incidents for clinicians; the rota for staff with records.
    "help_now": Rule(only({"alice", "charlie"})),
    "incident_list": Rule(only({"tom", "theo", "sam", "olive"})),
    "incident_detail": Rule(
        {**ALICE_RECORD_PAGE, "ada": 403},
        kwargs=lambda cast, extra: {"incident_id": extra["incident"].pk},
        note="Alice's help request: Tom (alerted) and Sam (supervisor) review it",
    ),
    "duty_rota": Rule(only(STAFF_WITH_RECORDS)),
    # Safety over the API.
    "api_crisis_numbers": Rule(members(200, anon=401)),
    "api_help": Rule(post_only({"alice", "charlie"})),
    "api_session_check": Rule(
        {**ALICE_CHECK, "anon": 401, "tom": 200, "sam": 404}, kwargs=alice_appointment
    ),
    "api_session_check_confirm": Rule(
        post_only({"tom", "theo", "sam", "olive"}), kwargs=alice_appointment
    ),
    "api_session_check_override": Rule(
        post_only({"tom", "theo", "sam", "olive"}), kwargs=alice_appointment
    ),
    "api_incident_acknowledge": Rule(
        post_only({"tom", "theo", "sam", "olive"}),
        kwargs=lambda cast, extra: {"incident_id": extra["incident"].pk},
    ),
    # The rest of safety over the API: the same people as the pages (clients their own
    # safety details and plan), 401 without credentials.
    "api_safety_details": Rule(
        {**ALICE_RECORD_API, "alice": 200, "charlie": 404}, kwargs=alice_record
    ),
    "api_safety_plan": Rule(
        {**ALICE_RECORD_API, "alice": 200, "charlie": 404, "ada": 403}, kwargs=alice_record
    ),
    "api_suitability": Rule({**ALICE_RECORD_API, "ada": 403}, kwargs=alice_record),
    "api_suitability_reviews_due": Rule(only(CLINICIANS, anon=401)),
    "api_risk_flags": Rule({**ALICE_RECORD_API, "ada": 403}, kwargs=alice_record),
    "api_risk_flag_resolve": Rule(
        post_only(CLINICIANS), kwargs=lambda cast, extra: {"flag_id": extra["risk_flag"].pk}
    ),
    "api_duty_shifts": Rule(only(STAFF_WITH_RECORDS, anon=401)),
    "api_duty_shift": Rule(
        only({"sam", "ada"}, ok=405, anon=401),
        kwargs=lambda cast, extra: {"shift_id": extra["duty_shift"].pk},
        note="DELETE only, by those who keep the rota",
    ),
    "api_escalation_policy": Rule(only(STAFF_WITH_RECORDS, anon=401)),
    "api_incidents": Rule(only(CLINICIANS, anon=401)),
    "api_incident": Rule(
        {**ALICE_RECORD_API, "ada": 403},
        kwargs=lambda cast, extra: {"incident_id": extra["incident"].pk},
    ),
    "api_incident_actions": Rule(
        post_only(CLINICIANS), kwargs=lambda cast, extra: {"incident_id": extra["incident"].pk}
    ),
    "api_incident_close": Rule(
        post_only({"sam"}), kwargs=lambda cast, extra: {"incident_id": extra["incident"].pk}
    ),
    "api_disclosures": Rule(post_only(CLINICIANS), kwargs=alice_appointment),
    # The session-start check of Alice's video appointment: she answers, Tom reviews.
    "session_check": Rule(
        ALICE_CHECK,
        kwargs=alice_appointment,
        note="the therapist answers only for telephone sessions",
    ),
    "session_check_review": Rule(
        {**ALICE_CHECK, "alice": 403, "charlie": 403, "tom": 200}, kwargs=alice_appointment
    ),
    "risk_panel": Rule(
        {**ALICE_CHECK, "alice": 403, "charlie": 403, "tom": 200}, kwargs=alice_appointment
    ),
    "session_check_confirm": Rule(
        only({"tom", "theo", "sam", "olive"}, ok=405), kwargs=alice_appointment, note="POST only"
    ),
    "session_check_override": Rule(
        only({"tom", "theo", "sam", "olive"}, ok=405), kwargs=alice_appointment, note="POST only"
    ),
    "api_tokens": Rule(only(STAFF_WITH_RECORDS)),
    "api_token_revoke": Rule(
        only(STAFF_WITH_RECORDS, ok=405),
        kwargs=lambda cast, extra: {"token_id": extra["token"].pk},
        note="POST only",
    ),
}


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def hearth_routes() -> list[tuple[str, URLPattern]]:
    return [
        (route, pattern)
        for route, pattern in _walk(get_resolver().url_patterns)
        if not route.startswith(LIBRARY_PREFIXES)
        or pattern.callback.__module__.startswith("hearth")
    ]


def test_every_route_has_a_declared_rule() -> None:
    missing = [
        f"{route} (name={pattern.name!r})"
        for route, pattern in hearth_routes()
        if pattern.name not in ROUTES
    ]
    assert not missing, (
        "Routes without a declared access rule — add them to ROUTES in "
        f"tests/test_permission_walk.py: {missing}"
    )
    stale = set(ROUTES) - {pattern.name for _, pattern in hearth_routes()}
    assert not stale, f"ROUTES names routes that no longer exist: {sorted(stale)}"


def test_every_hearth_view_states_who_may_use_it() -> None:
    """Page views carry a decorator from accounts.decorators; API views DRF permissions."""
    unstated = []
    for route, pattern in hearth_routes():
        callback = pattern.callback
        if not callback.__module__.startswith("hearth"):
            continue
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if view_class is not None and getattr(view_class, "permission_classes", None):
            continue
        if not hasattr(callback, "access_rule"):
            unstated.append(route)
    assert not unstated, f"Views without an access decorator: {unstated}"


@pytest.fixture
def walk_setup(route_samples: dict[str, Any]) -> dict[str, Any]:
    return route_samples


def _client(cast: Cast, persona: str) -> Client:
    client = Client()
    if persona != "anon":
        client.force_login(cast.users[persona])
    return client


def _outcome(response: Any) -> Any:
    if response.status_code == 302 and "/accounts/login/" in response["Location"]:
        return LOGIN
    return response.status_code


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_route_outcome_for_every_persona(name: str, cast: Cast, walk_setup: dict[str, Any]) -> None:
    rule = ROUTES[name]
    url = reverse(name, kwargs=rule.kwargs(cast, walk_setup)) + rule.query(cast, walk_setup)
    got = {persona: _outcome(_client(cast, persona).get(url)) for persona in PERSONAS}
    assert got == rule.expect, f"{name} ({url}): expected {rule.expect}, got {got}"


def test_library_routes_do_not_fail_and_admin_is_closed(cast: Cast) -> None:
    for route, _pattern in _walk(get_resolver().url_patterns):
        if not route.startswith(LIBRARY_PREFIXES) or "<" in route or "(?P" in route:
            continue
        for persona in ("anon", "tom", "alice"):
            response = _client(cast, persona).get("/" + route)
            assert response.status_code < 500, (route, persona, response.status_code)
            if route.startswith("admin/") and route != "admin/login/":
                assert response.status_code in (302, 404), (route, persona)


def test_denied_record_access_is_audited(cast: Cast) -> None:
    from hearth.governance.models import AuditEvent

    record_id = cast.records["alice"].pk
    _client(cast, "theo").get(reverse("client_detail", kwargs={"record_id": record_id}))
    denied = AuditEvent.objects.filter(
        action="access.denied", object_type="client_record", object_id=str(record_id)
    )
    assert denied.filter(actor_id=cast.users["theo"].pk).exists()
    _client(cast, "tom").get(reverse("client_detail", kwargs={"record_id": record_id}))
    assert AuditEvent.objects.filter(
        action="client_record.view", object_id=str(record_id), actor_id=cast.users["tom"].pk
    ).exists()
