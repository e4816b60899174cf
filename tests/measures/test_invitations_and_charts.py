"""The email that asks for measures before a session, and the charts of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from hearth.accounts.personas import Cast
from hearth.measures.charts import measure_chart
from hearth.measures.invitations import measure_invitations_send_due
from hearth.measures.models import MeasureInvitation
from hearth.records.models import Episode
from hearth.scheduling.models import Appointment
from tests.conftest import Inbox
from tests.web.test_no_inline_code import inline_code


def test_the_invitation_is_sent_once_and_says_nothing_clinical(
    cast: Cast,
    episode: Episode,
    next_session: Appointment,
    smtp: Inbox,
) -> None:
    assert measure_invitations_send_due("w1") == 1
    assert measure_invitations_send_due("w2") == 0  # exactly once
    [message] = smtp.messages
    assert message["To"] == "alice@demo.hearth.test"
    assert message["Subject"] == "Before your appointment"
    body = message.get_payload(decode=True).decode()
    assert "http://127.0.0.1:8000/me/measures/" in body
    for clinical in ("PHQ", "GAD", "depress", "anxi", "mood", "score", "risk"):
        assert clinical.lower() not in body.lower(), clinical
    assert MeasureInvitation.objects.get().sent_at is not None


def test_no_invitation_without_an_open_episode_or_outside_the_window(
    cast: Cast,
    smtp: Inbox,
) -> None:
    from tests.scheduling.conftest import book_now

    book_now(cast, minutes_ahead=120)  # Alice has no episode: nothing is due
    assert measure_invitations_send_due("w1") == 0
    assert smtp.messages == []


def _responses(*totals: float | None) -> list[SimpleNamespace]:
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    return [
        SimpleNamespace(completed_at=start + timedelta(weeks=i), total=t)
        for i, t in enumerate(totals)
    ]


def test_a_chart_is_an_image_with_words_and_the_cut_off_line() -> None:
    svg = str(
        measure_chart("PHQ-9", _responses(16, 12, None, 8), zone=ZoneInfo("UTC"), chart_id="c")
    )
    assert svg.startswith('<svg class="chart"') and 'role="img"' in svg
    assert 'aria-labelledby="c-title c-desc"' in svg
    assert "16 on 05 Jan 2026; 12 on 12 Jan 2026; 8 on 26 Jan 2026." in svg
    assert "The clinical cut-off is 10." in svg
    assert svg.count('class="chart-point"') == 3  # the unscored form is not plotted
    assert 'class="chart-cutoff"' in svg and 'class="chart-line"' in svg
    assert inline_code(svg).problems == []  # no style="" under the CSP


@pytest.mark.parametrize(
    ("code", "cutoff"),
    [("GAD-7", "clinical cut-off is 8"), ("ORS", "clinical cut-off is 25"), ("SRS", "36")],
)
def test_each_chart_draws_its_own_line(code: str, cutoff: str) -> None:
    svg = str(measure_chart(code, _responses(20, 30), zone=ZoneInfo("UTC"), chart_id="x"))
    assert cutoff in svg


def test_a_measure_without_a_cut_off_draws_none() -> None:
    svg = str(measure_chart("WSAS", _responses(20), zone=ZoneInfo("UTC"), chart_id="w"))
    assert 'class="chart-cutoff"' not in svg and "20 on 05 Jan 2026." in svg
