import pytest

from articles.models import Article
from tests.articles.helpers import import_bundled_articles


@pytest.fixture
def articles(db) -> dict[str, Article]:
    """Both source texts, imported from the bundled content files, by slug."""
    import_bundled_articles()
    return {article.slug: article for article in Article.objects.all()}
