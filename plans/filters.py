"""Filters for the plan list (django-filter)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from plans.models import DeficitRecoveryPlan, Directorate, ServiceArea
from recovery.fields import financial_year_choices
from recovery.periods import FinancialYear


class PlanFilter(django_filters.FilterSet):
    scope = django_filters.ChoiceFilter(
        label="Show",
        choices=[("mine", "My plans"), ("all", "All plans I can see")],
        method="filter_scope",
        empty_label=None,
    )
    directorate = django_filters.ModelChoiceFilter(
        field_name="service_area__portfolio__directorate",
        queryset=Directorate.objects.all(),
        label="Directorate",
        empty_label="All directorates",
    )
    service_area = django_filters.ModelChoiceFilter(
        queryset=ServiceArea.objects.select_related("portfolio"),
        empty_label="All service areas",
    )
    financial_year = django_filters.ChoiceFilter(
        label="Financial year",
        choices=financial_year_choices,
        method="filter_year",
        empty_label="All years",
    )
    status = django_filters.ChoiceFilter(choices=DeficitRecoveryPlan.Status.choices, empty_label="Any status")

    class Meta:
        model = DeficitRecoveryPlan
        fields = ["scope", "directorate", "service_area", "financial_year", "status"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            field.widget.attrs.setdefault("class", "form-select")

    def filter_scope(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if value == "mine":
            return queryset.filter(pk__in=DeficitRecoveryPlan.objects.managed_by(self.request.user).values("pk"))
        return queryset

    def filter_year(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(financial_year=FinancialYear.parse(value))
