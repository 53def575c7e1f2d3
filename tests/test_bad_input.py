"""Bad input into money fields: whatever text is typed into any amount on the plan form or the
scheme row form, the answer is a page (200/302/400), never a server error, and whatever is
stored is an amount of money: a Decimal in pence within what the database column holds, equal
to exactly what was typed."""

from __future__ import annotations

import unicodedata
from decimal import Decimal, localcontext

from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from monitoring.models import SchemeQuarter
from plans.models import DeficitRecoveryPlan
from plans.roles import Role
from recovery.money import MAX_AMOUNT
from recovery.periods import FinancialYear, Quarter
from recovery.text import clean_text
from tests.factories import PlanFactory, SchemeFactory, SchemeQuarterFactory, ServiceAreaFactory, UserFactory

NASTY = [
    "",
    " ",
    "(",
    ")",
    "()",
    "(-)",
    "£",
    "£-",
    "-",
    "--2",
    "(-2)",
    "1e9999",
    "-1e9999",
    "1E5",
    "NaN",
    "nan",
    "sNaN",
    "Infinity",
    "-inf",
    "-0",
    "-0.00",
    "+0",
    "\x00",
    "1\x00",
    "\x001",
    "12,00",
    "1,2,3",
    "1.234",
    "0.001",
    ".5",
    "5.",
    "999999999999.99",
    "-999999999999.99",
    "1000000000000",
    "999999999.99",
    "999999999.999999",
    "(529)",
    "£1,234.50",
    "-£2",
    "£-2",
    "١٢٣",
    "𝟙𝟚",
    "０.５",
    "²",
    "½",
    "1_000",
    "0x10",
    "1 000",
    "1\u00a0000",
    "<script>alert(1)</script>",
    "'; DROP TABLE plans_deficitrecoveryplan; --",
    "%s%s%n",
    "{{ settings.SECRET_KEY }}",
]
LONG = st.builds(
    lambda chunk, times: chunk * times,
    st.sampled_from(["9", "1,", "(", "£", "é", "\x00", "0.", "-", "1e", "𝟙"]),
    st.integers(min_value=500, max_value=20_000),
)
NUMBERISH = st.text(alphabet=st.sampled_from("0123456789,.-()£ +−–\u00a0eE"), max_size=30)
MONEY_TEXT = st.one_of(
    st.text(),
    st.sampled_from(NASTY),
    NUMBERISH,
    LONG,
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(str),
    st.integers().map(str),
)
FUZZ = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MINUSES = "-−–(\u2012\u2010\u2011\ufe63\uff0d"  # hyphen-minus, Unicode minus, en dash, bracket; pasted dashes


def is_amount(value: object) -> bool:
    """None (not given) or a Decimal in pence that the money columns hold."""
    if value is None:
        return True
    return (
        isinstance(value, Decimal)
        and value.is_finite()
        and value.as_tuple().exponent == -2
        and -MAX_AMOUNT <= value <= MAX_AMOUNT
    )


def typed_value(text: str) -> Decimal:
    """What an accepted text says, exactly (no rounding): its digits and point, and its sign."""
    digits = "".join(
        str(unicodedata.decimal(char)) if unicodedata.category(char) == "Nd" else char
        for char in text
        if unicodedata.category(char) == "Nd" or char == "."
    )
    if not digits:
        return Decimal(0)  # a dash alone is nil (DOMAIN.md): zero
    value = Decimal(digits)
    return -value if any(char in MINUSES for char in text) else value


def assert_stored_as_typed(stored: Decimal | None, text: str, multiplier: int) -> None:
    assert is_amount(stored), f"{text!r} stored as {stored!r}"
    if stored is None:
        # Control characters are cleaned out at input (recovery.text) and spaces and invisible
        # characters mean nothing on their own.
        bare = "".join(c for c in clean_text(text) if not c.isspace() and c not in "\u200b\u200c\u200d\u2060\ufeff")
        assert bare in ("", "—", *MINUSES.replace("(", "")), f"{text!r} stored as nothing"
        return
    with localcontext() as context:
        context.prec = 100_000
        assert stored == typed_value(text) * multiplier, f"{text!r} stored as {stored!r}"


