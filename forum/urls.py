from django.urls import path

from forum.views import comments, paragraphs, themes, threads

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
]
