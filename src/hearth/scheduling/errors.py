"""Errors of scheduling, each with a specific, plain message."""

from django.core.exceptions import ValidationError


class BookingConflict(Exception):
    """The slot is taken (HTTP 409). The message names the conflict."""

    def __init__(self, message: str, *, code: str = "conflict") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class FatigueLimit(ValidationError):
    """Booking would break a screen-fatigue limit; staff may go ahead with a reason."""
