"""What the cached fragments are keyed by: digests of the template files they are made from and
of the rows they show, so a change to either gives a new key by itself."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import django
from django.conf import settings
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

PAGE_TIMEOUT = 600
SITE_PACKAGES = ("config", "accounts", "articles", "forum")
FRAGMENT_TIMEOUT = 24 * 3600


@lru_cache(maxsize=8)
def files_digest(names: tuple[str, ...]) -> str:
    """A digest of these templates' files (and of Django, whose widget templates forms use): a
    change to any of them gives the fragments made from them new keys."""
    digest = hashlib.blake2b(django.__version__.encode(), digest_size=8)
    for name in names:
        digest.update(Path(get_template(name).origin.name).read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def site_templates_digest() -> str:
    """A digest of every template and Python file of the project (and of Django's version): what a
    whole stored page is made from, so a deployment that changes any of them stores pages anew.
    Worked out once per process (a few milliseconds)."""
    digest = hashlib.blake2b(django.__version__.encode(), digest_size=8)
    base = Path(settings.BASE_DIR)
    for folder, pattern in (("templates", "*.html"), *((app, "*.py") for app in SITE_PACKAGES)):
        for path in sorted((base / folder).rglob(pattern)):
            digest.update(str(path.relative_to(base)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def row(instance, skip: tuple[str, ...] = ()) -> tuple:
    """The values of a model instance's columns (but `skip`), to digest."""
    if instance is None:
        return ()
    return tuple(getattr(instance, f.attname, None) for f in instance._meta.concrete_fields if f.attname not in skip)


def digest(parts) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def joined(parts: list[str]) -> SafeString:
    """Fragments made by our own templates (autoescaping on), with only the reader's CSRF token,
    escaped page address, one-time key or unread link (built by format_html) put in."""
    return mark_safe("".join(parts))  # noqa: S308 - our own templates' output
