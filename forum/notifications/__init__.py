"""Notifications: who is told about what, in the app and by email. Reacts to the forum's events;
the core never imports it.

- handlers: the event handlers (what each event makes and sends)
- fanout: the notifications one event causes, idempotently
- inbox: a member's notifications in the app, unread counts, marking read
- listing: the notifications page's list, paged by position, its groups' HTML cached;
  kept_pages: that page kept whole while nothing on it changes
- emails: what each email says; sending: at once or in digests, never twice
- unsubscribe: the signed one-click links; feeds: Atom feeds of themes and discussions
- privacy: the member's part of "download my data" and erasure
- views, forms, urls: the notifications page, email settings, unsubscribing
"""
