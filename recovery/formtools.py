"""Helpers shared by every form page."""

from __future__ import annotations

import html
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from recovery.concurrency import MISSING_VERSION, ConcurrentEdit
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


def _lines(text: str) -> str:
    """Text with its line endings as line feeds and no space around it: what a reader sees."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


class CleanTextMixin:
    """For every form people type into:

    - control characters pasted with the text (Word's Shift+Enter is a vertical tab) are cleaned
      out before validation (recovery.text.clean_text), so a length is checked on what will be
      stored and the form shows back what was kept;
    - text the user did not change is kept exactly as stored. Browsers send a text area's line
      breaks as CR LF and Django strips the ends, so saving a form unchanged used to rewrite
      every narrative imported with LF line endings (or ending in a line break); a field whose
      text differs from the stored text only in line endings or surrounding space is left as it
      was, and new text is stored with LF line endings.
    """

    data: Any
    is_bound: bool
    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def full_clean(self) -> None:
        if self.is_bound:
            self.data = _without_control_characters(self.data)
        super().full_clean()  # type: ignore[misc]

    def _clean_fields(self) -> None:
        super()._clean_fields()  # type: ignore[misc]
        for name, value in list(self.cleaned_data.items()):
            if not isinstance(value, str) or name not in self.fields:
                continue
            initial = self.get_initial_for_field(self.fields[name], name)  # type: ignore[attr-defined]
            if isinstance(initial, str) and _lines(initial) == _lines(value):
                self.cleaned_data[name] = initial
            elif "\r" in value:
                self.cleaned_data[name] = value.replace("\r\n", "\n").replace("\r", "\n")


def _escaped(value: Any) -> str:
    """django.utils.html.conditional_escape without its lazy-string wrapper."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


class QuickSelect(forms.Select):
    """A <select> drawn in Python, not one template per option: filter lists of a county's
    hundreds of service areas cost more than the rest of the page otherwise. Same HTML as
    Django's Select (attributes, selected option), flat choices only."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        chosen = {str(item) for item in self.format_value(value)}
        final = {"name": name, **self.build_attrs(self.attrs, attrs)}
        # Plain string formatting, each value escaped as format_html would (a thousand options at
        # a county's size: format_html's own cost was most of the list's).
        options = mark_safe(  # noqa: S308 - every value is escaped
            "".join(
                f'<option value="{_escaped(option_value)}"{" selected" if str(option_value) in chosen else ""}>'
                f"{_escaped(label)}</option>"
                for option_value, label in self.choices
                for option_value in ("" if option_value is None else option_value,)
            )
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


def changed_since(error: ConcurrentEdit, what: str, page: str = "the confirmation page") -> str:
    """The message for an action refused because the record moved on after ``page`` was opened:
    nothing was done, and the record is shown again as it is now."""
    who = ", ".join(sorted({change.who for change in error.changes})) or "someone else"
    return f"{who} changed {what} after you opened {page}, so nothing was done. Check it again below."


class AdminTextForm(CleanTextMixin, forms.ModelForm):
    """The Django admin's form for our models: the same text cleaning as the app's forms, and
    text nobody changed saved exactly as it was (an admin saving one field used to rewrite the
    line endings of every narrative on the page)."""
