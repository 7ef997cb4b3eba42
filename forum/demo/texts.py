"""The demo comments' bodies: assembled from the sentence pool and rendered once each."""

from __future__ import annotations

import random
from dataclasses import dataclass
from types import SimpleNamespace

from accounts.validators import name_key
from config.markdown import render_markdown
from forum.demo import content
from forum.demo.plan import TOKEN
from forum.rendering import link_mentions


@dataclass
class Template:
    markdown: str
    html: str
    edited_markdown: str = ""
    edited_html: str = ""
    mention_markdown: str = ""
    mention_html: str = ""


def build_templates(rng: random.Random, count: int) -> list[Template]:
    """`count` comment bodies assembled from the sentence pool, each rendered once."""
    templates = []
    for _ in range(count):
        paragraphs = []
        for _p in range(rng.choice([1, 1, 2, 2, 3])):
            sentences = rng.sample(content.SENTENCES, rng.choice([1, 2, 2, 3]))
            paragraphs.append(" ".join(sentences))
        extra = rng.random()
        if extra < 0.18:
            items = rng.sample(content.LIST_ITEMS, rng.choice([2, 3, 4]))
            paragraphs.append("What would help most:\n\n" + "\n".join(f"- {item}" for item in items))
        elif extra < 0.30:
            words = paragraphs[0].split()
            cut = rng.randrange(1, max(2, len(words) - 2))
            words[cut] = f"**{words[cut]}**"
            paragraphs[0] = " ".join(words)
        elif extra < 0.36:
            label, url = rng.choice(content.LINKS)
            paragraphs.append(f"There is more in [{label}]({url}).")
        if rng.random() < 0.35:
            paragraphs.append(rng.choice(content.QUESTIONS))
        markdown = "\n\n".join(paragraphs)
        edited = f"{markdown}\n\n{content.EDIT_NOTE}"
        mention = f"{TOKEN} {markdown}"
        templates.append(
            Template(
                markdown=markdown,
                html=render_markdown(markdown),
                edited_markdown=edited,
                edited_html=render_markdown(edited),
                mention_markdown=mention,
                mention_html=render_markdown(mention),
            )
        )
    return templates


def mention_link_pattern() -> str:
    """The HTML the renderer makes of a mention, with NAME and URL as placeholders."""
    sample = "Qqname Qqname"
    stub = SimpleNamespace(display_name=sample, get_absolute_url=lambda: "/QQURL/")
    html = link_mentions(render_markdown(TOKEN.replace("MENTIONTOKEN", sample)), {name_key(sample): stub})
    start, end = html.index("<a "), html.index("</a>") + len("</a>")
    return html[start:end].replace("Qqname Qqname", "{name}").replace("/QQURL/", "{url}")
