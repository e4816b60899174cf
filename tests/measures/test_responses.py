"""Recording measures: who may, bad input, risk items, what is due, the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from hearth.accounts.personas import Cast
from hearth.governance.models import AuditEvent
from hearth.measures.models import MeasureResponse
from hearth.measures.selectors import episode_measures, measures_due
from hearth.measures.services import measure_record, measure_risk_items, measure_risk_review
from hearth.records.models import ClinicalPolicy, Episode
from hearth.records.services import episode_discharge
from hearth.scheduling.models import Appointment

PHQ_16 = [2, 2, 2, 2, 2, 2, 2, 2, 0]  # moderately severe, no risk item
GAD_12 = [2, 2, 2, 2, 2, 1, 1]


def test_a_client_completes_their_own_measure(
    cast: Cast, episode: Episode, next_session: Appointment
) -> None:
    response = measure_record(
        membership=cast.memberships["alice"],
        client=cast.records["alice"],
        code="phq-9",
        answers=[*PHQ_16, 1],
        appointment=next_session,
    )
    assert (response.instrument, response.total, response.band) == (
        "PHQ-9",
        16,
        "moderately severe",
    )
    assert response.episode == episode and response.complete and not response.risk_review_needed
    event = AuditEvent.objects.get(action="measure_response.create", object_id=str(response.pk))
    assert event.changes["instrument"] == "PHQ-9" and "total" not in event.changes


@pytest.mark.parametrize(
    ("persona", "client", "message"),
    [
        ("theo", "alice", "not on your caseload"),
        ("olive", "alice", "not on your caseload"),
        ("charlie", "alice", "only complete your own"),
        ("ada", "alice", "Only clients and their clinicians"),
        ("cora", "alice", "Only clients and their clinicians"),
    ],
)
def test_measures_for_a_client_outside_your_caseload_are_refused(
    cast: Cast, episode: Episode, persona: str, client: str, message: str
) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match=message):
        measure_record(
            membership=cast.memberships[persona],
            client=cast.records[client],
            code="PHQ-9",
            answers=PHQ_16,
        )
    assert not MeasureResponse.objects.exists()
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("code", "answers", "message"),
    [
        ("PHQ-9", [0, 0, 0, 0, 4, 0, 0, 0, 0], "PHQ-9 item 5: 4 is outside 0–3"),
        ("GAD-7", [0, 0, 0], "GAD-7 takes 7 answers, not 3"),
        ("GAD-7", [0, 0, 0, 0, 0, 0, "2"], "item 7: '2' is not a number"),
        ("ORS", [5, 5, 5, 10.5], "ORS item 4: 10.5 is outside 0–10"),
        ("BDI-II", [0] * 21, "Unknown measure"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_saved(
    cast: Cast, episode: Episode, code: str, answers: list, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        measure_record(
            membership=cast.memberships["alice"],
            client=cast.records["alice"],
            code=code,
            answers=answers,
        )
    assert not MeasureResponse.objects.exists()


def test_without_an_open_episode_nothing_is_recorded(cast: Cast, episode: Episode) -> None:
    episode_discharge(
        membership=cast.memberships["tom"],
        episode=episode,
        discharge_reason="completed",
        discharge_date=timezone.localdate(),
    )
    with pytest.raises(ValidationError, match="no open episode"):
        measure_record(
            membership=cast.memberships["tom"],
            client=cast.records["alice"],
            code="GAD-7",
            answers=GAD_12,
        )
    assert not MeasureResponse.objects.exists()


def test_one_response_per_measure_per_appointment(
    cast: Cast, episode: Episode, next_session: Appointment
) -> None:
    alice = cast.memberships["alice"]
    record = cast.records["alice"]
    measure_record(
        membership=alice, client=record, code="GAD-7", answers=GAD_12, appointment=next_session
    )
    with pytest.raises(ValidationError, match="GAD-7 for this appointment has already been"):
        measure_record(
            membership=alice, client=record, code="GAD-7", answers=GAD_12, appointment=next_session
        )
    assert MeasureResponse.objects.count() == 1


def test_a_risk_item_is_flagged_for_review_and_listed(cast: Cast, episode: Episode) -> None:
    response = measure_record(
        membership=cast.memberships["alice"],
        client=cast.records["alice"],
        code="PHQ-9",
        answers=[0, 1, 0, 0, 0, 0, 0, 0, 2],
    )
    assert response.risk_review_needed and response.flags == ["risk"]
    [item] = measure_risk_items(response)
    assert (item.number, item.answer) == (9, 2) and "better off dead" in item.text
    core = measure_record(
        membership=cast.memberships["tom"],
        client=cast.records["alice"],
        code="CORE-10",
        answers=[1, 3, 3, 1, 0, 0, 1, 1, 1, 0],
    )
    assert measure_risk_items(core) == [] and not core.risk_review_needed
    with pytest.raises(ValidationError, match="Only therapists and supervisors"):
        measure_risk_review(membership=cast.memberships["alice"], response=response)
    with pytest.raises(ValidationError, match="no risk item"):
        measure_risk_review(membership=cast.memberships["tom"], response=core)
    reviewed = measure_risk_review(membership=cast.memberships["tom"], response=response)
    assert reviewed.risk_reviewed_by == cast.users["tom"]
    with pytest.raises(ValidationError, match="Already reviewed by Tom Turner"):
        measure_risk_review(membership=cast.memberships["sam"], response=response)


def test_measures_due_before_each_session_follow_the_service_setting(
    cast: Cast, episode: Episode, next_session: Appointment
) -> None:
    record = cast.records["alice"]
    [due] = measures_due(record)
    assert due.appointment == next_session and due.codes == ["PHQ-9", "GAD-7"]
    measure_record(
        membership=cast.memberships["alice"],
        client=record,
        code="PHQ-9",
        answers=PHQ_16,
        appointment=next_session,
    )
    assert measures_due(record)[0].codes == ["GAD-7"]
    ClinicalPolicy.objects.filter(organisation=cast.organisations["riverside"]).update(
        measures_before_session=["CORE-10"]
    )
    assert measures_due(record)[0].codes == ["CORE-10"]
    # Outside the invitation window nothing is due yet.
    assert measures_due(record, now=timezone.now() - timedelta(days=3)) == []


def test_change_reliable_improvement_and_recovery_over_the_episode(
    cast: Cast, episode: Episode
) -> None:
    tom, record = cast.memberships["tom"], cast.records["alice"]
    for answers in (PHQ_16, [1, 1, 1, 1, 1, 1, 1, 1, 0]):
        measure_record(membership=tom, client=record, code="PHQ-9", answers=answers)
    measure_record(membership=tom, client=record, code="GAD-7", answers=GAD_12)
    phq, gad = episode_measures(episode)
    assert (phq.code, phq.first.total, phq.latest.total, phq.change) == ("PHQ-9", 16, 8, -8)
    assert phq.reliable_change == "reliable improvement" and phq.recovered is True
    assert gad.change is None and gad.reliable_change is None  # one score: no change yet


def test_the_client_answers_on_the_page_and_the_therapist_sees_it(
    cast: Cast, as_persona, episode: Episode, next_session: Appointment
) -> None:
    alice, tom = as_persona("alice"), as_persona("tom")
    page = alice.get("/me/measures/").content.decode()
    assert "How you have been feeling (PHQ-9)" in page
    url = f"/me/measures/{next_session.pk}/phq-9/"
    form = alice.get(url).content.decode()
    assert "Little interest or pleasure in doing things" in form and "Nearly every day" in form
    # An answer out of range is refused on the form and nothing is saved.
    bad = {f"item_{i}": "1" for i in range(1, 10)} | {"item_5": "7"}
    response = alice.post(url, bad)
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not MeasureResponse.objects.exists()
    missing = {f"item_{i}": "1" for i in range(1, 9)}
    response = alice.post(url, missing)
    assert "Choose an answer to this question." in response.content.decode()
    answers = {f"item_{i}": "2" for i in range(1, 10)} | {"item_9": "1"}
    response = alice.post(url, answers)
    assert response["Location"] == f"/me/measures/{next_session.pk}/gad-7/"
    saved = MeasureResponse.objects.get()
    assert (saved.total, saved.answers[9], saved.risk_review_needed) == (17, None, True)
    # Done once: asking again goes back to the list.
    assert alice.get(url)["Location"] == "/me/measures/"
    episode_page = tom.get(f"/episodes/{episode.pk}/").content.decode()
    # Before the session: what Alice has answered for it so far.
    assert "Before the next session" in episode_page
    assert 'PHQ-9: 17 (moderately severe) — <strong class="danger">risk item answered' in (
        episode_page
    )
    assert "GAD-7: not answered yet" in episode_page
    assert "Risk item answered above 0" in episode_page
    assert "17 (moderately severe)" in episode_page
    assert 'role="img"' in episode_page
    response = tom.post(f"/measures/{saved.pk}/review/", follow=True)
    assert "Marked as reviewed" in response.content.decode()
    assert "Risk item answered above 0" not in response.content.decode()
    # Theo cannot see or review Alice's answers.
    assert as_persona("theo").post(f"/measures/{saved.pk}/review/").status_code == 404
