"""Who is acting, from where: filled by the request middleware or a consumer."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class AuditContext:
    ip: str | None = None
    user_agent: str = ""


_current: ContextVar[AuditContext] = ContextVar("hearth_audit_context", default=AuditContext())  # noqa: B039  (frozen)


def current_audit_context() -> AuditContext:
    return _current.get()


def set_audit_context(context: AuditContext) -> object:
    return _current.set(context)


def reset_audit_context(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