PLAN_MONEY_FIELDS = {
    "previous_year_budget": 1000,
    "previous_year_outturn": 1000,
    "current_year_budget": 1000,
    "milestones-0-amount": 1,
}


class PlanFormMoneyTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.manager = UserFactory(username="fuzz_manager", role=Role.SERVICE_MANAGER)
        area = ServiceAreaFactory(managers=[cls.manager])
        cls.plan = PlanFactory(service_area=area, managers=[cls.manager], created_by=cls.manager)

    def post(self, values: dict[str, str]):
        plan = DeficitRecoveryPlan.objects.get(pk=self.plan.pk)
        data = {
            "version": str(plan.version),
            "tracker_ref": "",
            "service_director": plan.service_director,
            "service_manager": plan.service_manager,
            "cost_centres": plan.cost_centres,
            "previous_year_budget": "-2",
            "previous_year_outturn": "397",
            "current_year_budget": "0",
            "context": plan.context,
            "actions": plan.actions,
            "milestones-TOTAL_FORMS": "1",
            "milestones-INITIAL_FORMS": "0",
            "milestones-MIN_NUM_FORMS": "0",
            "milestones-MAX_NUM_FORMS": "50",
            "milestones-0-id": "",
            "milestones-0-details": "A milestone",
            "milestones-0-amount": "80,000",
            "milestones-0-due_text": "2023/2024",
            "save": "1",
        }
        data.update(values)
        self.client.force_login(self.manager)
        return self.client.post(reverse("plans:edit", args=[self.plan.pk]), data)

    def check(self, values: dict[str, str], response) -> None:
        plan = DeficitRecoveryPlan.objects.get(pk=self.plan.pk)
        milestones = list(plan.milestones.all())
        assert response.status_code in (200, 302, 400), response.status_code
        for name in ("previous_year_budget", "previous_year_outturn", "current_year_budget"):
            assert is_amount(getattr(plan, name)), (name, getattr(plan, name))
        for milestone in milestones:
            assert is_amount(milestone.amount)
        if response.status_code != 302:
            # Refused: nothing at all was saved.
            assert plan.version == 1
            assert plan.previous_year_budget == Decimal("-2000.00")
            assert plan.previous_year_outturn == Decimal("397000.00")
            assert milestones == []
            return
        assert plan.version == 2
        for field, text in values.items():
            if field == "milestones-0-amount":
                assert_stored_as_typed(milestones[0].amount, text, PLAN_MONEY_FIELDS[field])
            else:
                assert_stored_as_typed(getattr(plan, field), text, PLAN_MONEY_FIELDS[field])

    @FUZZ
    @given(field=st.sampled_from(sorted(PLAN_MONEY_FIELDS)), text=MONEY_TEXT)
    @example(field="previous_year_budget", text="1e9999")
    @example(field="previous_year_outturn", text="NaN")
    @example(field="current_year_budget", text="\x00")
    @example(field="milestones-0-amount", text="(")
    @example(field="milestones-0-amount", text="999999999999.99")
    @example(field="previous_year_budget", text="999999999.99")
    @example(field="previous_year_budget", text="1000000000")
    def test_any_text_in_one_plan_money_field(self, field, text):
        response = self.post({field: text})
        self.check({field: text}, response)

    @FUZZ
    @given(values=st.fixed_dictionaries(dict.fromkeys(PLAN_MONEY_FIELDS, MONEY_TEXT)))
    def test_any_text_in_every_plan_money_field_at_once(self, values):
        response = self.post(values)
        self.check(values, response)


SCHEME_MONEY_FIELDS = (
    "ytd_budget",
    "ytd_actual",
    "forecast_year_end",
    "forecast_next_year",
    "projected_shortfall",
)


class SchemeRowMoneyTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.finance = UserFactory(username="fuzz_finance", role=Role.FINANCE_OFFICER)
        scheme = SchemeFactory(financial_year=FinancialYear(2023))
        cls.figures = SchemeQuarterFactory(scheme=scheme, quarter=Quarter.Q2)

    def url(self) -> str:
        return reverse("monitoring:scheme_row", args=[FinancialYear(2023), Quarter.Q2, self.figures.scheme.pk])

    def post(self, values: dict[str, str], *, htmx: bool):
        data = {
            "version": "1",
            "ytd_budget": "50,000",
            "ytd_actual": "50,000",
            "forecast_year_end": "",
            "forecast_next_year": "",
            "projected_shortfall": "0",
            "rag": "GREEN",
            "rag_reason": "",
            "commentary": "",
        }
        data.update(values)
        self.client.force_login(self.finance)
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        return self.client.post(self.url(), data, **headers)

    def check(self, values: dict[str, str], response) -> None:
        assert response.status_code in (200, 302, 400), response.status_code
        row = SchemeQuarter.objects.get(pk=self.figures.pk)
        for name in SCHEME_MONEY_FIELDS:
            assert is_amount(getattr(row, name)), (name, getattr(row, name))
        saved = row.version == 2
        if not saved:
            assert row.ytd_budget == Decimal("50000.00")
            assert row.ytd_actual == Decimal("50000.00")
            assert row.forecast_year_end is None
            return
        assert response.status_code in (200, 302)
        for field, text in values.items():
            assert_stored_as_typed(getattr(row, field), text, 1)

    @FUZZ
    @given(field=st.sampled_from(SCHEME_MONEY_FIELDS), text=MONEY_TEXT, htmx=st.booleans())
    @example(field="ytd_actual", text="1e9999", htmx=False)
    @example(field="ytd_budget", text="NaN", htmx=True)
    @example(field="projected_shortfall", text="-0", htmx=False)
    @example(field="forecast_year_end", text="\x00", htmx=False)
    @example(field="forecast_next_year", text="(", htmx=True)
    @example(field="ytd_actual", text="£", htmx=False)
    @example(field="forecast_next_year", text="1000000000000", htmx=False)
    def test_any_text_in_one_scheme_money_field(self, field, text, htmx):
        response = self.post({field: text}, htmx=htmx)
        self.check({field: text}, response)

    @FUZZ
    @given(values=st.fixed_dictionaries(dict.fromkeys(SCHEME_MONEY_FIELDS, MONEY_TEXT)))
    def test_any_text_in_every_scheme_money_field_at_once(self, values):
        response = self.post(values, htmx=False)
        self.check(values, response)


class MoneyPrecisionTests(TestCase):
    """Amounts with more than two decimal places of pounds are refused, never rounded silently
    (recovery.money.parse_money says so), however many digits are typed."""

    @classmethod
    def setUpTestData(cls):
        cls.finance = UserFactory(username="precision_finance", role=Role.FINANCE_OFFICER)
        scheme = SchemeFactory(financial_year=FinancialYear(2023))
        cls.figures = SchemeQuarterFactory(scheme=scheme, quarter=Quarter.Q2, ytd_actual=Decimal("50000.00"))

    def test_a_long_fraction_of_a_penny_is_refused_not_rounded(self):
        self.client.force_login(self.finance)
        url = reverse("monitoring:scheme_row", args=[FinancialYear(2023), Quarter.Q2, self.figures.scheme.pk])
        data = {
            "version": "1",
            "ytd_budget": "50,000",
            # £1 and a ten-thousand-trillion-trillionth of a penny: more than two decimal places.
            "ytd_actual": "1.0000000000000000000000000001",
            "projected_shortfall": "0",
            "rag": "GREEN",
        }
        response = self.client.post(url, data)
        row = SchemeQuarter.objects.get(pk=self.figures.pk)
        assert response.status_code == 400, f"accepted and stored as {row.ytd_actual}"
        assert row.ytd_actual == Decimal("50000.00")
