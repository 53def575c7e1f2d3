"""The reports' filter form: directorate, portfolio and service area, read into ReportFilters."""

from __future__ import annotations

from typing import Any

from django import forms

from plans.models import Directorate, Portfolio, ServiceArea
from recovery.formtools import QuickSelect
from recovery.reporting import selectors


class ReportFilterForm(forms.Form):
    directorate = forms.ModelChoiceField(
        Directorate.objects.all(), required=False, empty_label="All directorates", widget=QuickSelect
    )
    portfolio = forms.ModelChoiceField(
        Portfolio.objects.all(), required=False, empty_label="All portfolios", widget=QuickSelect
    )
    service_area = forms.ModelChoiceField(
        ServiceArea.objects.all(), required=False, empty_label="All service areas", widget=QuickSelect
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"

    def filters(self) -> selectors.ReportFilters:
        if not self.is_valid():
            return selectors.ReportFilters()
        data = self.cleaned_data
        return selectors.ReportFilters(
            directorate=data["directorate"].pk if data.get("directorate") else None,
            portfolio=data["portfolio"].pk if data.get("portfolio") else None,
            service_area=data["service_area"].pk if data.get("service_area") else None,
        )
