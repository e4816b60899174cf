"""Reads of completed measures: what is due, what each episode shows, what changed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from hearth.accounts.models import CLINICIAN_ROLES, Membership, Role
from hearth.clients.models import ClientRecord
from hearth.clients.selectors import client_records_visible_to
from hearth.measures.models import MeasureResponse
from hearth.measures.scoring import INSTRUMENTS, instrument, is_clinical, recovered, reliable_change
from hearth.records.models import Episode, EpisodeStatus
from hearth.records.selectors import access_checked, clinical_policy_of
from hearth.scheduling.models import Appointment, AppointmentStatus


def responses_visible_to(membership: Membership) -> QuerySet[MeasureResponse]:
    """Clinicians: their caseload's; clients: their own; nobody else sees scores."""
    if membership.role not in CLINICIAN_ROLES and membership.role != Role.CLIENT:
        return MeasureResponse.objects.none()
    return MeasureResponse.objects.filter(
        organisation_id=membership.organisation_id,
        client__in=client_records_visible_to(membership),
    )


def access_measure_response(
    membership: Membership, response_id: int, *, purpose: str = "view"
) -> MeasureResponse:
    """Fetch a response the membership may see and audit the read; otherwise 404."""
    return access_checked(
        responses_visible_to(membership),
        membership,
        response_id,
        object_type="measure_response",
        purpose=purpose,
    )


@dataclass
class DueMeasures:
    appointment: Appointment
    codes: list[str]


def measures_due(client: ClientRecord, *, now: datetime | None = None) -> list[DueMeasures]:
    """Measures the client is asked to complete before each coming session: the
    organisation's list, for booked appointments in the open episode starting within
    the invitation window, less those already completed for that appointment."""
    now = now or timezone.now()
    policy = clinical_policy_of(client.organisation_id)
    codes = [c for c in policy.measures_before_session if c in INSTRUMENTS]
    if not codes:
        return []
    if not Episode.objects.filter(client=client).exclude(status=EpisodeStatus.DISCHARGED).exists():
        return []
    appointments = Appointment.objects.filter(
        client=client,
        status__in=[AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED],
        starts_at__gt=now - timedelta(minutes=15),
        starts_at__lte=now + timedelta(hours=policy.measures_invite_hours),
    ).order_by("starts_at")
    done: dict[int, set[str]] = defaultdict(set)
    for appointment_id, code in MeasureResponse.objects.filter(
        appointment__in=appointments
    ).values_list("appointment_id", "instrument"):
        done[appointment_id].add(code)
    due = []
    for appointment in appointments:
        missing = [c for c in codes if c not in done[appointment.pk]]
        if missing:
            due.append(DueMeasures(appointment, missing))
    return due


@dataclass
class MeasureSeries:
    """One instrument over an episode: its points and what changed first → latest."""

    code: str
    name: str
    points: list[MeasureResponse] = field(default_factory=list)

    @property
    def scored(self) -> list[MeasureResponse]:
        return [p for p in self.points if p.total is not None]

    @property
    def first(self) -> MeasureResponse | None:
        return self.scored[0] if self.scored else None

    @property
    def latest(self) -> MeasureResponse | None:
        return self.scored[-1] if self.scored else None

    @property
    def change(self) -> float | None:
        if self.first is None or self.latest is None or self.first is self.latest:
            return None
        return round(float(self.latest.total or 0) - float(self.first.total or 0), 1)

    @property
    def reliable_change(self) -> str | None:
        if self.change is None or self.first is None or self.latest is None:
            return None
        return reliable_change(self.code, self.first.total or 0, self.latest.total or 0)

    @property
    def recovered(self) -> bool | None:
        if self.change is None or self.first is None or self.latest is None:
            return None
        return recovered(self.code, self.first.total or 0, self.latest.total or 0)

    @property
    def latest_is_clinical(self) -> bool | None:
        return None if self.latest is None else is_clinical(self.code, self.latest.total or 0)

    @property
    def risk_to_review(self) -> list[MeasureResponse]:
        return [p for p in self.points if p.risk_review_needed and p.risk_reviewed_at is None]


def episode_measures(episode: Episode) -> list[MeasureSeries]:
    """Every instrument answered in the episode, in the library's order. The caller has
    already fetched the episode through ``access_episode`` (which audits the read)."""
    series: dict[str, MeasureSeries] = {}
    for response in MeasureResponse.objects.filter(episode=episode).order_by("completed_at", "pk"):
        if response.instrument not in series:
            inst = instrument(response.instrument)
            series[response.instrument] = MeasureSeries(inst.code, inst.name)
        series[response.instrument].points.append(response)
    order = list(INSTRUMENTS)
    return sorted(series.values(), key=lambda s: order.index(s.code))


@dataclass
class NextSession:
    """The client's next session and the measures asked for before it: each code with
    its response for that session, or None while the client has not answered it."""

    appointment: Appointment
    measures: list[tuple[str, MeasureResponse | None]]


def next_session_measures(client: ClientRecord) -> NextSession | None:
    """What the therapist checks before the session starts."""
    appointment = (
        Appointment.objects.filter(
            client=client,
            status__in=[AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED],
            starts_at__gt=timezone.now() - timedelta(minutes=15),
        )
        .order_by("starts_at")
        .first()
    )
    if appointment is None:
        return None
    codes = clinical_policy_of(client.organisation_id).measures_before_session
    answered = {r.instrument: r for r in MeasureResponse.objects.filter(appointment=appointment)}
    return NextSession(appointment, [(code, answered.get(code)) for code in codes])
