"""Cleaning rules for the words members type into their profile.

Names appear beside every comment, so they must be plain text a reader can trust: no markup, no
invisible or direction-changing characters, and nothing that impersonates the site's own roles.
"""

from __future__ import annotations

import re
import unicodedata

from confusable_homoglyphs import categories
from django.core.exceptions import ValidationError

# Compared after `name_key()`: lower case, letters and digits only.
RESERVED_NAME_PARTS = ("moderator", "admin", "facilitator", "formermember", "commonground")
RESERVED_NAMES = {
    "member",
    "members",
    "staff",
    "system",
    "support",
    "anonymous",
    "deleted",
    "deletedmember",
    "nhs",
    "root",
}
# Scripts one name may mix (Unicode TR39's "highly restrictive" level): a single script, or Latin
# with the scripts Chinese, Japanese and Korean names are written in together. Anything else, such
# as Latin with a Cyrillic "о", is how one name is made to look like another.
_NEUTRAL_SCRIPTS = {"COMMON", "INHERITED"}
_SCRIPT_FAMILIES = (
    {"LATIN", "HAN", "HIRAGANA", "KATAKANA"},
    {"LATIN", "HAN", "BOPOMOFO"},
    {"LATIN", "HAN", "HANGUL"},
)
_WHITESPACE = re.compile(r"\s+")
_MARKUP = re.compile(r"[<>]")


def name_key(value: str) -> str:
    """The form of a name used to spot look-alikes: 'Former-Member' and 'former member' match."""
    normalised = unicodedata.normalize("NFKC", value).casefold()
    return "".join(ch for ch in normalised if ch.isalnum())


def mixed_scripts(value: str) -> list[str]:
    """The alphabets a name mixes, when it mixes them in a way that can impersonate (else [])."""
    scripts = categories.unique_aliases(value or "") - _NEUTRAL_SCRIPTS
    if len(scripts) < 2 or any(scripts <= family for family in _SCRIPT_FAMILIES):
        return []
    return sorted(script.title() for script in scripts)


def _has_hidden_characters(value: str, *, allow_newlines: bool = False) -> bool:
    for ch in value:
        if allow_newlines and ch in "\n\r\t":
            continue
        # Cc: control characters; Cf: invisible format characters such as zero-width spaces
        # and right-to-left overrides, which can disguise a name.
        if unicodedata.category(ch) in {"Cc", "Cf"}:
            return True
    return False


def clean_single_line(value: str, *, field_label: str) -> str:
    """Normalise one line of text (name, organisation, job title) or refuse it with a reason."""
    value = unicodedata.normalize("NFKC", value or "")
    if _has_hidden_characters(value):
        raise ValidationError(
            f"{field_label} must not contain control or invisible characters. Type it again without them.",
            code="hidden_characters",
        )
    if _MARKUP.search(value):
        raise ValidationError(
            f"{field_label} must not contain the characters < or >.",
            code="markup",
        )
    return _WHITESPACE.sub(" ", value).strip()


def clean_display_name(value: str) -> str:
    value = clean_single_line(value, field_label="Display name")
    if len(value) < 2:
        raise ValidationError("Display name must be at least 2 characters.", code="too_short")
    if sum(1 for ch in value if ch.isalpha()) < 2:
        raise ValidationError("Display name must include at least 2 letters.", code="too_few_letters")
    if scripts := mixed_scripts(value):
        raise ValidationError(
            f"Use the letters of one alphabet in your display name. This one mixes {' and '.join(scripts)} "
            "letters, which can make a name look like someone else's.",
            code="mixed_scripts",
        )
    key = name_key(value)
    if key in RESERVED_NAMES or any(part in key for part in RESERVED_NAME_PARTS):
        raise ValidationError(
            "That display name is kept for the site's own roles. Choose a different name.",
            code="reserved",
        )
    return value


def clean_multiline(value: str, *, field_label: str) -> str:
    value = unicodedata.normalize("NFKC", value or "")
    if _has_hidden_characters(value, allow_newlines=True):
        raise ValidationError(
            f"{field_label} must not contain control or invisible characters. Type it again without them.",
            code="hidden_characters",
        )
    lines = [line.rstrip() for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip()


def normalise_domain_rule(value: str) -> str:
    """Check an organisation domain rule: `example.org` or `*.example.org`."""
    value = (value or "").strip().lower()
    bare = value.removeprefix("*.")
    if not re.fullmatch(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", bare):
        raise ValidationError(
            "Enter a domain such as nhs.net, or *.nhs.uk for every subdomain.", code="invalid_domain"
        )
    return value
