"""The text-area partial points assistive technology at exactly the help and error it shows."""

import re

import pytest
from django import forms
from django.template.loader import render_to_string


class _Form(forms.Form):
    plain = forms.CharField(widget=forms.Textarea, required=True)
    helped = forms.CharField(widget=forms.Textarea, required=True, help_text="Say why.")


def _describedby(form: forms.Form, name: str) -> str | None:
    html = render_to_string("monitoring/_textarea.html", {"field": form[name]})
    match = re.search(r'aria-describedby="([^"]*)"', html)
    return match.group(1) if match else None


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        ({}, "plain", "id_plain-error"),
        ({}, "helped", "id_helped-help id_helped-error"),
        ({"plain": "x", "helped": "y"}, "plain", None),
        ({"plain": "x", "helped": "y"}, "helped", "id_helped-help"),
    ],
)
def test_aria_describedby_names_only_what_is_shown(data, name, expected):
    form = _Form(data=data)
    form.is_valid()
    assert _describedby(form, name) == expected
