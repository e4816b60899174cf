"""``{% load safety %}{% risk_banner record %}``: the risk banner on a client's pages."""

from __future__ import annotations

from typing import Any

from django import template

from hearth.safety.risk import risk_banner_flags

register = template.Library()


@register.inclusion_tag("safety/_risk_banner.html", takes_context=True)
def risk_banner(context: template.Context, record: Any) -> dict[str, Any]:
    """The client's active risk flags, for clinicians; nothing for anyone else."""
    membership = context.get("membership")
    return {"risk_flags": risk_banner_flags(membership, record), "record": record}
