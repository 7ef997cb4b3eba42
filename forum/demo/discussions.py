"""The demo's discussions: threads, comments, agreements, notifications, follows (a part of DemoSeeder)."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from types import SimpleNamespace

from django.utils.text import slugify

from config.markdown import RENDERER_VERSION, render_markdown
from forum.agreement.consensus import consensus, is_common_ground, is_contested
from forum.demo import content
from forum.demo.plan import (
    ANCHORED_SHARE,
    DELETED_SHARE,
    EDITED_SHARE,
    HIDDEN_SHARE,
    MENTION_SHARE,
    PENDING_SHARE,
    QUOTE_SHARE,
    REGULAR_SHARE,
    REPLY_SHARE,
    STAFF_SHARE,
    TOKEN,
    UNREAD_DAYS,
    WATCH_NOTICE_DAYS,
    weighted,
)
from forum.demo.records import DemoMember, Posted, ThreadSpec, progress_bar
from forum.models import (
    Agreement,
    Comment,
    CommentRevision,
    FollowLevel,
    Mention,
    Notification,
    NotificationKind,
    PostedAs,
    Thread,
    ThreadFollow,
    ThreadReadState,
    VoteValue,
)
from forum.posting.quoting import extract_quote, quote_as_markdown


class Discussions:
    """Threads and everything in them (DemoSeeder's second part)."""

    # Threads ----------------------------------------------------------------------------------------

    def _plan_threads(self) -> list[ThreadSpec]:
        plan, rng = self.plan, self.rng
        others = plan.threads - 1
        spare = plan.comments - plan.hot_comments - others  # beyond each thread's opening comment
        weights = [rng.paretovariate(1.3) for _ in range(others)]
        total = sum(weights) or 1.0
        cap = max(1, plan.hot_comments // 2)
        sizes = [1 + min(cap - 1, int(spare * w / total)) for w in weights]
        remainder = plan.comments - plan.hot_comments - sum(sizes)
        order = sorted(range(others), key=lambda i: -weights[i])
        i = 0
        while remainder > 0 and order:
            j = order[i % len(order)]
            if sizes[j] < cap:
                sizes[j] += 1
                remainder -= 1
            i += 1
            if i > 10 * len(order) + remainder:
                break
        span = (self.until - self.start).total_seconds()
        specs = [
            ThreadSpec(
                id=self._take_id(Thread),
                theme=self.themes[0],
                author=self.demo_member,
                created_at=self.start + timedelta(days=2),
                size=plan.hot_comments,
                title=content.HOT_TITLE,
                pinned=True,
            )
        ]
        pinned_themes = {self.themes[0].pk}
        for number, size in enumerate(sizes):
            # Every theme has discussions, whatever the scale; then themes are picked at random.
            theme = self.themes[number] if number < len(self.themes) else rng.choice(self.themes)
            created = self.start + timedelta(seconds=span * 0.92 * rng.random())
            spec = ThreadSpec(
                id=self._take_id(Thread),
                theme=theme,
                author=self._pick_author(),
                created_at=created,
                size=size,
                title=rng.choice(content.TITLES),
                locked=rng.random() < 0.02,
            )
            if theme.pk not in pinned_themes and rng.random() < 0.5:
                spec.pinned = True
                pinned_themes.add(theme.pk)
            paragraphs = self.paragraphs.get(theme.pk)
            if paragraphs and rng.random() < ANCHORED_SHARE:
                spec.anchor = rng.choice(paragraphs)
            specs.append(spec)
        return specs

    def _pick_author(self) -> int:
        return self.rng.choices(range(self.member_count), cum_weights=self.activity_weights)[0]

    def _threads(self) -> None:
        specs = self._plan_threads()
        self._choose_map_entries(specs)
        self.hot_thread_id = specs[0].id
        self.anchored: set[int] = set()
        bar = progress_bar(self.plan.comments, enabled=self.progress)
        try:
            for spec in specs:
                self._thread(spec)
                bar.update(spec.size)
        finally:
            bar.close()

    def _thread(self, spec: ThreadSpec) -> None:
        rng, loader, members = self.rng, self.loader, self.members
        until = self.until
        n = spec.size
        span = (until - spec.created_at).total_seconds()
        offsets = sorted(rng.random() for _ in range(n - 1))
        times = [spec.created_at] + [
            spec.created_at + timedelta(seconds=span * o * 0.999, microseconds=i + 1) for i, o in enumerate(offsets)
        ]
        watch_from = until - timedelta(days=WATCH_NOTICE_DAYS)
        unread_from = until - timedelta(days=UNREAD_DAYS)
        posted: list[Posted] = []
        participants: list[int] = []
        last_position: dict[int, int] = {}
        groups: set[str] = set()
        public_count = 0
        last_activity = spec.created_at
        starter = spec.author
        for position in range(1, n + 1):
            created = times[position - 1]
            author = self._author_for(position, starter, participants)
            member = members[author]
            comment_id = self._take_id(Comment)
            row = {
                "id": comment_id,
                "thread_id": spec.id,
                "position": position,
                "author_id": member.id,
                "author_name": member.name,
                "author_group": member.group,
                "author_group_verified": member.verified,
                "author_region_id": member.region_id,
                "thread_theme_id": spec.theme.pk,
                "renderer_version": RENDERER_VERSION,
                "created_at": created,
                "stance": weighted(rng, self.stance_values, self.stance_weights),
                "posted_as": PostedAs.MEMBER,
            }
            if author == self.moderator:
                row["posted_as"] = PostedAs.MODERATOR
            elif author == self.facilitator:
                row["posted_as"] = PostedAs.FACILITATOR
            template_index = rng.randrange(len(self.templates))
            template = self.templates[template_index]
            parent = quoted = None
            mentioned = None
            body, html, quoted_text, plain = template.markdown, template.html, "", template_index
            kind = rng.random() if position > 1 else 1.0
            if kind < REPLY_SHARE:
                parent = posted[max(0, len(posted) - 1 - int(rng.expovariate(1 / 6)))]
            elif kind < REPLY_SHARE + QUOTE_SHARE:
                quoted = self._quotable(posted)
                if quoted is not None:
                    parent = quoted
                    body, html, quoted_text = self._quote_body(quoted, template_index)
                    plain = -1
                    if quoted.author != author:
                        mentioned = quoted.author
            elif kind < REPLY_SHARE + QUOTE_SHARE + MENTION_SHARE:
                target = rng.randrange(min(self.member_count, 60))
                if target != author:
                    mentioned = target
                    body, html = self._with_name(template.mention_markdown, template.mention_html, members[target])
                    plain = -1
            state = rng.random() if position > 1 else 1.0
            public, deleted = True, False
            if state < HIDDEN_SHARE and author not in (self.moderator, self.facilitator):
                row.update(
                    is_hidden=True,
                    hidden_reason=rng.choice(content.HIDDEN_REASONS),
                    hidden_by_id=members[self.moderator].id,
                    hidden_at=min(created + timedelta(hours=3), until),
                )
                public = False
            elif state < HIDDEN_SHARE + DELETED_SHARE:
                deleted = True
            elif state < HIDDEN_SHARE + DELETED_SHARE + PENDING_SHARE:
                row["needs_approval"] = True
                public = False
            edited = plain >= 0 and not deleted and rng.random() < EDITED_SHARE
            revisions = [(body, html, created)]
            if edited:
                body, html = template.edited_markdown, template.edited_html
                edited_at = min(created + timedelta(minutes=rng.randrange(5, 600)), until)
                row["edited_at"] = edited_at
                revisions.append((body, html, edited_at))
                plain = -1
            if deleted:
                row.update(is_deleted=True, deleted_at=min(created + timedelta(days=1), until), stance="")
                body, html, quoted_text, revisions, mentioned = "", "", "", [], None
                plain = -1
            row.update(
                body=body,
                body_html=html,
                quoted_text=quoted_text,
                parent_id=parent.id if parent else None,
                quoted_comment_id=quoted.id if quoted and quoted_text else None,
            )
            if position == 1:
                row["_title"] = spec.title
            for revision_body, revision_html, revision_at in revisions:
                loader.add(
                    CommentRevision,
                    {
                        "comment_id": comment_id,
                        "body": revision_body,
                        "body_html": revision_html,
                        "edited_by_id": member.id,
                        "created_at": revision_at,
                    },
                )
            if mentioned is not None:
                loader.add(
                    Mention, {"comment_id": comment_id, "member_id": members[mentioned].id, "created_at": created}
                )
            counted = not row.get("needs_approval", False)
            if counted:
                groups.add(member.group)
                last_activity = created
            if public and not deleted:
                public_count += 1
                self._agreements(row, spec, author, created)
                self._notify_about(
                    row, spec, author, created,
                    parent_author=parent.author if parent else None,
                    mentioned=mentioned,
                    watch=created >= watch_from,
                    unread=created >= unread_from,
                )
            loader.add(Comment, row)
            posted.append(Posted(id=comment_id, author=author, template=plain, public=public and not deleted))
            if author not in last_position:
                participants.append(author)
            last_position[author] = position
        self._thread_row(spec, n, public_count, groups, last_activity)
        self._follows_and_reading(spec, participants, last_position)

    def _author_for(self, position: int, starter: int, participants: list[int]) -> int:
        rng = self.rng
        if position == 1:
            return starter
        r = rng.random()
        if r < STAFF_SHARE:
            return self.moderator if r < STAFF_SHARE / 2 else self.facilitator
        if participants and r < REGULAR_SHARE:
            return participants[rng.randrange(len(participants))]
        return self._pick_author()

    def _quotable(self, posted: list[Posted]) -> Posted | None:
        for _ in range(4):
            candidate = posted[max(0, len(posted) - 1 - int(self.rng.expovariate(1 / 4)))]
            if candidate.template >= 0 and candidate.public:
                return candidate
        return None

    def _quote_body(self, quoted: Posted, reply_template: int) -> tuple[str, str, str]:
        """A reply that quotes `quoted` in full, as the Quote link fills the form."""
        key = (quoted.template, reply_template)
        cached = self.quote_cache.get(key)
        if cached is None:
            source = SimpleNamespace(author_name="MENTIONTOKEN", body=self.templates[quoted.template].markdown)
            markdown = quote_as_markdown(source) + self.templates[reply_template].markdown
            cached = (markdown, render_markdown(markdown), extract_quote(markdown))
            self.quote_cache[key] = cached
        markdown, html, quoted_text = cached
        body, html = self._with_name(markdown, html, self.members[quoted.author])
        return body, html, quoted_text

    def _with_name(self, markdown: str, html: str, member: DemoMember) -> tuple[str, str]:
        link = self.link_pattern.format(url=escape(member.url), name=escape(member.name, quote=False))
        return markdown.replace(TOKEN, f'@"{member.name}"'), html.replace(TOKEN, link)

    def _agreements(self, row: dict, spec: ThreadSpec, author: int, created: datetime) -> None:
        rng = self.rng
        wanted = weighted(rng, self.agree_values, self.agree_weights)
        if not wanted:
            return
        chosen = [m for m in rng.sample(range(self.member_count), min(self.member_count, wanted + 1)) if m != author]
        chosen = chosen[:wanted]
        room = max(60.0, min(14 * 86_400.0, (self.until - created).total_seconds() - 1))
        moments = sorted(created + timedelta(seconds=rng.random() * room) for _ in chosen)
        groups: dict[str, int] = {}
        against: dict[str, int] = {}
        reached_at = None
        for member_index, moment in zip(chosen, moments, strict=True):
            member = self.members[member_index]
            # About one vote in six disagrees; decided from the ids, so the random draws (and with
            # them everything else seeded) stay as they were before members could disagree.
            vote = VoteValue.DISAGREE if (row["id"] * 31 + member.id) % 6 == 0 else VoteValue.AGREE
            self.loader.add(
                Agreement,
                {"comment_id": row["id"], "member_id": member.id, "stakeholder_group": member.group,
                 "vote": vote, "created_at": moment},
            )
            tally = groups if vote == VoteValue.AGREE else against
            tally[member.group] = tally.get(member.group, 0) + 1
            if reached_at is None and is_common_ground(groups):
                reached_at = moment
        row["agree_count"] = sum(groups.values())
        row["agree_groups"] = groups
        row["disagree_count"] = sum(against.values())
        row["disagree_groups"] = against
        row["consensus"] = consensus(groups, against)
        row["is_contested"] = is_contested(groups, against)
        if reached_at is not None:
            row["is_common_ground"] = True
            row["common_ground_at"] = reached_at
            self._notification(author, NotificationKind.COMMON_GROUND, row, None, reached_at, spec=spec)

    def _notify_about(self, row, spec, author, created, *, parent_author, mentioned, watch, unread) -> None:
        told = {author}
        if parent_author is not None and parent_author not in told:
            self._notification(parent_author, NotificationKind.REPLY, row, author, created, spec=spec, unread=unread)
            told.add(parent_author)
        if mentioned is not None and mentioned not in told:
            self._notification(mentioned, NotificationKind.MENTION, row, author, created, spec=spec, unread=unread)
            told.add(mentioned)
        if watch and spec.author not in told and row["position"] > 1:
            self._notification(
                spec.author, NotificationKind.WATCHED_COMMENT, row, author, created, spec=spec, unread=unread
            )

    def _notification(self, recipient: int, kind: str, row: dict, actor: int | None, when: datetime, *,
                      spec: ThreadSpec, unread: bool | None = None) -> None:
        if unread is None:
            unread = when >= self.until - timedelta(days=UNREAD_DAYS)
        self.counts_by_kind[kind] += 1
        self.loader.add(
            Notification,
            {
                "recipient_id": self.members[recipient].id,
                "kind": kind,
                "actor_id": self.members[actor].id if actor is not None else None,
                "theme_id": spec.theme.pk,
                "thread_id": row["thread_id"],
                "comment_id": row["id"],
                "message": "",
                "created_at": when,
                "read_at": None if unread else when + timedelta(hours=2),
                "emailed_at": when,
            },
        )

    def _thread_row(self, spec: ThreadSpec, last_position: int, public_count: int, groups: set[str],
                    last_activity: datetime) -> None:
        row = {
            "id": spec.id,
            "theme_id": spec.theme.pk,
            "title": spec.title,
            "slug": slugify(spec.title)[:150].strip("-") or "discussion",
            "author_id": self.members[spec.author].id,
            "author_name": self.members[spec.author].name,
            "created_at": spec.created_at,
            "last_activity_at": last_activity,
            "last_position": last_position,
            "comment_count": public_count,
            "participant_groups": sorted(groups),
            "is_pinned": spec.pinned,
            "is_locked": spec.locked,
            "lock_reason": "This discussion has run its course; please start a new one." if spec.locked else "",
        }
        if spec.anchor is not None:
            paragraph = spec.anchor
            self.anchored.add(paragraph.pk)
            row.update(
                anchor_paragraph_id=paragraph.pk,
                anchor_key=paragraph.key,
                anchor_text=paragraph.text,
                anchor_source=paragraph.section.article.title,
                anchor_url=paragraph.get_absolute_url(),
            )
        self.loader.add(Thread, row)

    def _follows_and_reading(self, spec: ThreadSpec, participants: list[int], last_position: dict[int, int]) -> None:
        for index in participants:
            member = self.members[index]
            level = FollowLevel.WATCHING if index == spec.author else FollowLevel.TRACKING
            self.loader.add(
                ThreadFollow,
                {"user_id": member.id, "thread_id": spec.id, "level": level, "updated_at": spec.created_at},
            )
            read = last_position[index]
            if spec.id == self.hot_thread_id and index == self.demo_member:
                read = max(1, spec.size // 2)  # the demo member has half the hot thread still to read
            self.loader.add(
                ThreadReadState,
                {"user_id": member.id, "thread_id": spec.id, "last_read_position": read, "updated_at": spec.created_at},
            )
