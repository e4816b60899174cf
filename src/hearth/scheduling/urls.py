from django.urls import path

from hearth.scheduling import api, views

api_urlpatterns = [
    path("slots/", api.SlotsView.as_view(), name="api_slots"),
    path("appointments/", api.AppointmentListView.as_view(), name="api_appointments"),
    path(
        "appointments/<int:appointment_id>/",
        api.AppointmentDetailView.as_view(),
        name="api_appointment_detail",
    ),
    path(
        "appointments/<int:appointment_id>/reschedule/",
        api.RescheduleView.as_view(),
        name="api_appointment_reschedule",
    ),
    path(
        "appointments/<int:appointment_id>/cancel/",
        api.CancelView.as_view(),
        name="api_appointment_cancel",
    ),
    path(
        "appointments/<int:appointment_id>/attendance/",
        api.AttendanceView.as_view(),
        name="api_appointment_attendance",
    ),
    path(
        "appointments/<int:appointment_id>/confirm/",
        api.ConfirmView.as_view(),
        name="api_appointment_confirm",
    ),
]

page_urlpatterns = [
    path("appointments/", views.my_appointments, name="my_appointments"),
    path("appointments/book/", views.book, name="appointment_book"),
    path(
        "appointments/<int:appointment_id>/reschedule/",
        views.reschedule,
        name="appointment_reschedule",
    ),
    path("appointments/<int:appointment_id>/cancel/", views.cancel, name="appointment_cancel"),
    path(
        "appointments/<int:appointment_id>/attendance/",
        views.attendance,
        name="appointment_attendance",
    ),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/availability/", views.availability, name="availability"),
    path("calendar/link/", views.calendar_feed_settings, name="calendar_feed_settings"),
    path("calendar/feed/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("waitlist/", views.waitlist, name="waitlist"),
    path("settings/scheduling/", views.scheduling_settings, name="scheduling_settings"),
]
