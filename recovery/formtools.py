"""Helpers shared by every form page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from recovery.concurrency import MISSING_VERSION
from recovery.text import clean_value


def missing_version(request: HttpRequest) -> HttpResponse:
    """400 for a save posted without the version its form was opened at (optimistic locking):
    without it the check that protects someone else's work would be skipped."""
    return render(request, "400.html", {"message": MISSING_VERSION}, status=400)


def add_validation_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: beside the field it names, else at the top."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def _without_control_characters(data: Any) -> Any:
    """The submitted data with control characters cleaned out of every value (a copy, only when
    there is something to clean)."""
    if isinstance(data, QueryDict):
        if not any(clean_value(value) != value for _, values in data.lists() for value in values):
            return data
        cleaned = data.copy()
        for key, values in data.lists():
            cleaned.setlist(key, [clean_value(value) for value in values])
        return cleaned
    if isinstance(data, dict):
        return {key: clean_value(value) for key, value in data.items()}
    return data


class CleanTextMixin:
    data: Any
    is_bound: bool
    """For every form people type into: control characters pasted with the text (Word's
    Shift+Enter is a vertical tab) are cleaned out before validation (recovery.text.clean_text),
    so a length is checked on what will be stored and the form shows back what was kept."""

    def full_clean(self) -> None:
        if self.is_bound:
            self.data = _without_control_characters(self.data)
        super().full_clean()  # type: ignore[misc]


class QuickSelect(forms.Select):
    """A <select> drawn in Python, not one template per option: filter lists of a county's
    hundreds of service areas cost more than the rest of the page otherwise. Same HTML as
    Django's Select (attributes, selected option), flat choices only."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        chosen = {str(item) for item in self.format_value(value)}
        final = {"name": name, **self.build_attrs(self.attrs, attrs)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option_value, mark_safe(" selected") if str(option_value) in chosen else "", label)
                for option_value, label in self.choices
                for option_value in ("" if option_value is None else option_value,)
            ),
        )
        attributes = format_html_join(
            "",
            "{}",
            (
                (format_html(" {}", key) if value is True else format_html(' {}="{}"', key, value),)
                for key, value in final.items()
                if value is not False and value is not None
            ),
        )
        return format_html("<select{}>{}</select>", attributes, options)
