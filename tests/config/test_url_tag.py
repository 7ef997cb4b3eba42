"""`{% url %}` answered from memory (config/templatetags/reversing.py) gives what Django's gives."""

from __future__ import annotations

from django.template import engines
from django.test import override_settings
from django.urls import path, reverse

from config.templatetags import reversing


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


def view(request):  # pragma: no cover - only reversed, never called
    raise AssertionError


urlpatterns = [path("elsewhere/<str:name>/", view, name="elsewhere")]


class Titled:
    """An argument whose text can change, as a model instance's can."""

    def __init__(self, text):
        self.text = text

    def __str__(self):
        return self.text


def test_the_url_tag_gives_what_reverse_gives_for_names_numbers_and_text():
    assert render("{% url 'about' %}") == reverse("about")
    assert render("{% url 'accounts:settings' %}") == reverse("accounts:settings")
    assert render("{% url 'forum:thread' 12 'a-slug' %}") == reverse("forum:thread", args=[12, "a-slug"])
    by_name = reverse("forum:thread", kwargs={"pk": 7, "slug": "b"})
    assert render("{% url 'forum:thread' pk=7 slug=s %}", s="b") == by_name


def test_the_url_tag_escapes_and_stores_as_a_variable_like_djangos():
    assert render("{% url 'about' as link %}[{{ link }}]") == f"[{reverse('about')}]"
    assert render("{% url 'no-such-view' as link %}[{{ link }}]") == "[]"


def test_a_remembered_url_follows_the_arguments_it_was_given():
    first = render("{% url 'forum:thread' pk 'x' %}", pk=1)
    second = render("{% url 'forum:thread' pk 'x' %}", pk=2)
    assert first != second and second == reverse("forum:thread", args=[2, "x"])


def test_an_argument_whose_text_can_change_is_reversed_every_time():
    argument = Titled("first-title")
    assert render("{% url 'forum:thread' 3 a %}", a=argument).endswith("first-title/")
    argument.text = "second-title"
    assert render("{% url 'forum:thread' 3 a %}", a=argument).endswith("second-title/")


def test_a_new_url_configuration_forgets_remembered_urls():
    assert render("{% url 'about' %}") == reverse("about")
    with override_settings(ROOT_URLCONF=__name__):
        assert render("{% url 'elsewhere' 'x' %}") == "/elsewhere/x/"
        assert reversing._remembered.cache_info().currsize == 1
    assert render("{% url 'about' %}") == reverse("about")
