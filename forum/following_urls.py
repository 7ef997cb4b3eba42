"""Addresses for following, notifications, email settings, unsubscribing and feeds.

Included from forum/urls.py, so every name here is in the `forum:` namespace.
"""

from django.urls import path

from forum import feeds
from forum.views import following, notifications

urlpatterns = [
    path("themes/<slug:slug>/follow/", following.follow_theme, name="follow_theme"),
    path("themes/<slug:slug>/feed/", feeds.theme_feed, name="theme_feed"),
    path("threads/<int:pk>/follow/", following.follow_thread, name="follow_thread"),
    path("threads/<int:pk>/feed/", feeds.thread_feed, name="thread_feed"),
    path("following/", following.following_list, name="following"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/<int:pk>/open/", notifications.notification_open, name="notification_open"),
    path("notifications/<int:pk>/read/", notifications.notification_read, name="notification_read"),
    path("notifications/read-all/", notifications.notifications_read_all, name="notifications_read_all"),
    path("notifications/settings/", notifications.notification_settings, name="notification_settings"),
    path("email/unsubscribe/<str:token>/", notifications.unsubscribe, name="unsubscribe"),
]
