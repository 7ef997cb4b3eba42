import io

import pytest
from django.core.management import call_command

from config.markdown import RENDERER_VERSION
from forum.models import Comment, CommentRevision, Theme, ThemeResponse
from forum.posting import services
from tests.forum.conftest import make_theme

pytestmark = pytest.mark.django_db


@pytest.fixture
def stale_world(member):
    theme = make_theme("rerender", title="Rerender")
    thread = services.start_thread(theme=theme, author=member, title="A title", body="**Bold** words")
    comment = thread.comments.get()
    ThemeResponse.objects.create(theme=theme, author=member, author_name="F", body="*We did this*")
    # Pretend an older renderer made all of it, with different output.
    Comment.objects.update(body_html="<p>old</p>", renderer_version="0")
    CommentRevision.objects.update(body_html="<p>old</p>")
    Theme.objects.update(summary_html="<p>old</p>", renderer_version="0")
    ThemeResponse.objects.update(body_html="<p>old</p>", renderer_version="0")
    return theme, comment


def test_stale_renderings_are_brought_up_to_date(stale_world):
    theme, comment = stale_world
    out = io.StringIO()
    call_command("rerender_markdown", stdout=out)

    comment.refresh_from_db()
    theme.refresh_from_db()
    response = ThemeResponse.objects.get(theme=theme)
    assert comment.body_html == "<p><strong>Bold</strong> words</p>\n"
    assert comment.renderer_version == RENDERER_VERSION
    assert CommentRevision.objects.get(comment=comment).body_html == comment.body_html
    assert "<p>old</p>" not in theme.summary_html and theme.renderer_version == RENDERER_VERSION
    assert response.body_html == "<p><em>We did this</em></p>\n" and response.renderer_version == RENDERER_VERSION
    assert "comments: 1 re-rendered" in out.getvalue()


def test_current_renderings_are_left_alone(stale_world):
    call_command("rerender_markdown", stdout=io.StringIO())
    out = io.StringIO()
    call_command("rerender_markdown", stdout=out)
    assert "Done: 0 rendering(s)" in out.getvalue()
