from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from hearth.accounts.decorators import member_required
from hearth.accounts.models import Role
from hearth.clients.forms import ClientRecordForm
from hearth.clients.selectors import (
    access_client_record,
    can_read_clinical_text,
    client_records_visible_to,
)
from hearth.clients.services import client_record_create, client_record_update
from hearth.governance.audit import audit_list_read

STAFF_WITH_RECORDS = (Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN)


@member_required(*STAFF_WITH_RECORDS)
def client_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    records = list(client_records_visible_to(membership).select_related("therapist"))
    audit_list_read(membership, object_type="client_record", count=len(records))
    return render(request, "clients/client_list.html", {"records": records})


@member_required(*STAFF_WITH_RECORDS)
def client_detail(request: HttpRequest, record_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    record = access_client_record(membership, record_id)
    return render(
        request,
        "clients/client_detail.html",
        {"record": record, "clinical_text": can_read_clinical_text(membership, record)},
    )


@member_required(Role.CLIENT)
def my_record(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    own = client_records_visible_to(membership).values_list("pk", flat=True).first()
    if own is None:
        raise Http404("No client record yet.")
    record = access_client_record(membership, own)
    return render(request, "clients/my_record.html", {"record": record})


@member_required(*STAFF_WITH_RECORDS)
@require_http_methods(["GET", "POST"])
def client_create(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    clinical = membership.role != Role.SERVICE_ADMIN
    form = ClientRecordForm(
        request.POST or None, organisation=membership.organisation, clinical_text=clinical
    )
    if request.method == "POST" and form.is_valid():
        try:
            record = client_record_create(
                membership=membership,
                organisation=membership.organisation,
                actor=request.user,  # type: ignore[arg-type]
                **form.cleaned_data,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Added {record.display_name}.")
            if client_records_visible_to(membership).filter(pk=record.pk).exists():
                return redirect("client_detail", record_id=record.pk)
            return redirect("client_list")
    return render(request, "clients/client_form.html", {"form": form, "record": None})


@member_required(*STAFF_WITH_RECORDS)
@require_http_methods(["GET", "POST"])
def client_edit(request: HttpRequest, record_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    record = access_client_record(membership, record_id, purpose="edit_view")
    clinical = can_read_clinical_text(membership, record)
    initial = {
        name: getattr(record, name)
        for name in ClientRecordForm.base_fields
        if name != "presenting_summary" or clinical
    }
    form = ClientRecordForm(
        request.POST or None,
        initial=initial,
        organisation=membership.organisation,
        clinical_text=clinical,
    )
    if request.method == "POST" and form.is_valid():
        try:
            client_record_update(membership=membership, record=record, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Saved.")
            return redirect("client_detail", record_id=record.pk)
    return render(request, "clients/client_form.html", {"form": form, "record": record})
