"""Addresses for notifications, email settings, unsubscribing and feeds.

Included from forum/urls.py, so every name here is in the `forum:` namespace.
"""

from django.urls import include, path

from forum.notifications import feeds, views

urlpatterns = [
    path("notifications/", include([
        path("", views.notification_list, name="notifications"),
        path("<int:pk>/open/", views.notification_open, name="notification_open"),
        path("<int:pk>/read/", views.notification_read, name="notification_read"),
        path("read-all/", views.notifications_read_all, name="notifications_read_all"),
        path("settings/", views.notification_settings, name="notification_settings"),
    ])),
    path("email/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("themes/<slug:slug>/feed/", feeds.theme_feed, name="theme_feed"),  # Atom feeds, for feed readers
    path("threads/<int:pk>/feed/", feeds.thread_feed, name="thread_feed"),
]
