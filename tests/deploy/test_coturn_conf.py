"""The production coturn example never relays into private or loopback networks."""

from __future__ import annotations

import ipaddress
from pathlib import Path

CONF = Path(__file__).resolve().parents[2] / "deploy" / "coturn.conf"


def _settings() -> list[tuple[str, str]]:
    pairs = []
    for line in CONF.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            key, _, value = line.partition("=")
            pairs.append((key.strip(), value.strip()))
    return pairs


def _denied() -> list[tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...]]:
    ranges = []
    for key, value in _settings():
        if key == "denied-peer-ip":
            low, _, high = value.partition("-")
            ranges.append((ipaddress.ip_address(low), ipaddress.ip_address(high or low)))
    return ranges


def _is_denied(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return any(low.version == ip.version and low <= ip <= high for low, high in _denied())


def test_time_limited_credentials_and_no_loopback_relay() -> None:
    keys = [key for key, _ in _settings()]
    assert "use-auth-secret" in keys
    assert "allow-loopback-peers" not in keys
    assert "no-multicast-peers" in keys


def test_private_loopback_and_metadata_addresses_are_denied() -> None:
    for address in [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.254",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104  (an address to check, not one to bind)
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:10.0.0.1",
    ]:
        assert _is_denied(address), address
    for address in ["8.8.8.8", "81.2.69.160", "2a00:1450:4009:81f::200e"]:
        assert not _is_denied(address), address
