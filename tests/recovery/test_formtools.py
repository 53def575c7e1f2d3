"""The quick <select> draws the same HTML as Django's own Select widget."""

from __future__ import annotations

import re

import pytest
from django import forms

from recovery.formtools import QuickSelect

CHOICES = [("", "All"), (1, "Adults & <Health>"), (2, 'Children "first"'), (30, "Place")]


def form_class(widget: type[forms.Select], required: bool = False) -> type[forms.Form]:
    class Filter(forms.Form):
        area = forms.TypedChoiceField(choices=CHOICES, coerce=int, required=required, empty_value=None, widget=widget)

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["area"].widget.attrs["class"] = "form-select"

    return Filter


@pytest.mark.parametrize("data", [None, {}, {"area": "2"}, {"area": "30"}, {"area": "nonsense"}, {"area": ""}])
@pytest.mark.parametrize("required", [False, True])
def test_quick_select_renders_as_djangos_select(data, required):
    django_form = form_class(forms.Select, required)(data)
    quick_form = form_class(QuickSelect, required)(data)
    assert str(quick_form["area"]) == re.sub(r">\s+<", "><", str(django_form["area"]))


def test_quick_select_escapes_labels_and_values():
    html = str(form_class(QuickSelect)({"area": "1"})["area"])
    assert "Adults &amp; &lt;Health&gt;" in html
    assert "Children &quot;first&quot;" in html
    assert '<option value="1" selected>' in html
