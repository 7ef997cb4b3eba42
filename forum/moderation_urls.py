"""URLs for reporting, appeals and moderation; included by forum/urls.py inside the forum namespace."""

from django.urls import path

from forum.views import moderation

urlpatterns = [
    # Members: reporting, the decisions about them, appeals.
    path("comments/<int:pk>/report/", moderation.flag_comment, name="flag_comment"),
    path("threads/<int:pk>/report/", moderation.flag_thread, name="flag_thread"),
    path("moderation/notices/", moderation.notices, name="moderation_notices"),
    path("moderation/decisions/<int:pk>/appeal/", moderation.appeal, name="appeal"),
    # Facilitators (and moderators, for the status).
    path("themes/<slug:slug>/respond/", moderation.theme_respond, name="theme_respond"),
    path("themes/<slug:slug>/status/", moderation.theme_status, name="theme_status"),
    # Moderators.
    path("moderation/", moderation.queue, name="moderation_queue"),
    path("moderation/log/", moderation.log, name="moderation_log"),
    path("moderation/log.csv", moderation.log_csv, name="moderation_log_csv"),
    path("moderation/filters/", moderation.filters, name="moderation_filters"),
    path("moderation/filters/<int:pk>/delete/", moderation.filter_delete, name="moderation_filter_delete"),
    path("moderation/comments/<int:pk>/", moderation.comment_review, name="moderation_comment"),
    path("moderation/comments/<int:pk>/edit/", moderation.comment_edit, name="moderation_comment_edit"),
    path(
        "moderation/comments/<int:pk>/<slug:action>/", moderation.comment_action, name="moderation_comment_action"
    ),
    path("moderation/threads/<int:pk>/", moderation.thread_review, name="moderation_thread"),
    path("moderation/threads/<int:pk>/move/", moderation.thread_move, name="moderation_thread_move"),
    path("moderation/threads/<int:pk>/<slug:action>/", moderation.thread_action, name="moderation_thread_action"),
    path("moderation/members/<int:pk>/", moderation.member, name="moderation_member"),
    path("moderation/members/<int:pk>/suspend/", moderation.member_suspend, name="moderation_member_suspend"),
    path("moderation/members/<int:pk>/unsuspend/", moderation.member_unsuspend, name="moderation_member_unsuspend"),
    path("moderation/appeals/<int:pk>/", moderation.appeal_decide, name="moderation_appeal"),
]
