"""Model and form fields that carry the domain's own types: financial years, quarters and money.
Shared by plans/ and monitoring/ (this package sits below both)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from recovery.money import THOUSAND, MoneyError, parse_money, plain
from recovery.periods import FinancialYear, Quarter


def money_field(verbose_name: str, **kwargs: object) -> models.DecimalField:
    """A money amount in pounds (nullable: blank on the form means not yet given)."""
    return models.DecimalField(
        verbose_name,
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        **kwargs,  # type: ignore[arg-type]
    )


class FinancialYearField(models.Field):
    """A financial year, stored as the calendar year it starts in (2023 for 2023/24).

    The column is a small integer; the Python value is always a FinancialYear, so integer
    range validators (which would compare a FinancialYear with an int) do not apply.
    """

    description = "Financial year (stored as its start year)"

    def get_internal_type(self) -> str:
        return "PositiveSmallIntegerField"

    def from_db_value(self, value: int | None, expression: Any, connection: Any) -> FinancialYear | None:
        return None if value is None else FinancialYear(value)

    def to_python(self, value: Any) -> FinancialYear | None:
        if value is None or value == "":
            return None
        try:
            return FinancialYear.parse(value)
        except ValueError as error:
            raise ValidationError(str(error), code="invalid") from error

    def get_prep_value(self, value: Any) -> int | None:
        if value is None or value == "":
            return None
        return FinancialYear.parse(value).start_year

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        return "" if value is None else str(value)

    def formfield(self, **kwargs: Any) -> forms.Field:
        defaults: dict[str, Any] = {
            "form_class": FinancialYearFormField,
            "required": not self.blank,
            "label": kwargs.get("label", self.verbose_name.capitalize()),
            "help_text": self.help_text,
        }
        defaults.update(kwargs)
        form_class = defaults.pop("form_class")
        for unused in ("max_value", "min_value", "choices_form_class", "coerce", "empty_value"):
            defaults.pop(unused, None)
        return form_class(**defaults)


def financial_year_choices(*, first: int = 1990, ahead: int = 2) -> list[tuple[str, str]]:
    """Every financial year from ``first`` to ``ahead`` years after the current one, newest first."""
    current = FinancialYear.for_date(timezone.localdate()).start_year
    return [(str(FinancialYear(y)), str(FinancialYear(y))) for y in range(current + ahead, first - 1, -1)]


class FinancialYearFormField(forms.TypedChoiceField):
    """A select of financial years (``2023/24``) that cleans to a FinancialYear."""

    def __init__(self, *, required: bool = True, **kwargs: Any) -> None:
        kwargs.pop("max_length", None)
        choices = financial_year_choices()
        if not required:
            choices = [("", "—"), *choices]
        super().__init__(
            choices=choices,
            coerce=FinancialYear.parse,
            empty_value=None,
            required=required,
            **kwargs,
        )

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            value = FinancialYear(value)
        if isinstance(value, FinancialYear):
            label = str(value)
            # A year outside the offered range (an old plan) stays selectable, so a save keeps it.
            offered = cast(list[tuple[str, str]], list(self.choices))  # type: ignore[arg-type]
            if not any(choice == label for choice, _ in offered):
                self.choices = [*offered, (label, label)]
            return label
        return value

    def valid_value(self, value: Any) -> bool:
        # Any well-formed year is acceptable, including ones outside the offered range
        # (an imported 2012/13 plan stays editable).
        try:
            FinancialYear.parse(value)
        except ValueError:
            return False
        return True

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return ""
        return str(value)

    def has_changed(self, initial: Any, data: Any) -> bool:
        return bool(self.prepare_value(initial) != self.prepare_value(data))


class MoneyInput(forms.TextInput):
    """A text input for money: people type ``1,234``, ``£1,234`` or ``(2)``, not spinner steps."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})


class MoneyFormField(forms.Field):
    """An amount typed in pounds or in £000s, cleaned to pounds as a Decimal.

    ``unit="thousands"`` is for the plan form's £'000 boxes: the user types ``397`` and the
    stored amount is £397,000; the box shows it back as ``397``.
    """

    widget = MoneyInput
    default_error_messages = {"invalid": "Enter an amount such as 1,234, £1,234 or (2) for minus 2."}

    def __init__(self, *, unit: str = "pounds", **kwargs: Any) -> None:
        for unused in ("max_digits", "decimal_places", "max_value", "min_value", "step_size"):
            kwargs.pop(unused, None)
        self.unit = unit
        self.multiplier = THOUSAND if unit == "thousands" else Decimal(1)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values:
            return None
        try:
            return parse_money(value, multiplier=self.multiplier)
        except MoneyError as error:
            raise ValidationError(str(error), code="invalid") from error

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            # Shown back exactly as stored (no rounding), so saving a page unchanged changes nothing.
            if self.unit == "thousands":
                return plain(value / THOUSAND)
            return plain(value)
        return value

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return bool(self.to_python(data) != initial)
        except ValidationError:
            return True


class QuarterField(models.Field):
    """A quarter of the financial year (Q1–Q4), stored as 1–4; the Python value is a Quarter."""

    description = "Quarter of the financial year"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("choices", [(quarter.value, quarter.label) for quarter in Quarter])
        super().__init__(*args, **kwargs)

    def get_internal_type(self) -> str:
        return "PositiveSmallIntegerField"

    def from_db_value(self, value: int | None, expression: Any, connection: Any) -> Quarter | None:
        return None if value is None else Quarter(value)

    def to_python(self, value: Any) -> Quarter | None:
        if value is None or value == "":
            return None
        try:
            return Quarter.parse(value)
        except ValueError as error:
            raise ValidationError(str(error), code="invalid") from error

    def get_prep_value(self, value: Any) -> int | None:
        if value is None or value == "":
            return None
        return int(Quarter.parse(value))
