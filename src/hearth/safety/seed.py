"""The crisis directory every organisation starts with; each entry names its source.

Service admins keep their own copy up to date (*Crisis directory* page): numbers and
hours change, and local crisis teams belong there too. Region "" serves the whole
country.
"""

from __future__ import annotations

from typing import TypedDict


class SeedEntry(TypedDict):
    country: str
    region: str
    name: str
    number: str
    kind: str
    hours: str
    source_url: str
    notes: str


ALWAYS = "24 hours, every day"


def _entry(
    country: str,
    region: str,
    name: str,
    number: str,
    kind: str,
    hours: str,
    source_url: str,
    notes: str = "",
) -> SeedEntry:
    return SeedEntry(
        country=country,
        region=region,
        name=name,
        number=number,
        kind=kind,
        hours=hours,
        source_url=source_url,
        notes=notes,
    )


CRISIS_SEED: list[SeedEntry] = [
    # United Kingdom: all four nations
    _entry(
        "GB", "", "Emergency services", "999", "emergency", ALWAYS,
        "https://www.nhs.uk/nhs-services/urgent-and-emergency-care-services/when-to-call-999/",
        "When a life is at risk now.",
    ),
    _entry(
        "GB", "", "Samaritans", "116 123", "helpline", ALWAYS,
        "https://www.samaritans.org/how-we-can-help/contact-samaritan/",
        "Free to call.",
    ),
    _entry(
        "GB", "", "Shout", "85258", "text", ALWAYS,
        "https://giveusashout.org/get-help/",
        "Text SHOUT to 85258.",
    ),
    # England
    _entry(
        "GB", "ENG", "NHS 111, option 2 (urgent mental health)", "111", "urgent_mental_health",
        ALWAYS,
        "https://www.nhs.uk/nhs-services/mental-health-services/where-to-get-urgent-help-for-mental-health/",
        "Call 111 and choose option 2 for the local NHS mental health crisis line.",
    ),
    # Scotland
    _entry(
        "GB", "SCT", "NHS 24 Mental Health Hub", "111", "urgent_mental_health", ALWAYS,
        "https://www.nhs24.scot/our-services/mental-health-hub/",
        "Call 111 and choose the mental health option.",
    ),
    _entry(
        "GB", "SCT", "Breathing Space", "0800 83 85 87", "helpline",
        "Monday to Thursday 6pm to 2am; Friday 6pm to Monday 6am",
        "https://breathingspace.scot/",
    ),
    # Wales
    _entry(
        "GB", "WLS", "NHS 111 Wales, option 2 (urgent mental health)", "111",
        "urgent_mental_health", ALWAYS,
        "https://111.wales.nhs.uk/",
        "Call 111 and choose option 2.",
    ),
    _entry(
        "GB", "WLS", "CALL Mental Health Listening Line", "0800 132 737", "helpline", ALWAYS,
        "https://www.callhelpline.org.uk/",
    ),
    # Northern Ireland
    _entry(
        "GB", "NIR", "Lifeline", "0808 808 8000", "urgent_mental_health", ALWAYS,
        "https://www.lifelinehelpline.info/",
        "Northern Ireland's crisis response helpline.",
    ),
    # Republic of Ireland
    _entry(
        "IE", "", "Emergency services", "112", "emergency", ALWAYS,
        "https://www2.hse.ie/mental-health/",
        "999 also works.",
    ),
    _entry(
        "IE", "", "Pieta", "1800 247 247", "urgent_mental_health", ALWAYS,
        "https://www.pieta.ie/",
        "Suicide and self-harm crisis line; text HELP to 51444.",
    ),
    _entry(
        "IE", "", "Samaritans Ireland", "116 123", "helpline", ALWAYS,
        "https://www.samaritans.org/ireland/how-we-can-help/contact-samaritan/",
    ),
    _entry(
        "IE", "", "50808", "50808", "text", ALWAYS,
        "https://text50808.ie/",
        "Text HELLO to 50808.",
    ),
    # United States
    _entry(
        "US", "", "Emergency services", "911", "emergency", ALWAYS,
        "https://www.911.gov/",
    ),
    _entry(
        "US", "", "988 Suicide & Crisis Lifeline", "988", "urgent_mental_health", ALWAYS,
        "https://988lifeline.org/",
        "Call or text 988.",
    ),
    _entry(
        "US", "", "Crisis Text Line", "741741", "text", ALWAYS,
        "https://www.crisistextline.org/",
        "Text HOME to 741741.",
    ),
]  # fmt: skip
