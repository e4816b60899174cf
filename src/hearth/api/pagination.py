from rest_framework.pagination import LimitOffsetPagination


class CappedLimitOffsetPagination(LimitOffsetPagination):
    """``?limit=`` up to 200: a caller cannot ask for a whole table in one response."""

    default_limit = 50
    max_limit = 200
