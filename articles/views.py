"""Pages for reading the source texts.

The article page is built from a fixed number of queries. Two seams let other parts of the site
add to each paragraph without adding a query per paragraph:

- `paragraphs_for_reading(request)`: the queryset the page prefetches paragraphs with; annotate it
  (for example with comment counts) and the annotation is on every `paragraph` in the templates.
- `paragraph_extras(request, article)`: data computed for the whole article at once (a fixed
  number of queries), keyed by paragraph id; the page sets it on each paragraph as
  `paragraph.extra` (None for a paragraph without any).

Both are read by templates/articles/includes/paragraph_tools.html, which is included once per
paragraph with `paragraph`, `section` and `article` in its context.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from articles.models import Article, Paragraph
from forum.cache.pages import AnonymousPage
from forum.cache.shells import whole_page
from forum.cache.versions import THEMES
from forum.reading import discussion_stats_of, with_discussion_stats


def get_article_for_reading(slug: str, *, paragraphs: QuerySet[Paragraph] | None = None) -> Article:
    """The article with its sections, paragraphs and references prefetched, or 404."""
    return get_object_or_404(Article.objects.with_contents(paragraphs), slug=slug)


def paragraphs_for_reading(request: HttpRequest) -> QuerySet[Paragraph]:
    """The paragraph rows the article page prefetches, joined to their forum discussion figures."""
    return with_discussion_stats(Paragraph.objects.all())


def paragraph_extras(request: HttpRequest, article: Article) -> Mapping[int, object]:
    """Per-paragraph data for the paragraph tools, keyed by paragraph id: the forum's discussion
    figures (`forum.models.ParagraphDiscussion`), already loaded with the paragraphs."""
    return discussion_stats_of(article.paragraphs_in_order())


@require_safe
def article_list(request: HttpRequest) -> HttpResponse:
    return render(request, "articles/list.html", {"articles": Article.objects.all()})


@require_safe
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # Anonymous readers: the whole page from the cache, renewed by any change in the forum (the
    # paragraph figures) and by a new import of the texts.
    cached = AnonymousPage(request, THEMES)
    # Signed-in readers: one stored copy for all of them, with their header links put in.
    if (response := whole_page(request, f"article:{slug}", [THEMES], lambda: _page_html(request, slug))) is not None:
        return response
    return cached.keep(render(request, "articles/detail.html", _context(request, slug)))


def _context(request: HttpRequest, slug: str) -> dict:
    article = get_article_for_reading(slug, paragraphs=paragraphs_for_reading(request))
    extras = paragraph_extras(request, article)
    for paragraph in article.paragraphs_in_order():
        paragraph.extra = extras.get(paragraph.pk)
    return {
        "article": article,
        "sections": article.sections.all(),
        "references": article.references.all(),
    }


def _page_html(request: HttpRequest, slug: str) -> str:
    context = {**_context(request, slug), "shell_marks": True}
    return render(request, "articles/detail.html", context).content.decode()
