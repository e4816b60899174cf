import csv
import json
from datetime import datetime
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render

from hearth.accounts.decorators import member_required
from hearth.accounts.models import Role
from hearth.governance.audit import audit_record
from hearth.governance.forms import AuditFilterForm
from hearth.governance.selectors import audit_events_for

CSV_COLUMNS = [
    "seq",
    "created_at",
    "actor_email",
    "action",
    "object_type",
    "object_id",
    "ip",
    "user_agent",
    "reason",
    "changes",
    "hash",
]


def _filtered(request: HttpRequest) -> tuple[AuditFilterForm, object]:
    membership = request.membership  # type: ignore[attr-defined]
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, audit_events_for(membership).none()
    data = form.cleaned_data if form.is_bound else {}
    return form, audit_events_for(membership, **{k: v for k, v in data.items() if v})


@member_required(Role.SERVICE_ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    form, events = _filtered(request)
    page: Any = Paginator(events, 50).get_page(request.GET.get("page"))  # type: ignore[arg-type]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "governance/audit_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


# A spreadsheet runs a cell that starts with one of these as a formula. Actor emails and
# user agents are chosen by whoever acts, so such a cell is quoted (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


@member_required(Role.SERVICE_ADMIN)
def audit_export(request: HttpRequest) -> HttpResponseBase:
    form, events = _filtered(request)
    if form.is_bound and not form.is_valid():
        return render(
            request, "governance/audit_log.html", {"form": form, "page": None}, status=400
        )
    membership = request.membership  # type: ignore[attr-defined]
    audit_record(
        actor=request.user,
        organisation_id=membership.organisation_id,
        action="audit.export",
        changes={"filters": {k: v for k, v in request.GET.items() if v}},
    )
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(CSV_COLUMNS)
        for event in events.iterator(chunk_size=1000):  # type: ignore[attr-defined]
            yield writer.writerow([_csv_cell(getattr(event, c)) for c in CSV_COLUMNS])

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response
