"""URLs for reporting, appeals and moderation; included by forum/urls.py inside the forum namespace."""

from django.urls import include, path

from forum.moderation.views import commitments, log, members, reports, review, themes

facilitating = [  # a theme's status, official response and commitments (facilitators; moderators for the status)
    path("respond/", themes.theme_respond, name="theme_respond"),
    path("status/", themes.theme_status, name="theme_status"),
    path("commitments/<int:pk>/", commitments.commitment_status, name="commitment_status"),
]

moderating = [  # the moderators' pages (and, for a member, the decisions about them and their appeal)
    path("", review.queue, name="moderation_queue"),
    path("notices/", reports.notices, name="moderation_notices"),
    path("decisions/<int:pk>/appeal/", reports.appeal, name="appeal"),
    path("log/", log.log, name="moderation_log"),
    path("log.csv", log.log_csv, name="moderation_log_csv"),
    path("filters/", log.filters, name="moderation_filters"),
    path("filters/<int:pk>/delete/", log.filter_delete, name="moderation_filter_delete"),
    path("comments/<int:pk>/", review.comment_review, name="moderation_comment"),
    path("comments/<int:pk>/edit/", review.comment_edit, name="moderation_comment_edit"),
    path("comments/<int:pk>/<slug:action>/", review.comment_action, name="moderation_comment_action"),
    path("threads/<int:pk>/", review.thread_review, name="moderation_thread"),
    path("threads/<int:pk>/move/", review.thread_move, name="moderation_thread_move"),
    path("threads/<int:pk>/<slug:action>/", review.thread_action, name="moderation_thread_action"),
    path("members/names/", members.names_to_check, name="moderation_names"),
    path("members/<int:pk>/", members.member, name="moderation_member"),
    path("members/<int:pk>/suspend/", members.member_suspend, name="moderation_member_suspend"),
    path("members/<int:pk>/unsuspend/", members.member_unsuspend, name="moderation_member_unsuspend"),
    path("appeals/<int:pk>/", members.appeal_decide, name="moderation_appeal"),
]

urlpatterns = [
    path("comments/<int:pk>/report/", reports.flag_comment, name="flag_comment"),
    path("threads/<int:pk>/report/", reports.flag_thread, name="flag_thread"),
    path("themes/<slug:slug>/", include(facilitating)),
    path("moderation/", include(moderating)),
]
