from django.contrib import admin

from hearth.scheduling.models import (
    Appointment,
    AvailabilityException,
    SchedulingPolicy,
    ServiceType,
    Site,
    TherapistProfile,
    WaitlistEntry,
    WorkingHours,
)


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


@admin.register(TherapistProfile)
class TherapistProfileAdmin(admin.ModelAdmin):
    list_display = ["membership", "buffer_minutes"]
    inlines = [WorkingHoursInline]
    exclude = ["calendar_token_hash"]


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["pk", "starts_at", "therapist", "modality", "status"]
    list_filter = ["status", "modality", "organisation"]
    # Appointments change through the scheduling services (audited, conflict-checked).
    readonly_fields = [f.name for f in Appointment._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


for model in (SchedulingPolicy, ServiceType, Site, AvailabilityException, WaitlistEntry):
    admin.site.register(model)
