from django.urls import path

from hearth.messaging import views

urlpatterns = [
    path("messages/", views.inbox, name="messages"),
    path(
        "messages/notifications/",
        views.notification_preferences,
        name="message_preferences",
    ),
    path("messages/<int:thread_id>/", views.thread_page, name="message_thread"),
    path("messages/<int:thread_id>/send/", views.message_post, name="message_send"),
    path(
        "messages/<int:thread_id>/arrangement/",
        views.arrangement_edit,
        name="message_arrangement",
    ),
    path(
        "messages/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="message_attachment",
    ),
    path("clients/<int:record_id>/message/", views.thread_start, name="message_thread_start"),
]
