"""`{% reader_part "template.html" %}`: a part of the page that is the reader's own.

It renders the template with the page's context, as `{% include %}` does. While a page is made to
be stored for every reader of its kind (`shell_marks` in the context; forum/cache/shells.py), it
leaves a mark instead, and the part is rendered per request when the stored page is served.
"""

from django import template

PART_PREFIX = "cgpartmark:"
PART_SUFFIX = ":endpart"

register = template.Library()


@register.simple_tag(takes_context=True)
def reader_part(context, template_name: str):
    if context.get("shell_marks"):
        return f"{PART_PREFIX}{template_name}{PART_SUFFIX}"  # letters, "/", "." and "_": escaping leaves it as is
    part = context.template.engine.get_template(template_name)
    with context.push():
        return part.render(context)
