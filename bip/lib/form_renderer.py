"""The form renderer (settings.FORM_RENDERER): Django's widget templates, the common ones in Python.

Django renders every widget through its templates: an <input> is three template renders
(text.html includes input.html includes attrs.html), and a <select> one more per <option>.
Profiled on the case list, the filter widgets took a fifth of the page. This renderer writes
the same HTML in Python for the widgets a page is made of: the <input> family (text, number,
date, hidden, checkbox, …), the options of radio buttons and checkboxes, <select> and
<textarea>. Any other template (and any <select> whose options use another template) goes
through Django's templates as before.

The output is Django's, byte for byte: tests/bip/lib/test_form_renderer.py renders every widget
kind both ways, with awkward values, and compares. If an app ever overrides one of these
widget templates, that test fails, and the override must be added here or the name removed
from `PYTHON_WIDGETS`.
"""

from collections.abc import Callable
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData

WIDGETS = "django/forms/widgets/"
# Read only: render_value_in_context reads its autoescape, use_l10n and use_tz (all defaults).
_CONTEXT = Context()


def _text(value: Any) -> str:
    """`{{ value }}` in a template: localised (numbers, dates) and HTML-escaped unless safe."""
    return render_value_in_context(value, _CONTEXT)


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`: str(value), escaped unless the value was safe."""
    text = str(value)  # "%s" % value, the filter's own, is str() for any value
    return text if isinstance(value, SafeData) else conditional_escape(text)


def render_attrs(attrs: dict[str, Any]) -> str:
    """attrs.html: ` name="value"`, a bare ` name` for True, nothing for False (escaped)."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{_formatted(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict[str, Any]) -> str:
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value is not None else ""
    return (
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{shown}'
        f"{render_attrs(widget['attrs'])}>"
    )


def _input_option(widget: dict[str, Any]) -> str:
    """input_option.html: a radio button or checkbox of a list, its label wrapped around it
    when `wrap_label` (BoundWidget.tag() leaves it off)."""
    if not widget.get("wrap_label"):
        return _input(widget)
    target = widget["attrs"].get("id")
    opening = f'<label for="{_text(target)}">' if target else "<label>"
    return f"{opening}{_input(widget)} {_text(widget['label'])}</label>"


def _option(widget: dict[str, Any]) -> str:
    return (
        f'<option value="{_formatted(widget["value"])}"{render_attrs(widget["attrs"])}>'
        f"{_text(widget['label'])}</option>"
    )


def _select(widget: dict[str, Any]) -> str | None:
    parts = [f'<select name="{_text(widget["name"])}"{render_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            if option["template_name"] != WIDGETS + "select_option.html":
                return None
            # select_option.html ends in a newline, which the include keeps.
            parts.append(f"\n  {_option(option)}\n")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: dict[str, Any]) -> str:
    value = widget["value"]
    return (
        f'<textarea name="{_text(widget["name"])}"{render_attrs(widget["attrs"])}>\n'
        f"{_text(value) if value else ''}</textarea>"
    )


# The widget templates rendered in Python. Each of the input ones is, in Django, only
# `{% include "django/forms/widgets/input.html" %}`.
PYTHON_WIDGETS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    WIDGETS + name: _input
    for name in (
        "input.html",
        "text.html",
        "number.html",
        "email.html",
        "url.html",
        "password.html",
        "hidden.html",
        "date.html",
        "datetime.html",
        "time.html",
        "search.html",
        "tel.html",
        "color.html",
        "checkbox.html",
        "file.html",
    )
} | {
    WIDGETS + "input_option.html": _input_option,
    WIDGETS + "radio_option.html": _input_option,
    WIDGETS + "checkbox_option.html": _input_option,
    WIDGETS + "select_option.html": _option,
    WIDGETS + "select.html": _select,
    WIDGETS + "textarea.html": _textarea,
}


class FastWidgetRenderer(DjangoTemplates):
    """Django's template renderer, with the widgets of `PYTHON_WIDGETS` written in Python."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        render = PYTHON_WIDGETS.get(template_name)
        html = render(context["widget"]) if render is not None else None
        if html is None:
            return super().render(template_name, context, request)
        return html.strip()
