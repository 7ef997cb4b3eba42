"""Moderation: reports, the review queue, moderators' and facilitators' actions, suspensions,
filters, appeals and the append-only log. Reacts to the forum's events; the core never imports it.

- flow: the one flow every action goes through (lock, act, resolve reports, log, tell)
- comments, threads, members, themes, appeals: the actions, each a step of that flow
- reports: members' reports and what they do by themselves; queue: what waits for a moderator
- log: what the log records; filters: keeping the word filters; rules: who may do what
- handlers: the event handlers; forms, views, urls, admin: the pages
"""
