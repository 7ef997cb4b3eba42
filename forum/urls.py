from django.urls import include, path

from forum.views import (
    agreement,
    briefs,
    coding,
    comments,
    commitments,
    drafts,
    exports,
    following,
    paragraphs,
    planning,
    regions,
    search,
    themes,
    threads,
)

app_name = "forum"

theme = [  # one theme: its page, starting a discussion, its tabs, downloads and following
    path("", themes.theme_detail, name="theme"),
    path("new/", themes.start_thread, name="start_thread"),
    path("common-ground/", agreement.common_ground, name="common_ground"),
    path("contested/", agreement.contested, name="contested"),
    path("summary/", agreement.theme_summary, name="theme_summary"),
    path("codes/", coding.codebook, name="codebook"),
    path("brief/", briefs.theme_brief, name="theme_brief"),
    path("brief.pdf", briefs.theme_brief_pdf, name="theme_brief_pdf"),
    path("coding/", coding.coding, name="coding"),
    path("comments.<str:fmt>", exports.theme_export, name="theme_export"),
    path("follow/", following.follow_theme, name="follow_theme"),
]

comment = [  # one comment: its permalink, editing, deleting, history and voting
    path("", comments.comment_permalink, name="comment"),
    path("edit/", comments.comment_edit, name="comment_edit"),
    path("delete/", comments.comment_delete, name="comment_delete"),
    path("history/", comments.comment_history, name="comment_history"),
    path("agree/", agreement.agree, name="agree"),
    path("disagree/", agreement.disagree, name="disagree"),
    path("agree/withdraw/", agreement.withdraw_agreement, name="withdraw_agreement"),
    path("codes/", coding.comment_codes, name="comment_codes"),
]

thread = [  # posting to a discussion, and following it (its pages are `thread`)
    path("reply/", threads.reply, name="reply"),
    path("follow/", following.follow_thread, name="follow_thread"),
]

draft = [  # what a member is writing, saved as they type
    path("", drafts.save_draft, name="save_draft"),
    path("discard/", drafts.discard_draft, name="discard_draft"),
]

download = [
    path("", exports.export_list, name="exports"),
    path("all-themes.<str:fmt>", exports.all_themes_export, name="export_all"),
]

map_entry = [  # one need or offer: its page, "we see this too", links to the other kind
    path("", planning.map_entry, name="map_entry"),
    path("see/", planning.see_too, name="map_see"),
    path("see/withdraw/", planning.withdraw_seen, name="map_unsee"),
    path("not-seen/", planning.not_seen, name="map_not_seen"),
    path("link/", planning.link_entry, name="map_link"),
    path("links/<int:link_pk>/remove/", planning.unlink_entry, name="map_unlink"),
]

planning_map = [  # the planning map, its cells, placing a need or an offer, downloads
    path("", planning.planning_map, name="map"),
    path("map.<str:fmt>", planning.map_download, name="map_download"),
    path("new/<str:kind>/", planning.new_entry, name="map_new"),
    path("stages/<slug:stage>/<str:support>/", planning.map_cell, name="map_cell"),
    path("entries/<int:pk>/", include(map_entry)),
    path("regions/<str:code>/", regions.region_detail, name="region"),
]

urlpatterns = [
    path("themes/", themes.theme_list, name="theme_list"),
    path("commitments/", commitments.commitment_list, name="commitments"),
    path("common-ground/", agreement.common_ground_everywhere, name="common_ground_all"),
    path("themes/<slug:slug>/", include(theme)),
    path("threads/<int:pk>-<slug:slug>/", threads.thread_detail, name="thread"),
    path("threads/<int:pk>/", include(thread)),
    path("comments/<int:pk>/", include(comment)),
    path("paragraphs/<str:key>/discuss/", paragraphs.paragraph_discuss, name="paragraph_discuss"),
    path("drafts/", include(draft)),
    path("downloads/", include(download)),
    path("search/", search.search, name="search"),
    path("following/", following.following_list, name="following"),
    path("map/", include(planning_map)),
    # Moderation, and notifications: each with its own views.
    path("", include("forum.moderation.urls")),
    path("", include("forum.notifications.urls")),
]
