"""The Deficit Recovery Plan form, laid out like the seed form, and its milestone rows."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Fieldset, Layout
from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from plans.models import DeficitRecoveryPlan, ServiceArea
from plans.services import PLAN_FIELDS, MilestoneData, plan_submission_errors
from recovery.fields import MoneyFormField
from recovery.formtools import CleanTextMixin
from recovery.periods import FinancialYear

# The guidance each section of the seed form shows, word for word, shown as help on the form.
CONTEXT_GUIDANCE = (
    "Explain the context behind this pressure and what has caused it. "
    "Since when has the budget been in deficit (provide the year, e.g. 2020/21)? "
    "Provide details of activity levels and the key cost/income drivers and how these have "
    "changed (this is needed for each year including the year prior to when the budget was "
    "first in deficit)."
)
ACTIONS_GUIDANCE = (
    "What action(s) can be taken to keep spend in line with approved budget? "
    "What needs to be done? If there is more than one option explain each option in detail. "
    "Are there any barriers or factors beyond your control that will affect your ability to "
    "recover the deficit? Explain how the cost/income drivers can be managed."
)
MILESTONES_GUIDANCE = (
    "List the key milestones required to deliver the budget recovery, the estimated amount "
    "to be delivered and the estimated date for each."
)
TABLE_HINT = (
    "A small table can be written as rows with cells between bars, e.g. "
    "“| Position | Agency weekly | LBC weekly |” — the first row is the header."
)
FIGURE_NOTE_HELP = "Optional: anything the figure alone does not say."


class PlanForm(CleanTextMixin, forms.ModelForm):
    """Create or edit a plan. On create it also asks which service area and year."""

    # The version the form was opened at (optimistic locking; see recovery.concurrency).
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    previous_year_budget = MoneyFormField(unit="thousands", required=False, label="Previous year budget £'000")
    previous_year_outturn = MoneyFormField(unit="thousands", required=False, label="Previous year outturn £'000")
    current_year_budget = MoneyFormField(unit="thousands", required=False, label="Current year budget £'000")

    class Meta:
        model = DeficitRecoveryPlan
        fields = ["service_area", "financial_year", *PLAN_FIELDS]
        widgets = {
            "cost_centres": forms.Textarea(attrs={"rows": 2}),
            "previous_year_budget_note": forms.Textarea(attrs={"rows": 2}),
            "previous_year_outturn_note": forms.Textarea(attrs={"rows": 2}),
            "current_year_budget_note": forms.Textarea(attrs={"rows": 2}),
            "pressure_note": forms.Textarea(attrs={"rows": 3}),
            "context": forms.Textarea(attrs={"rows": 10}),
            "actions": forms.Textarea(attrs={"rows": 14}),
        }
        labels = {
            "previous_year_budget_note": "Note on the previous year budget",
            "previous_year_outturn_note": "Note on the previous year outturn",
            "current_year_budget_note": "Note on the current year budget",
            "pressure_note": "Note on the pressure",
            "context": "Context behind the pressure",
            "actions": "Actions to keep spend in line with budget",
        }
        help_texts = {
            "context": CONTEXT_GUIDANCE + " " + TABLE_HINT,
            "actions": ACTIONS_GUIDANCE + " " + TABLE_HINT,
            "previous_year_budget_note": FIGURE_NOTE_HELP,
            "previous_year_outturn_note": FIGURE_NOTE_HELP,
            "current_year_budget_note": FIGURE_NOTE_HELP,
        }

    def __init__(
        self,
        *args: Any,
        service_areas: QuerySet[ServiceArea] | None = None,
        submitting: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.submitting = submitting
        self.creating = self.instance.pk is None
        if not self.creating and not self.is_bound:
            self.initial["version"] = self.instance.version
        if self.creating:
            if not self.is_bound and not self.initial.get("financial_year"):
                self.initial["financial_year"] = str(FinancialYear.for_date(timezone.localdate()))
            area_field = self.fields["service_area"]
            assert isinstance(area_field, forms.ModelChoiceField)
            area_field.queryset = service_areas if service_areas is not None else ServiceArea.objects.none()
            area_field.empty_label = "Choose a service area"
        else:
            del self.fields["service_area"]
            del self.fields["financial_year"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.form_show_errors = True
        header: list[Any] = []
        if self.creating:
            header = [
                Div(
                    Div("service_area", css_class="col-md-8"),
                    Div("financial_year", css_class="col-md-4"),
                    css_class="row",
                )
            ]
        self.helper.layout = Layout(
            "version",
            Fieldset(
                "The plan",
                *header,
                Div(
                    Div("tracker_ref", css_class="col-md-4"),
                    Div("service_director", css_class="col-md-4"),
                    Div("service_manager", css_class="col-md-4"),
                    css_class="row",
                ),
                "cost_centres",
            ),
            Fieldset(
                "Budget and pressure (£'000)",
                HTML(
                    '<p class="form-text mt-0">Figures in thousands of pounds: type 18,473 for £18.473m, '
                    "and (2) or -2 for minus £2,000. The pressure is worked out for you "
                    "(previous year outturn − previous year budget).</p>"
                ),
                *[
                    Div(
                        Div(Field(figure), css_class="col-md-4"),
                        Div(Field(f"{figure}_note"), css_class="col-md-8"),
                        css_class="row",
                    )
                    for figure in ("previous_year_budget", "previous_year_outturn", "current_year_budget")
                ],
                HTML('{% include "plans/_pressure_preview.html" %}'),
                "pressure_note",
            ),
            Fieldset(
                "Context",
                Div(Div("deficit_since", css_class="col-md-4"), css_class="row"),
                "context",
            ),
            Fieldset("Actions", "actions"),
        )

    def clean_tracker_ref(self) -> str:
        return str(self.cleaned_data.get("tracker_ref") or "").strip()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.submitting:
            for field, message in plan_submission_errors(values=cleaned).items():
                if field not in self.errors:
                    self.add_error(field, message)
        return cleaned

    def plan_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in PLAN_FIELDS if name in self.cleaned_data}

    def _post_clean(self) -> None:
        # The service validates the model (and the tracker ref) when it saves; validating the
        # half-built instance here would report fields the form does not own (e.g. the year).
        pass


class MilestoneForm(CleanTextMixin, forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    details = forms.CharField(label="Milestone details", widget=forms.Textarea(attrs={"rows": 2}))
    amount = MoneyFormField(label="Amount (£)", required=False, help_text="In pounds, e.g. 80,000")
    per_year = forms.BooleanField(label="Per year", required=False, help_text="A yearly saving")
    due_text = forms.CharField(
        label="Date",
        required=False,
        max_length=100,
        help_text="e.g. 31/12/2023, December 2023 or 2023/24",
    )


class BaseMilestoneFormSet(forms.BaseFormSet):
    def milestones(self) -> list[MilestoneData]:
        """The rows to keep, in order, as the service takes them."""
        result = []
        for form in self.forms:
            if not form.has_changed() and not (form.cleaned_data or {}).get("id"):
                continue
            if self.can_delete and self._should_delete_form(form):  # type: ignore[attr-defined]
                continue
            data = form.cleaned_data
            if not data.get("details"):
                continue
            result.append(
                MilestoneData(
                    id=data.get("id"),
                    details=data["details"],
                    amount=data.get("amount"),
                    per_year=bool(data.get("per_year")),
                    due_text=data.get("due_text") or "",
                )
            )
        return result


MilestoneFormSet = forms.formset_factory(
    MilestoneForm, formset=BaseMilestoneFormSet, extra=1, can_delete=True, max_num=50, validate_max=True
)


def milestone_initial(plan: DeficitRecoveryPlan) -> list[dict[str, Any]]:
    return [
        {
            "id": milestone.pk,
            "details": milestone.details,
            "amount": milestone.amount,
            "per_year": milestone.per_year,
            "due_text": milestone.due_text,
        }
        for milestone in plan.milestones.all()
    ]


class AttachmentForm(CleanTextMixin, forms.Form):
    file = forms.FileField(
        label="File",
        help_text="PNG, JPEG, GIF, PDF, XLSX or DOCX, up to 10 MB. Only people who can see this plan can open it.",
    )
    description = forms.CharField(required=False, max_length=255)
