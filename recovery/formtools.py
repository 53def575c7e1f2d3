"""Helpers shared by every form page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

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
