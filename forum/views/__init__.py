"""The forum's core pages, one module per kind of page: themes, discussions, comments, paragraphs,
drafts, agreeing, following, search and downloads. Each view: access helper → form → service →
redirect. Moderation's and notifications' pages are in their own packages."""
