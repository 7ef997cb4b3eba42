"""The source-text pages: every sentence of the original, nothing of the page it came from."""

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles import views
from articles.models import Article, Paragraph
from tests.articles.helpers import (
    FURNITURE_LINES,
    MASTHEADS,
    SEED_FILES,
    is_furniture,
    main_text,
    normalise,
    seed_footnotes,
    seed_lines,
    seed_sentences,
)

pytestmark = pytest.mark.django_db

SLUGS = list(SEED_FILES)


def detail(client, slug):
    return client.get(reverse("articles:detail", kwargs={"slug": slug}))


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content.decode(), "html.parser")


@pytest.mark.parametrize("slug", SLUGS)
def test_every_sentence_of_the_original_appears_on_its_page(client, articles, slug):
    text = main_text(detail(client, slug).content.decode())
    sentences = seed_sentences(slug)
    assert len(sentences) > 15
    missing = [sentence for sentence in sentences if sentence not in text]
    assert missing == []
    for sentence in set(sentences):
        assert text.count(sentence) >= sentences.count(sentence), sentence


def test_the_pull_quote_is_kept_as_a_quote_beside_the_sentence_it_repeats(client, articles):
    page = soup(detail(client, "unified-health-service"))
    quotes = page.select(".cg-article-paragraph blockquote")
    assert [normalise(quote.get_text()) for quote in quotes] == [
        "With the NHS workforce under pressure, a key area the independent sector is supporting is the "
        "training of junior doctors."
    ]


def test_the_masthead_line_appears_as_where_and_when_first_published(client, articles):
    text = main_text(detail(client, "unified-health-service").content.decode())
    for line in seed_lines("unified-health-service"):
        if line in MASTHEADS:
            assert f"First published in {MASTHEADS[line]}." in text


@pytest.mark.parametrize("slug", SLUGS)
def test_no_page_furniture_appears_on_the_page(client, articles, slug):
    html = detail(client, slug).content.decode()
    text = main_text(html, drop_tools=False)
    furniture = [line for line in seed_lines(slug) if is_furniture(line)]
    assert furniture  # each original carries some
    for line in [*furniture, *FURNITURE_LINES]:
        assert line not in text
        assert line not in html
    assert "»" not in text
    assert "[1]" not in text and "[^" not in text


def test_the_footnote_marker_links_to_its_reference(client, articles):
    page = soup(detail(client, "unified-health-service"))
    marker = page.select_one(".cg-article-paragraph sup a")
    assert marker["href"] == "#ref-1"
    assert normalise(marker.get_text(" ")) == "Reference 1"
    reference = page.find(id="ref-1")
    (number, url), = seed_footnotes("unified-health-service").items()
    assert reference.find("a", href=url).get_text() == url
    assert reference["value"] == str(number)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_paragraph_has_an_anchor_its_key_and_a_link_to_itself(client, articles, slug):
    page = soup(detail(client, slug))
    paragraphs = Paragraph.objects.filter(section__article__slug=slug).select_related("section")
    assert paragraphs
    for paragraph in paragraphs:
        container = page.find(id=paragraph.anchor)
        assert "cg-article-paragraph" in container["class"]
        assert container["data-paragraph-key"] == paragraph.key
        link = container.select_one(".cg-paragraph-tools a")
        assert link["href"] == f"#{paragraph.anchor}"
        where = f"‘{paragraph.section.heading}’" if paragraph.section.heading else "the introduction"
        assert normalise(link.get_text()) == f"Link to this paragraph (paragraph {paragraph.position} of {where})"
        assert normalise(link.find(class_="nhsuk-u-visually-hidden").get_text()).startswith("(paragraph")


@pytest.mark.parametrize("slug", SLUGS)
def test_contents_list_links_to_every_section(client, articles, slug):
    page = soup(detail(client, slug))
    article = Article.objects.get(slug=slug)
    links = page.select("nav.nhsuk-contents-list a.nhsuk-contents-list__link")
    expected = [(f"#{s.anchor}", s.title) for s in article.sections.all()]
    if article.references.exists():
        expected.append(("#references", "References"))
    assert [(a["href"], a.get_text()) for a in links] == expected
    for href, _ in expected:
        assert page.find(id=href[1:]) is not None


