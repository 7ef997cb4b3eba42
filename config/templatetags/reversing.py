"""`{% url %}` as Django's own, with each reversal remembered for the life of the process.

Django's `reverse()` walks the URL resolvers on every call: about 40 µs, five to ten times on a
page (the header's account links, a discussion's tools). What it returns depends only on the URL
configuration, the script prefix, the view's name, the namespace asked for and the arguments, so
for arguments that are plain numbers and text the answer is kept under exactly those. Other
arguments (a model instance, whose text may change) are reversed every time, as Django does.
A change of `ROOT_URLCONF` (tests' `override_settings`) forgets every answer.

Registered in `TEMPLATES["OPTIONS"]["builtins"]` after Django's own tags, so it replaces them.
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import defaulttags
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

register = template.Library()

_PLAIN = (int, str, SafeString)


@lru_cache(maxsize=4096)
def _remembered(urlconf, prefix: str, view_name: str, args: tuple, kwargs: tuple, current_app) -> str:
    del prefix  # part of the key: reverse() reads this thread's prefix itself
    return reverse(view_name, urlconf=urlconf, args=args, kwargs=dict(kwargs), current_app=current_app)


def reverse_remembered(view_name: str, args: list, kwargs: dict, current_app) -> str:
    """`reverse()`, answered from memory when the arguments are plain numbers and text."""
    if type(view_name) in _PLAIN and all(type(value) in _PLAIN for value in (*args, *kwargs.values())):
        return _remembered(get_urlconf(), get_script_prefix(), view_name, tuple(args),
                           tuple(sorted(kwargs.items())), current_app)
    return reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)


@receiver(setting_changed)
def _forget_on_new_urlconf(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _remembered.cache_clear()


class RememberedURLNode(defaulttags.URLNode):
    def render(self, context):
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = reverse_remembered(view_name, args, kwargs, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    """Django's `{% url %}` (same syntax), answered from memory where it can be."""
    node = defaulttags.url(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
