"""Page furniture every app's templates share: the error summary, the RAG badge (colour and word)
and a narrative rendered safely. Numbers are in numbers.py."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from recovery.narrative import render_narrative
from recovery.rag import RAG

register = template.Library()


@register.inclusion_tag("partials/error_summary.html")
def error_summary(*forms_and_formsets: Any) -> dict[str, Any]:
    """An error summary listing every error of the given forms and formsets, each linking to its field."""
    items: list[Any] = []
    for item in forms_and_formsets:
        items.extend(item if isinstance(item, list | tuple) else [item])
    forms = [item for item in items if item is not None and not hasattr(item, "management_form")]
    formsets = [item for item in items if item is not None and hasattr(item, "management_form")]
    has_errors = any(form.errors for form in forms) or any(
        formset.non_form_errors() or any(formset.errors) for formset in formsets if formset.is_bound
    )
    return {"forms": forms, "formsets": formsets, "has_errors": has_errors}


_NOT_RATED = mark_safe('<span class="badge rag rag-none">Not rated</span>')
_BADGES = {
    (rag, small): format_html(
        '<span class="badge rag rag-{}{}">{}</span>', rag.value.lower(), " rag-small" if small else "", rag.word
    )
    for rag in RAG
    for small in (False, True)
}


@register.simple_tag
def rag_badge(value: Any, *, small: bool = False) -> str:
    """A RAG badge: the colour and, always, the word. A simple tag, not a template: it is drawn
    twice on every row of the scheme grid (each of the eight badges is made once)."""
    rag = None
    if value:
        try:
            rag = value if isinstance(value, RAG) else RAG.parse(str(value))
        except ValueError:
            rag = None
    if rag is None:
        return _NOT_RATED
    return _BADGES[rag, bool(small)]


@register.filter
def narrative(text: str | None) -> SafeString:
    """A narrative as HTML: its bullets and tables kept, everything else escaped."""
    return render_narrative(text)
