"""The upload forms of the tracker import and the Word plan import."""

from __future__ import annotations

from typing import Any

from django import forms

from monitoring.tracker import MAX_BYTES as TRACKER_MAX_BYTES
from plans.models import ServiceArea
from plans.selectors import service_areas_for_new_plan
from plans.word_import import MAX_BYTES as WORD_MAX_BYTES
from recovery.periods import FinancialYear


class TrackerUploadForm(forms.Form):
    file = forms.FileField(
        label="Tracker workbook (.xlsx)",
        help_text=f"An Excel workbook in the tracker format, up to {TRACKER_MAX_BYTES // (1024 * 1024)} MB.",
    )


class PlanUploadForm(forms.Form):
    service_area = forms.ModelChoiceField(ServiceArea.objects.none(), empty_label=None)
    year = forms.CharField(
        label="Financial year (only if the form does not say)",
        required=False,
        max_length=9,
        help_text="The forms' budget labels normally say (“23/24 Budget £'000”). Otherwise give it, e.g. 2023/24.",
    )
    file = forms.FileField(
        label="Word plan form (.docx) or a .zip of them",
        help_text=f"Up to {WORD_MAX_BYTES // (1024 * 1024)} MB. Macro-enabled (.docm) and password-protected files are "
        "refused.",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["service_area"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = service_areas_for_new_plan(user=user)
        for name in ("service_area", "year"):
            self.fields[name].widget.attrs["class"] = "form-select" if name == "service_area" else "form-control"

    def clean_year(self) -> FinancialYear | None:
        text = self.cleaned_data.get("year", "").strip()
        if not text:
            return None
        try:
            return FinancialYear.parse(text)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
