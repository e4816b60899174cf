"""Episodes of care: opened at referral, one open at a time, discharged with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from hearth.accounts.personas import Cast
from hearth.governance.models import AuditEvent
from hearth.records.models import Episode, EpisodeStatus
from hearth.records.selectors import access_episode, episodes_visible_to
from hearth.records.services import episode_discharge, episode_open, episode_start_treatment


def test_opening_an_episode_encrypts_the_presenting_problem_and_audits_without_it(
    cast: Cast, episode: Episode
) -> None:
    assert episode.status == EpisodeStatus.ASSESSMENT
    with connection.cursor() as cursor:
        cursor.execute("SELECT presenting_problem FROM records_episode WHERE id = %s", [episode.pk])
        stored = cursor.fetchone()[0]
    assert "Low mood" not in stored
    assert Episode.objects.get(pk=episode.pk).presenting_problem.startswith("Low mood")
    event = AuditEvent.objects.get(action="episode.open", object_id=str(episode.pk))
    assert event.actor_id == cast.users["tom"].pk
    assert "Low mood" not in str(event.changes)


def test_a_client_has_one_open_episode_at_a_time(cast: Cast, episode: Episode) -> None:
    with pytest.raises(ValidationError, match="already has an open episode"):
        episode_open(
            membership=cast.memberships["sam"],
            client=cast.records["alice"],
            referral_source="self",
            referral_date=timezone.localdate(),
        )
    assert Episode.objects.filter(client=cast.records["alice"]).count() == 1


@pytest.mark.parametrize(
    ("persona", "client", "message"),
    [
        ("theo", "alice", "not on your caseload"),  # Alice is Tom's client
        ("olive", "alice", "not on your caseload"),  # another organisation
        ("alice", "alice", "Only therapists, supervisors and service admins"),
        ("cora", "alice", "Only therapists, supervisors and service admins"),
    ],
)
def test_opening_for_a_client_outside_your_caseload_is_refused(
    cast: Cast, persona: str, client: str, message: str
) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match=message):
        episode_open(
            membership=cast.memberships[persona],
            client=cast.records[client],
            referral_source="gp",
            referral_date=timezone.localdate(),
        )
    assert not Episode.objects.exists()
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"referral_source": "carrier pigeon"}, "where the referral came from"),
        # Days from today, worked out when the test runs (not when it is collected,
        # which may be the day before).
        ({"referral_date": 2}, "cannot be in the future"),
    ],
)
def test_bad_referrals_are_refused(cast: Cast, changes: dict, message: str) -> None:
    if "referral_date" in changes:
        changes = {"referral_date": timezone.localdate() + timedelta(days=changes["referral_date"])}
    arguments = {"referral_source": "gp", "referral_date": timezone.localdate(), **changes}
    with pytest.raises(ValidationError, match=message):
        episode_open(membership=cast.memberships["tom"], client=cast.records["alice"], **arguments)
    assert not Episode.objects.exists()


def test_a_service_admin_opens_episodes_but_writes_no_clinical_text(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="do not write clinical text"):
        episode_open(
            membership=cast.memberships["ada"],
            client=cast.records["alice"],
            referral_source="gp",
            referral_date=timezone.localdate(),
            presenting_problem="Panic",
        )
    episode = episode_open(
        membership=cast.memberships["ada"],
        client=cast.records["alice"],
        referral_source="gp",
        referral_date=timezone.localdate(),
    )
    assert episode.presenting_problem == ""


def test_treatment_then_discharge(cast: Cast, episode: Episode) -> None:
    tom = cast.memberships["tom"]
    episode = episode_start_treatment(membership=tom, episode=episode)
    assert episode.status == EpisodeStatus.TREATMENT
    with pytest.raises(ValidationError, match="Only an episode in assessment"):
        episode_start_treatment(membership=tom, episode=episode)
    with pytest.raises(ValidationError, match="before the referral date"):
        episode_discharge(
            membership=tom,
            episode=episode,
            discharge_reason="completed",
            discharge_date=episode.referral_date - timedelta(days=1),
        )
    with pytest.raises(ValidationError, match="reason for discharge"):
        episode_discharge(
            membership=tom,
            episode=episode,
            discharge_reason="bored",
            discharge_date=timezone.localdate(),
        )
    assert Episode.objects.get(pk=episode.pk).status == EpisodeStatus.TREATMENT
    episode = episode_discharge(
        membership=tom,
        episode=episode,
        discharge_reason="completed",
        discharge_date=timezone.localdate(),
    )
    assert (episode.status, episode.discharge_reason) == ("discharged", "completed")
    with pytest.raises(ValidationError, match="already discharged"):
        episode_discharge(
            membership=tom,
            episode=episode,
            discharge_reason="completed",
            discharge_date=timezone.localdate(),
        )
    # Discharged: a new referral may open a new episode.
    again = episode_open(
        membership=tom,
        client=cast.records["alice"],
        referral_source="self",
        referral_date=timezone.localdate(),
    )
    assert again.is_open


def test_access_follows_the_caseload_and_audits(cast: Cast, episode: Episode) -> None:
    from django.http import Http404

    for persona in ("tom", "sam", "ada", "alice"):
        assert access_episode(cast.memberships[persona], episode.pk) == episode
    for persona in ("theo", "olive", "charlie", "cora"):
        with pytest.raises(Http404):
            access_episode(cast.memberships[persona], episode.pk)
        assert not episodes_visible_to(cast.memberships[persona]).exists()
    assert AuditEvent.objects.filter(action="episode.view", object_id=str(episode.pk)).count() == 4
    denied = AuditEvent.objects.filter(action="access.denied", object_type="episode")
    assert denied.count() == 4


def test_episode_pages(cast: Cast, as_persona, episode: Episode) -> None:
    tom = as_persona("tom")
    page = tom.get(f"/episodes/{episode.pk}/").content.decode()
    assert "Low mood since a change of job." in page
    admin_page = as_persona("ada").get(f"/episodes/{episode.pk}/").content.decode()
    assert "Low mood" not in admin_page and "Session notes" not in admin_page
    response = tom.post(f"/episodes/{episode.pk}/status/", {"action": "treatment"})
    assert response.status_code == 302
    assert Episode.objects.get(pk=episode.pk).status == "treatment"
    response = tom.post(
        f"/episodes/{episode.pk}/status/",
        {"action": "discharge", "discharge_reason": "completed", "discharge_date": "2001-01-01"},
        follow=True,
    )
    assert "before the referral date" in response.content.decode()
    assert Episode.objects.get(pk=episode.pk).is_open
    # Opening a second one through the page gives the rule in words.
    response = tom.post(
        f"/clients/{cast.records['alice'].pk}/episodes/new/",
        {"referral_source": "gp", "referral_date": timezone.localdate().isoformat()},
    )
    assert response.status_code == 200
    assert "already has an open episode" in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "path", "actions"),
    [
        (
            "tom",
            "/episodes/{episode}/",
            {"episode.view", "session_note.list", "measure_response.list"},
        ),
        ("ada", "/episodes/{episode}/", {"episode.view"}),  # no clinical lists for the admin
        ("tom", "/clients/{record}/episodes/", {"client_record.episodes_view", "episode.list"}),
        ("alice", "/me/progress/", {"measure_response.list"}),
    ],
)
def test_every_clinical_page_read_is_audited(
    cast: Cast, as_persona, episode: Episode, persona: str, path: str, actions: set[str]
) -> None:
    client = as_persona(persona)  # signing in is audited too: count from after it
    before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    url = path.format(episode=episode.pk, record=cast.records["alice"].pk)
    assert client.get(url).status_code == 200
    new = AuditEvent.objects.filter(seq__gt=before, actor_id=cast.users[persona].pk)
    assert set(new.values_list("action", flat=True)) == actions
