from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Service-layer ValidationErrors become 400s with field-specific messages."""
    if isinstance(exc, DjangoValidationError):
        return Response(as_serializer_error(exc), status=400)
    return drf_exception_handler(exc, context)
