"""The demo practice and the shared test personas: one set of people for both.

Riverside Talking Therapies has two clients (Alice, Charlie), two therapists (Tom, who
is supervised by Sam, and Theo), a supervisor, a service admin and a commissioner.
Northgate Counselling is another organisation with its own therapist (Olive), so that
cross-organisation isolation can be shown and tested.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.db import transaction

from hearth.accounts.models import Membership, Organisation, Role, User
from hearth.clients.models import ClientRecord

DEMO_PASSWORD = "hearth-demo-password"  # noqa: S105  (published demo credential)


@dataclass(frozen=True)
class Persona:
    key: str
    email: str
    full_name: str
    org: str
    role: Role


PERSONAS = [
    Persona("alice", "alice@demo.hearth.test", "Alice Ashworth", "riverside", Role.CLIENT),
    Persona("charlie", "charlie@demo.hearth.test", "Charlie Chen", "riverside", Role.CLIENT),
    Persona("tom", "tom@demo.hearth.test", "Tom Turner", "riverside", Role.THERAPIST),
    Persona("theo", "theo@demo.hearth.test", "Theo Okafor", "riverside", Role.THERAPIST),
    Persona("sam", "sam@demo.hearth.test", "Sam Singh", "riverside", Role.SUPERVISOR),
    Persona("ada", "ada@demo.hearth.test", "Ada Adeyemi", "riverside", Role.SERVICE_ADMIN),
    Persona("cora", "cora@demo.hearth.test", "Cora Clarke", "riverside", Role.COMMISSIONER),
    Persona("olive", "olive@demo.hearth.test", "Olive Ng", "northgate", Role.THERAPIST),
]
ORGANISATIONS = {
    "riverside": ("Riverside Talking Therapies", True),
    "northgate": ("Northgate Counselling", False),
}
# client → (therapist, presenting summary)
CASELOAD = {
    "alice": ("tom", "Low mood and worry since a change of job; sleeping poorly."),
    "charlie": ("theo", "Panic attacks on public transport."),
}


@dataclass
class Cast:
    users: dict[str, User]
    memberships: dict[str, Membership]
    organisations: dict[str, Organisation]
    records: dict[str, ClientRecord]
    totp_secrets: dict[str, str]


def _totp_secret(user: User) -> str | None:
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        return None
    return str(get_mfa_adapter().decrypt(authenticator.data["secret"]))


@transaction.atomic
def personas_ensure(*, with_mfa: bool = True) -> Cast:
    """Create whatever of the cast is missing; leave what exists unchanged (idempotent)."""
    organisations = {}
    for slug, (name, self_registration) in ORGANISATIONS.items():
        organisations[slug], _ = Organisation.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "allow_client_self_registration": self_registration},
        )
    users, memberships, secrets = {}, {}, {}
    for p in PERSONAS:
        user = User.objects.filter(email=p.email).first()
        if user is None:
            user = User.objects.create_user(p.email, DEMO_PASSWORD, full_name=p.full_name)
        EmailAddress.objects.get_or_create(
            user=user, email=p.email, defaults={"verified": True, "primary": True}
        )
        memberships[p.key], _ = Membership.objects.get_or_create(
            user=user, organisation=organisations[p.org], defaults={"role": p.role}
        )
        users[p.key] = user
        if with_mfa and p.role != Role.CLIENT:
            secret = _totp_secret(user)
            if secret is None:
                secret = generate_totp_secret()
                TOTP.activate(user, secret)
                RecoveryCodes.activate(user)
            secrets[p.key] = secret
    if memberships["tom"].supervisor_id is None:
        memberships["tom"].supervisor = memberships["sam"]
        memberships["tom"].save(update_fields=["supervisor"])
    records = {}
    for client, (therapist, summary) in CASELOAD.items():
        record = ClientRecord.objects.filter(user=users[client]).first()
        if record is None:
            given, family = users[client].full_name.split(" ", 1)
            record = ClientRecord.objects.create(
                organisation=organisations["riverside"],
                user=users[client],
                therapist=users[therapist],
                given_name=given,
                family_name=family,
                email=users[client].email,
                presenting_summary=summary,
            )
        records[client] = record
    return Cast(users, memberships, organisations, records, secrets)


# Numbers from the range Ofcom keeps for drama: never a real phone. The demo practice
# has them (a telephone session needs a number); the test cast does not, unless a test
# sets one.
DEMO_PHONES = {"alice": "07700 900123", "charlie": "07700 900456"}


def demo_phones_ensure(cast: Cast) -> None:
    for key, phone in DEMO_PHONES.items():
        ClientRecord.objects.filter(pk=cast.records[key].pk, phone="").update(phone=phone)


def totp_code_now(secret: str, *, offset_periods: int = 0) -> str:
    """The code an authenticator app shows now (or ``offset_periods`` later)."""
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD + offset_periods
    return format_hotp_value(hotp_value(secret, counter))
