from django.urls import path

from hearth.records import plan_views, review_views, views

urlpatterns = [
    path("clients/<int:record_id>/episodes/", views.episode_list, name="episode_list"),
    path("clients/<int:record_id>/episodes/new/", views.episode_create, name="episode_create"),
    path("episodes/<int:episode_id>/", views.episode_detail, name="episode_detail"),
    path("episodes/<int:episode_id>/status/", views.episode_status, name="episode_status"),
    path("episodes/<int:episode_id>/notes/new/", views.note_start, name="note_start"),
    path("notes/<int:note_id>/", views.note_detail, name="note_detail"),
    path("notes/<int:note_id>/autosave/", views.note_autosave, name="note_autosave"),
    path("notes/<int:note_id>/cosign/", views.note_cosign_view, name="note_cosign"),
    path("notes/<int:note_id>/addenda/", views.note_addendum, name="note_addendum"),
    path("episodes/<int:episode_id>/plan/", plan_views.plan_detail, name="plan_detail"),
    path("me/notes/", views.my_notes, name="my_notes"),
    path("me/plan/", plan_views.my_plan, name="my_plan"),
    path("reviews/", review_views.review_list, name="review_list"),
    path("reviews/<int:review_id>/", review_views.review_detail, name="review_detail"),
    path("settings/clinical-record/", views.clinical_settings, name="clinical_settings"),
]
