"""URL path converters: /2012-13/Q2/ in a URL is a FinancialYear and a Quarter in a view."""

from __future__ import annotations

from django.urls import register_converter

from recovery.periods import FinancialYear, Quarter


class FinancialYearConverter:
    regex = r"\d{4}-\d{2}"

    def to_python(self, value: str) -> FinancialYear:
        return FinancialYear.parse(value)

    def to_url(self, value: FinancialYear | str) -> str:
        return str(FinancialYear.parse(value)).replace("/", "-")


class QuarterConverter:
    regex = r"Q[1-4]"

    def to_python(self, value: str) -> Quarter:
        return Quarter.parse(value)

    def to_url(self, value: Quarter | int | str) -> str:
        return Quarter.parse(value).label


# Registered once, here: every urls module that uses <fy:…> or <quarter:…> imports this module.
register_converter(FinancialYearConverter, "fy")
register_converter(QuarterConverter, "quarter")
