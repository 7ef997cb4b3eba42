"""Posting: starting discussions, replying, editing and deleting, and everything checked or kept
on the way.

- services: start_thread, create_comment, edit_comment, delete_comment (each one transaction)
- counters: every change to the stored comment and discussion counts
- counter_check: proves the counters match their rows, and repairs them (`check_counters`)
- screening: rate limits, word filters and pre-moderation, run once per post
- ratelimits, filters: the two checks screening runs
- quoting: the quote a reply carries
- once: one-time form keys and edit conflicts (nothing posted twice or saved over)
- drafts: drafts and text kept over a sign-in (nothing typed is lost)
- forms: the start, reply and edit forms
"""
