"""Forms for quarterly updates, their review, the scheme grid and the quarter lock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from monitoring.figures import QUARTER_FIGURES
from monitoring.models import DmtDecision, MilestoneProgress, PlanUpdate
from monitoring.services import UPDATE_FIELDS, ProgressData, ReviewDecision, update_submission_errors
from recovery.concurrency import NOT_YET_SAVED
from recovery.fields import MoneyFormField
from recovery.formtools import CleanTextMixin, QuickSelect
from recovery.rag import RAG, OnTarget

RAG_CHOICES = [("", "Not rated"), *RAG.choices()]


class PlanUpdateForm(CleanTextMixin, forms.ModelForm):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    on_target = forms.ChoiceField(
        label="On target?",
        choices=[(answer.value, answer.label) for answer in OnTarget],
        widget=forms.RadioSelect,
        required=False,
    )

    class Meta:
        model = PlanUpdate
        fields = list(UPDATE_FIELDS)
        widgets = {
            "narrative": forms.Textarea(attrs={"rows": 6}),
            "milestones_explanation": forms.Textarea(attrs={"rows": 3}),
            "recovery_actions": forms.Textarea(attrs={"rows": 3}),
            "alternative_proposal": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "narrative": "Progress against milestone delivery, to align with the quarterly budget monitoring report.",
        }

    def __init__(
        self,
        *args: Any,
        submitting: bool = False,
        progress: list[Any] | None = None,
        progress_forms: Sequence[tuple[int, MilestoneProgressForm]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.submitting = submitting
        self.progress_forms = list(progress_forms)
        # What is missing for a submission is judged from what was typed, even in a milestone
        # row that is itself invalid, so that every problem is listed at once.
        self.progress = progress or (
            [pform.typed(milestone_id) for milestone_id, pform in self.progress_forms] if self.is_bound else []
        )
        if not self.is_bound:
            self.initial["version"] = self.instance.version if self.instance.pk else NOT_YET_SAVED

    def is_valid_with_progress(self) -> bool:
        """This form and every milestone row valid."""
        progress_valid = all(pform.is_valid() for _, pform in self.progress_forms)
        return self.is_valid() and progress_valid

    def update_fields(self) -> dict[str, Any]:
        """The update's own fields, for services.plan_update_save."""
        return {name: self.cleaned_data.get(name, "") for name in UPDATE_FIELDS}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.submitting:
            for name, message in update_submission_errors(values=cleaned, progress=self.progress).items():
                if name in self.fields:  # a milestone row reports its own problems
                    self.add_error(name, message)
        return cleaned

    def _post_clean(self) -> None:
        # The service validates and saves; the form only checks what was typed.
        pass


class MilestoneProgressForm(CleanTextMixin, forms.Form):
    status = forms.ChoiceField(choices=MilestoneProgress.Status.choices, label="Milestone progress")
    revised_due_text = forms.CharField(label="Milestone revised date", required=False, max_length=100)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (
            cleaned.get("status") == MilestoneProgress.Status.SLIPPED
            and not cleaned.get("revised_due_text", "").strip()
        ):
            self.add_error("revised_due_text", "Give the revised date for a milestone that has slipped.")
        return cleaned

    def typed(self, milestone_id: int) -> ProgressData:
        """The row as typed, valid or not (an unchosen status is on track)."""
        return ProgressData(
            milestone_id=milestone_id,
            status=str(self.data.get(self.add_prefix("status")) or MilestoneProgress.Status.ON_TRACK),
            revised_due_text=str(self.data.get(self.add_prefix("revised_due_text")) or ""),
        )


class ReviewForm(CleanTextMixin, forms.Form):
    # The update's version the form was opened at (optimistic locking; recovery.concurrency),
    # carried through the confirmation page.
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        choices=[
            ("approve", "Approve"),
            ("return", "Return to the manager with comments"),
            ("set_rag", "Change the plan's RAG only"),
        ],
        widget=forms.RadioSelect,
    )
    rag = forms.ChoiceField(label="Plan RAG this quarter", choices=RAG_CHOICES, required=False)
    rag_reason = forms.CharField(
        label="Reason for the RAG",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when the status worsens or skips a level.",
    )
    comments = forms.CharField(label="Comments", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def decision_value(self) -> ReviewDecision | None:
        """The decision, or None when the form cannot be read (the service refuses it)."""
        return ReviewDecision(self.cleaned_data["decision"]) if self.is_valid() else None

    def rag_value(self) -> RAG | None:
        return RAG(self.cleaned_data["rag"]) if self.is_valid() and self.cleaned_data["rag"] else None


class SchemeQuarterForm(CleanTextMixin, forms.Form):
    """One row of the quarter's grid: figures in pounds, RAG and commentary."""

    # A money field per figure (monitoring.figures.QUARTER_FIGURES) is added in __init__, first.
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    rag = forms.ChoiceField(label="RAG", choices=RAG_CHOICES, required=False)
    rag_reason = forms.CharField(
        label="Reason for a RAG change",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when the status worsens or skips a level.",
    )
    commentary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        money = {
            figure.name: MoneyFormField(label=f"{figure.label} (£)", required=False, help_text=figure.description)
            for figure in QUARTER_FIGURES
        }
        self.fields = {"version": self.fields.pop("version"), **money, **self.fields}

    def rag_value(self) -> RAG | None:
        value = self.cleaned_data.get("rag")
        return RAG(value) if value else None

    def figure_fields(self) -> dict[str, Any]:
        return {
            name: value for name, value in self.cleaned_data.items() if name not in ("rag", "rag_reason", "version")
        }


class DmtDecisionForm(CleanTextMixin, forms.Form):
    """DMT's decision on a RED update's alternative proposal."""

    # Named as the update's fields, so that the service's errors show beside them.
    dmt_decision = forms.ChoiceField(label="DMT's decision", choices=DmtDecision.choices, widget=forms.RadioSelect)
    dmt_comments = forms.CharField(
        label="Comments for the manager",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Needed when the proposal is rejected (why) or more information is needed (what).",
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def decision_value(self) -> DmtDecision:
        return DmtDecision(self.cleaned_data["dmt_decision"])


class ReopenForm(CleanTextMixin, forms.Form):
    reason = forms.CharField(
        label="Why the quarter is being reopened",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded with your name and the time.",
    )


class GridFilterForm(forms.Form):
    directorate = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="Directorate", widget=QuickSelect
    )
    service_area = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="Service area", widget=QuickSelect
    )
    rag = forms.ChoiceField(choices=[("", "All"), *RAG.choices()], required=False, label="RAG", widget=QuickSelect)

    def __init__(
        self, *args: Any, directorates: list[tuple[int, str]], areas: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["directorate"].choices = [("", "All directorates"), *directorates]  # type: ignore[attr-defined]
        self.fields["service_area"].choices = [("", "All service areas"), *areas]  # type: ignore[attr-defined]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"

    def criteria(self) -> dict[str, Any]:
        """The filters chosen, as selectors.grid_schemes takes them (none when the form is unbound
        or invalid)."""
        if not (self.is_bound and self.is_valid()):
            return {}
        return {
            "directorate": self.cleaned_data.get("directorate"),
            "service_area": self.cleaned_data.get("service_area"),
            "rag": RAG(self.cleaned_data["rag"]) if self.cleaned_data.get("rag") else None,
        }


class CommentaryForm(CleanTextMixin, forms.Form):
    """One of the quarter's summaries (finance). The page posts which one (``report``) and the
    version it was opened at beside it."""

    text = forms.CharField(
        label="Summary",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Leave a blank line between paragraphs. Publish to show it in the reports; a draft stays private.",
    )
