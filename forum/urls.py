from django.urls import include, path

from forum.views import comments, drafts, paragraphs, themes, threads
from forum.views import exports as export_views
from forum.views import search as search_views
from forum.views import signals as signal_views

app_name = "forum"

urlpatterns = [
    path("themes/", themes.theme_list, name="theme_list"),
    path("themes/<slug:slug>/", themes.theme_detail, name="theme"),
    path("themes/<slug:slug>/new/", themes.start_thread, name="start_thread"),
    path("threads/<int:pk>-<slug:slug>/", threads.thread_detail, name="thread"),
    path("threads/<int:pk>/reply/", threads.reply, name="reply"),
    path("comments/<int:pk>/", comments.comment_permalink, name="comment"),
    path("comments/<int:pk>/edit/", comments.comment_edit, name="comment_edit"),
    path("comments/<int:pk>/delete/", comments.comment_delete, name="comment_delete"),
    path("comments/<int:pk>/history/", comments.comment_history, name="comment_history"),
    path("paragraphs/<str:key>/discuss/", paragraphs.paragraph_discuss, name="paragraph_discuss"),
    path("drafts/", drafts.save_draft, name="save_draft"),
    path("drafts/discard/", drafts.discard_draft, name="discard_draft"),
    # Common-ground signals, theme summaries, downloads and search.
    path("comments/<int:pk>/agree/", signal_views.agree, name="agree"),
    path("comments/<int:pk>/agree/withdraw/", signal_views.withdraw_agreement, name="withdraw_agreement"),
    path("themes/<slug:slug>/common-ground/", signal_views.common_ground, name="common_ground"),
    path("themes/<slug:slug>/summary/", signal_views.theme_summary, name="theme_summary"),
    path("themes/<slug:slug>/comments.<str:fmt>", export_views.theme_export, name="theme_export"),
    path("downloads/", export_views.export_list, name="exports"),
    path("downloads/all-themes.<str:fmt>", export_views.all_themes_export, name="export_all"),
    path("search/", search_views.search, name="search"),
    path("", include("forum.moderation_urls")),
    path("", include("forum.following_urls")),
]
