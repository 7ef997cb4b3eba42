"""The forum's models, one module per area; import them from `forum.models`.

- core: themes, threads, comments, revisions, mentions, read state, paragraph discussions
- following: follows, notifications, email preferences
- commitments: what a response says will be done, by whom and by when, and its dated updates
- moderation: flags, the append-only log, suspensions, filters, appeals, facilitator responses
- agreement: votes on comments, agree or disagree (common ground, consensus, contested)
- coding: each theme's codebook and the codes applied to comments
- planning: the planning map's stages, needs, offers and the links between them
- reliability: one-time submission keys and drafts
- querysets: who may see what (the visibility filters)
- viewer: what one request knows about its reader (moderator, suspended)
"""

from forum.models.agreement import *  # noqa: F403
from forum.models.coding import *  # noqa: F403
from forum.models.commitments import *  # noqa: F403
from forum.models.core import *  # noqa: F403
from forum.models.following import *  # noqa: F403
from forum.models.moderation import *  # noqa: F403
from forum.models.planning import *  # noqa: F403
from forum.models.reliability import *  # noqa: F403
