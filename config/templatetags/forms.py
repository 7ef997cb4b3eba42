"""Render Django form widgets with NHS.UK classes and the right ARIA references."""

from django import template

register = template.Library()

_WIDGET_CLASSES = {
    "textarea": "nhsuk-textarea",
    "select": "nhsuk-select",
    "checkbox": "nhsuk-checkboxes__input",
    "clearablefile": "nhsuk-file-upload",
    "file": "nhsuk-file-upload",
}
_ERROR_CLASSES = {
    "textarea": "nhsuk-textarea--error",
    "select": "nhsuk-select--error",
}


@register.filter
def widget_type(bound_field) -> str:
    return bound_field.field.widget.__class__.__name__.lower().removesuffix("input").removesuffix("widget")


@register.simple_tag
def nhsuk_widget(bound_field):
    kind = widget_type(bound_field)
    css = _WIDGET_CLASSES.get(kind, "nhsuk-input")
    attrs = {}
    existing = bound_field.field.widget.attrs.get("class", "")
    classes = [css, existing]
    if bound_field.errors:
        classes.append(_ERROR_CLASSES.get(kind, "nhsuk-input--error"))
    attrs["class"] = " ".join(c for c in classes if c)
    described = []
    if bound_field.help_text:
        described.append(f"{bound_field.id_for_label}-hint")
    if bound_field.errors:
        described.append(f"{bound_field.id_for_label}-error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return bound_field.as_widget(attrs=attrs)