def test_attribution_names_the_author_and_says_the_text_is_reproduced(client, articles):
    text = main_text(detail(client, "collaboration-under-threat").content.decode())
    assert "By Zoe Bedford, Chief Executive, ZPB Associates" in text
    assert "First published in HealthInvestor, February 2021." in text
    assert "Reproduced here so members can discuss it" in text
    assert "following an online panel on 09/12/20" in text


def test_sections_without_a_heading_get_a_hidden_one_for_screen_readers(client, articles):
    page = soup(detail(client, "unified-health-service"))
    heading = page.find(id="introduction-heading")
    assert heading.get_text() == "Introduction"
    assert "nhsuk-u-visually-hidden" in heading["class"]


def test_article_list_links_to_both_texts_in_order(client, articles):
    response = client.get(reverse("articles:list"))
    assert response.status_code == 200
    titles = [(a.get_text(strip=True), a["href"]) for a in soup(response).select("a.nhsuk-card__link")]
    assert titles == [
        ("How a unified health service will help tackle NHS challenges", "/articles/unified-health-service/"),
        (
            "Is collaboration between the independent sector and the NHS under threat post-Covid?",
            "/articles/collaboration-under-threat/",
        ),
    ]
    assert soup(response).select("h2.nhsuk-card__heading")  # straight under the h1


def test_home_page_cards_link_to_the_texts(client, articles):
    page = soup(client.get(reverse("home")))
    hrefs = [a["href"] for a in page.select("a.nhsuk-card__link")]
    assert hrefs == ["/articles/unified-health-service/", "/articles/collaboration-under-threat/"]


def test_article_list_without_texts_says_so(client, db):
    response = client.get(reverse("articles:list"))
    assert "No source texts have been loaded yet." in response.content.decode()


@pytest.mark.parametrize("slug", SLUGS)
def test_article_page_has_its_title_and_status_200(client, articles, slug):
    response = detail(client, slug)
    assert response.status_code == 200
    assert soup(response).title.get_text().startswith(articles[slug].title)


def test_unknown_article_is_404(client, articles):
    assert detail(client, "no-such-text").status_code == 404


@pytest.mark.parametrize("name", ["articles:list", "articles:detail"])
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_article_pages_refuse_methods_other_than_get(client, articles, name, method):
    kwargs = {"slug": "unified-health-service"} if name == "articles:detail" else {}
    assert getattr(client, method)(reverse(name, kwargs=kwargs)).status_code == 405


def test_article_page_query_count_is_small_and_the_same_for_both_texts(client, articles):
    counts = {}
    for slug in SLUGS:
        with CaptureQueriesContext(connection) as queries:
            assert detail(client, slug).status_code == 200
        counts[slug] = len(queries)
    assert len(set(counts.values())) == 1, counts
    assert counts[SLUGS[0]] <= 4


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_anonymous_article_page_stays_within_its_query_budget(client, articles, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        assert detail(client, "unified-health-service").status_code == 200


def test_article_pages_add_a_fixed_few_queries_to_a_members_page_cost(member_client, articles):
    # Signed-in pages carry a cost of their own (session tracking); measure it on a page that
    # runs no queries itself, and hold the article pages to a fixed number on top.
    about = reverse("about")
    queries_for(member_client, about)  # the first request records the session
    baseline = queries_for(member_client, about)
    for slug in SLUGS:
        assert queries_for(member_client, reverse("articles:detail", kwargs={"slug": slug})) <= baseline + 4
    assert queries_for(member_client, reverse("articles:list")) <= baseline + 1


def test_paragraph_extras_reach_each_paragraph(client, articles, monkeypatch):
    keys = dict(Paragraph.objects.values_list("pk", "key"))
    extras = {pk: f"extra-{key}" for pk, key in keys.items()}
    monkeypatch.setattr(views, "paragraph_extras", lambda request, article: extras)
    response = detail(client, "collaboration-under-threat")
    paragraphs = response.context["article"].paragraphs_in_order()
    assert len(paragraphs) == 5
    assert all(paragraph.extra == f"extra-{paragraph.key}" for paragraph in paragraphs)
