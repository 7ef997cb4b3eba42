"""The forum's cached pages and parts of pages, all kept true through `config.versions`.

- versions: the names of the forum's caches (the versions pages are stored under) and renewing them
- renewal: which event renews which pages (the only caller of `versions.renew`, with commands)
- pages: whole pages for anonymous readers
- fragments: each comment's HTML for signed-in readers, and a page's list of them
- rows: discussions' and themes' rows, list rows and the empty reply form, shared by members
- digest: what fragments are keyed by
"""
