"""Where a client is: the countries and regions the crisis directory knows, and phone
numbers checked with ``phonenumbers`` so that a call-back number really dials."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError

COUNTRIES = {
    "GB": "United Kingdom",
    "IE": "Republic of Ireland",
    "US": "United States",
}
# ISO 3166-2 subdivision codes (without the country prefix). Blank means the whole
# country. Ireland's directory is national, so it has no regions.
REGIONS: dict[str, dict[str, str]] = {
    "GB": {"ENG": "England", "SCT": "Scotland", "WLS": "Wales", "NIR": "Northern Ireland"},
    "IE": {},
    "US": {"AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas",
            "CA": "California", "CO": "Colorado", "CT": "Connecticut",
            "DE": "Delaware", "DC": "District of Columbia", "FL": "Florida",
            "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
            "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky",
            "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
            "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
            "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
            "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire",
            "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
            "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio",
            "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
            "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
            "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
            "VA": "Virginia", "WA": "Washington", "WV": "West Virginia",
            "WI": "Wisconsin", "WY": "Wyoming",},
}  # fmt: skip

COUNTRY_CHOICES = list(COUNTRIES.items())
REGION_CHOICES = [("", "Whole country")] + [
    (code, f"{name} ({COUNTRIES[country]})")
    for country, regions in REGIONS.items()
    for code, name in regions.items()
]


def place_check(country: str, region: str, *, field: str = "region") -> tuple[str, str]:
    """The country and region in their stored spelling, or a specific error."""
    country, region = country.strip().upper(), region.strip().upper()
    if country not in COUNTRIES:
        known = ", ".join(f"{code} ({name})" for code, name in COUNTRIES.items())
        raise ValidationError({"country": f"Unknown country {country!r}; choose one of {known}."})
    if region and region not in REGIONS[country]:
        raise ValidationError(
            {field: f"{region!r} is not a region of {COUNTRIES[country]} that Hearth knows."}
        )
    return country, region


def place_label(country: str, region: str) -> str:
    if region and region in REGIONS.get(country, {}):
        return f"{REGIONS[country][region]}, {COUNTRIES.get(country, country)}"
    return COUNTRIES.get(country, country)


def phone_normalise(text: str, country: str, *, field: str = "phone") -> str:
    """A dialable number in E.164 (``+447700900123``); national numbers are read in
    ``country``. Anything that does not parse as a valid number is refused."""
    text = text.strip()
    if not text:
        raise ValidationError({field: "Give a phone number."})
    try:
        number = phonenumbers.parse(text, country or None)
    except phonenumbers.NumberParseException:
        raise ValidationError({field: f"{text!r} is not a phone number."}) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError({field: f"{text!r} is not a valid phone number."})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(e164: str) -> str:
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
