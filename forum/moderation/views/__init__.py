"""Moderation's pages: reporting and appeals (members), the review queue and every moderator and
facilitator action. Each action is one small page: GET shows what will happen with a form for the
reason, POST does it through the one flow (`forum.moderation.flow`) and redirects back.

Moderator pages need the `forum.moderate_comment` permission and two-factor authentication
(`gates.moderator_required`); facilitator pages need `forum.respond_to_theme` and the same.
"""
