"""The forum's models, one module per area; import them from `forum.models`.

- core: themes, threads, comments, revisions, mentions, read state, paragraph discussions
- following: follows, notifications, email preferences
- moderation: flags, the append-only log, suspensions, filters, appeals, facilitator responses
- signals: agreements (common ground)
- reliability: one-time submission keys and drafts
"""

from forum.models.core import *  # noqa: F403
from forum.models.following import *  # noqa: F403
from forum.models.moderation import *  # noqa: F403
from forum.models.reliability import *  # noqa: F403
from forum.models.signals import *  # noqa: F403
