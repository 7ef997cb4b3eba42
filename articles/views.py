from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render

from articles.models import Article, Section


def article_list(request):
    return render(request, "articles/list.html", {"articles": Article.objects.all()})


def article_detail(request, slug: str):
    sections = Section.objects.prefetch_related("paragraphs")
    article = get_object_or_404(
        Article.objects.prefetch_related(Prefetch("sections", queryset=sections), "references"),
        slug=slug,
    )
    return render(request, "articles/detail.html", {"article": article})
