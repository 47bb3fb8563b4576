"""Template helpers for the NL Design System (Utrecht component) markup.

Django already adds `aria-invalid` and `aria-describedby` (`<id>_helptext`, `<id>_error`) to a
bound field's widget; these helpers only add the component classes and the pagination window.
"""

from typing import Any

from django import forms, template
from django.core.paginator import Page
from django.forms.boundfield import BoundField, BoundWidget
from django.utils.safestring import SafeString

from bip.lib import urls

register = template.Library()


@register.simple_tag
def pk_url(name: str, pk: int) -> str:
    """`{% pk_url 'cases:case_detail' case.pk %}`: `{% url %}` for a list's per-row links, with
    the name reversed once (bip/lib/urls.py)."""
    return urls.pk_url(name, pk)


WIDGET_CLASSES = {
    "text": "utrecht-textbox utrecht-textbox--html-input",
    "textarea": "utrecht-textarea utrecht-textarea--html-textarea",
    "select": "utrecht-select utrecht-select--html-select",
    "checkbox": "utrecht-checkbox utrecht-checkbox--html-input utrecht-checkbox--custom",
    "checkboxes": "utrecht-checkbox utrecht-checkbox--html-input utrecht-checkbox--custom",
    "radio": "utrecht-radio-button utrecht-radio-button--html-input",
    "file": "kk-file-input",
    "hidden": "",
}


@register.filter
def widget_kind(field: BoundField) -> str:
    """What `_field.html` must render: text, textarea, select, checkbox, checkboxes, radio,
    file or hidden. Subclass checks, so custom widgets get the look of their base widget."""
    widget = field.field.widget
    if widget.is_hidden:
        return "hidden"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radio"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):  # also SelectMultiple and NullBooleanSelect
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.FileInput):
        return "file"
    return "text"


def _merge_class(existing: str | None, extra: str) -> str:
    return " ".join(part for part in (extra, existing or "") if part)


@register.filter
def utrecht_widget(field: BoundField) -> SafeString:
    """The field's widget rendered with the Utrecht classes for its kind (plus Django's
    aria-invalid / aria-describedby)."""
    kind_class = WIDGET_CLASSES[widget_kind(field)]
    css_class = _merge_class(field.field.widget.attrs.get("class"), kind_class)
    return field.as_widget(attrs={"class": css_class} if css_class else None)


@register.filter
def utrecht_options(field: BoundField) -> list[BoundWidget]:
    """The options of a RadioSelect / CheckboxSelectMultiple, each input with the Utrecht
    classes. Loop over it and render `option.tag`, `option.id_for_label`, `option.choice_label`."""
    widget = field.field.widget
    id_ = widget.attrs.get("id") or field.auto_id
    attrs = field.build_widget_attrs({"id": id_} if id_ else {})
    attrs["class"] = _merge_class(widget.attrs.get("class"), WIDGET_CLASSES[widget_kind(field)])
    return [
        BoundWidget(widget, option, field.form.renderer)
        for option in widget.subwidgets(field.html_name, field.value(), attrs=attrs)
    ]


@register.filter
def field_anchor(field: BoundField) -> str:
    """The id an error-summary link points to: the control, or the first option of a radio or
    checkbox list. Empty for hidden fields and forms without auto_id."""
    if field.is_hidden:
        return ""
    if widget_kind(field) in ("radio", "checkboxes"):
        options = field.subwidgets
        return options[0].id_for_label if options else ""
    return field.id_for_label or ""


@register.filter
def add_attrs(field: BoundField, spec: str) -> SafeString:
    """Render a widget with extra attributes, for the odd control `_field.html` does not fit:
    `{{ form.q|add_attrs:"class=utrecht-textbox utrecht-textbox--html-input;autocomplete=off" }}`.
    A `class` is added to the widget's own classes; other attributes replace."""
    attrs: dict[str, str | bool] = {}
    for item in spec.split(";"):
        name, _, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if name == "class":
            attrs[name] = _merge_class(field.field.widget.attrs.get("class"), value)
        elif name:
            attrs[name] = value
    return field.as_widget(attrs=attrs)


@register.simple_tag
def page_window(page: Page[Any], on_each_side: int = 2) -> list[int | None]:
    """Page numbers to link around the current page; None stands for an ellipsis.

    The first page is always there. The last page is only there when the count is exact: a
    capped count (`paginator.is_capped`) does not know the real last page."""
    paginator = page.paginator
    capped = getattr(paginator, "is_capped", False)
    last = paginator.num_pages
    start = max(1, page.number - on_each_side)
    end = min(last, page.number + on_each_side)
    window: list[int | None] = []
    if start > 1:
        window.append(1)
        if start > 2:
            window.append(None)
    window.extend(range(start, end + 1))
    if end < last:
        if capped or end < last - 1:
            window.append(None)
        if not capped:
            window.append(last)
    return window
