"""The record of care in Chromium: a client answers PHQ-9 and GAD-7 on a phone; the
therapist sees scores, change and chart; a note is drafted, signed, locked and given an
addendum; and axe-core finds no serious violation on the new pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from hearth.accounts.personas import Cast
from hearth.measures.models import MeasureResponse
from hearth.measures.services import measure_record
from hearth.records.models import Episode, SessionNote
from hearth.records.services import note_create
from tests.browser.conftest import PHONE, axe_violations, signed_in_context
from tests.records.conftest import episode  # noqa: F401  (Alice's open episode with Tom)
from tests.scheduling.conftest import book_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def _answer_all(page: Any, value: int, count: int) -> None:
    for item in range(1, count + 1):
        page.check(f"input[name=item_{item}][value='{value}']")


def test_client_answers_on_a_phone_and_therapist_sees_change_and_chart(
    browser: Any,
    live_server: Any,
    cast: Cast,
    episode: Episode,  # noqa: F811
) -> None:
    # Two weeks ago Alice scored PHQ-9 18 and GAD-7 14 (entered by Tom at assessment).
    for code, answers in (("PHQ-9", [2] * 9), ("GAD-7", [2] * 7)):
        earlier = measure_record(
            membership=cast.memberships["tom"],
            client=cast.records["alice"],
            code=code,
            answers=answers,
        )
        MeasureResponse.objects.filter(pk=earlier.pk).update(
            completed_at=timezone.now() - timedelta(weeks=2)
        )
    appointment = book_now(cast, minutes_ahead=120)

    alice = signed_in_context(browser, live_server, cast.users["alice"], **PHONE).new_page()
    alice.goto(f"{live_server.url}/")
    alice.click("nav >> text=Questionnaires")
    alice.click("text=How you have been feeling (PHQ-9)")
    assert "Little interest or pleasure" in alice.inner_text("main")
    # Fits the phone: nothing wider than the screen.
    assert alice.evaluate("document.documentElement.scrollWidth") <= 390
    _answer_all(alice, 1, 8)
    alice.click("button:has-text('Send my answers')")  # item 9 left out
    assert "Choose an answer to this question." in alice.inner_text("#item_9")
    alice.check("input[name=item_9][value='0']")
    alice.check("input[name=item_10][value='1']")
    alice.click("button:has-text('Send my answers')")
    alice.wait_for_url(f"**/me/measures/{appointment.pk}/gad-7/")
    assert "Worry and anxiety (GAD-7)" in alice.inner_text("h1")
    _answer_all(alice, 0, 7)
    alice.click("button:has-text('Send my answers')")
    alice.wait_for_url("**/me/measures/")
    assert "Nothing to answer" in alice.inner_text("main")
    phq = MeasureResponse.objects.get(appointment=appointment, instrument="PHQ-9")
    gad = MeasureResponse.objects.get(appointment=appointment, instrument="GAD-7")
    assert (phq.total, phq.answers[9], gad.total) == (8, 1, 0)

    # Alice sees her own progress as a picture.
    alice.goto(f"{live_server.url}/me/progress/")
    assert alice.locator("svg.chart[role=img]").count() == 2
    assert "Risk item" not in alice.inner_text("main")

    tom = signed_in_context(browser, live_server, cast.users["tom"], **DESKTOP).new_page()
    tom.goto(f"{live_server.url}/episodes/{episode.pk}/")
    phq_section = tom.locator("section.measure", has_text="PHQ-9")
    assert "8 (mild)" in phq_section.locator("dd.latest").inner_text()
    change = phq_section.locator("dd.change").inner_text()
    assert "-10" in change and "reliable improvement" in change and "recovered" in change
    gad_change = tom.locator("section.measure", has_text="GAD-7").locator("dd.change")
    assert "-14" in gad_change.inner_text() and "reliable improvement" in gad_change.inner_text()
    chart = phq_section.locator("svg.chart")
    assert chart.get_attribute("role") == "img"
    assert "The clinical cut-off is 10." in chart.locator("desc").text_content()
    assert chart.locator("circle.chart-point").count() == 2
    assert chart.locator("line.chart-cutoff").count() == 1
    assert chart.bounding_box()["height"] > 100


def test_a_note_is_drafted_signed_locked_and_given_an_addendum(
    browser: Any,
    live_server: Any,
    cast: Cast,
    episode: Episode,  # noqa: F811
) -> None:
    note = note_create(
        membership=cast.memberships["tom"],
        episode=episode,
        template="soap",
        session_at=timezone.now() - timedelta(hours=1),
    )
    tom = signed_in_context(browser, live_server, cast.users["tom"], **DESKTOP).new_page()
    tom.goto(f"{live_server.url}/notes/{note.pk}/")
    tom.fill("textarea[name=subjective]", "Sleeping better this week.")
    # The draft saves itself as it is typed (htmx), before any button is pressed.
    tom.wait_for_selector("#autosave-status:has-text('Draft saved at')")
    assert SessionNote.objects.get(pk=note.pk).sections["subjective"] == (
        "Sleeping better this week."
    )
    tom.fill("textarea[name=plan]", "Keep the sleep diary.")
    tom.click("button:has-text('Sign and lock')")
    tom.wait_for_selector(".message.success:has-text('Signed and locked')")
    signed = SessionNote.objects.get(pk=note.pk)
    assert signed.is_locked and signed.sections["plan"] == "Keep the sleep diary."
    assert tom.locator("textarea[name=subjective]").count() == 0  # locked: no editing
    # Tom is supervised by Sam: signed and locked, waiting for Sam's co-signature.
    assert "Signed, awaiting co-signature" in tom.inner_text(".note-status")
    tom.fill("textarea[name=text]", "Client phoned: diary started.")
    tom.click("button:has-text('Sign and add addendum')")
    tom.wait_for_selector(".message.success:has-text('Addendum added')")
    addendum = tom.locator("ol.addenda li").first
    assert "Client phoned: diary started." in addendum.inner_text()
    assert "Signed by Tom Turner" in addendum.inner_text()
    assert SessionNote.objects.get(pk=note.pk).sections["subjective"] == (
        "Sleeping better this week."
    )

    # Sam, Tom's supervisor, co-signs.
    sam = signed_in_context(browser, live_server, cast.users["sam"], **DESKTOP).new_page()
    sam.goto(f"{live_server.url}/notes/{note.pk}/")
    sam.click("button:has-text('Co-sign')")
    sam.wait_for_selector(".message.success:has-text('Co-signed')")
    assert "Sam Singh" in sam.inner_text("main")


CLINICAL_PAGES = [
    ("alice", "/me/measures/"),
    ("alice", "/me/measures/{appointment}/phq-9/"),
    ("alice", "/me/progress/"),
    ("alice", "/me/plan/"),
    ("tom", "/clients/{record}/episodes/"),
    ("tom", "/clients/{record}/episodes/new/"),
    ("tom", "/episodes/{episode}/"),
    ("tom", "/episodes/{episode}/notes/new/"),
    ("tom", "/notes/{draft}/"),
    ("tom", "/notes/{note}/"),
    ("tom", "/episodes/{episode}/plan/"),
    ("ada", "/settings/clinical-record/"),
    ("tom", "/feedback/"),
    ("ada", "/feedback/"),
    ("sam", "/reviews/"),
    ("sam", "/reviews/{review}/"),
]


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize(("persona", "path"), CLINICAL_PAGES)
def test_clinical_record_pages_have_no_serious_violations(
    browser: Any,
    live_server: Any,
    route_samples: dict,
    cast: Cast,
    persona: str,
    path: str,
    size: str,
) -> None:
    appointment = book_now(cast, minutes_ahead=120)  # PHQ-9 is due before it
    draft = note_create(
        membership=cast.memberships["tom"],
        episode=route_samples["episode"],
        template="birp",
        session_at=timezone.now() - timedelta(hours=1),
    )
    url = path.format(
        appointment=appointment.pk,
        record=cast.records["alice"].pk,
        episode=route_samples["episode"].pk,
        draft=draft.pk,
        note=route_samples["note"].pk,
        review=route_samples["review"].pk,
    )
    options = PHONE if size == "phone" else DESKTOP
    context = signed_in_context(
        browser, live_server, cast.users[persona], bypass_csp=True, **options
    )
    page = context.new_page()
    response = page.goto(f"{live_server.url}{url}")
    assert response is not None and response.status == 200, url
    assert axe_violations(page) == []
    context.close()
