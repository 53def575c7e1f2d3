"""Reliability and security: production settings, headers and templates, log-in lock-out,
passwords and sessions, escaping of user text, CSRF on every form, and error pages."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import path, reverse
from django.utils import timezone

from monitoring.models import PlanUpdate
from plans import services as plan_services
from plans.models import DeficitRecoveryPlan
from recovery.periods import FinancialYear, Quarter
from recovery.reporting import renderers, selectors
from recovery.urls import urlpatterns as site_urlpatterns
from tests.factories import MilestoneFactory, PlanUpdateFactory, SchemeFactory, SchemeQuarterFactory

BASE_DIR = Path(__file__).resolve().parents[1]
TEMPLATES_DIR = BASE_DIR / "templates"
LOGIN_URL = "/accounts/login/"
PASSWORD = "a-long-test-password-1"  # the factories' password

# What a debug page, a traceback or a settings dump would show.
LEAKS = ("Traceback", "SECRET_KEY", "DATABASES", "django.core", "site-packages", "SELECT ", "Request Method", "urlconf")


def production_env(**overrides: str) -> dict[str, str]:
    """The environment of a production server: no test or developer settings leak in."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "AXES_", "PYTEST", "ATTACHMENT_", "REPORT_"))
        and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(overrides)
    return env


def run_python(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False
    )


# Production settings ---------------------------------------------------------------------


def test_check_deploy_passes_with_production_environment(tmp_path):
    env = production_env(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50)[:50],
        DJANGO_ALLOWED_HOSTS="recovery.example.gov.uk",
        DJANGO_VAR_DIR=str(tmp_path),
    )
    result = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    env = production_env(DJANGO_DEBUG="0", DJANGO_VAR_DIR=str(tmp_path))
    result = run_python(["-c", "import recovery.settings"], env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_default_to_debug_off_and_secure_cookies(tmp_path):
    env = production_env(DJANGO_SECRET_KEY=secrets.token_urlsafe(50)[:50], DJANGO_VAR_DIR=str(tmp_path))
    code = (
        "import recovery.settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS > 0, s.ALLOWED_HOSTS)"
    )
    result = run_python(["-c", code], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "True", "True", "[]"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "manager"])
def test_responses_carry_security_headers(client, manager, who):
    if who == "manager":
        client.force_login(manager)
        url = reverse("plans:list")
    else:
        url = LOGIN_URL
    response = client.get(url)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
TAG = re.compile(r"<[a-zA-Z][^<>]*>", re.DOTALL)
EVENT_ATTRIBUTE = re.compile(r"(?:^|[\s\"'/])(?:on[a-z]+|hx-on[:\w-]*)\s*=", re.IGNORECASE)
TEMPLATE_FILES = sorted(p for p in TEMPLATES_DIR.rglob("*.html"))


def test_there_are_templates_to_scan():
    assert len(TEMPLATE_FILES) > 20


@pytest.mark.parametrize("template", TEMPLATE_FILES, ids=lambda p: str(p.relative_to(TEMPLATES_DIR)))
def test_templates_have_no_inline_script(template):
    text = template.read_text(encoding="utf-8")
    for attributes, body in SCRIPT.findall(text):
        assert not body.strip(), f"inline <script> in {template.name}: {body.strip()[:80]!r}"
        assert "src=" in attributes, f"<script> without src in {template.name}"
    for tag in TAG.findall(text):
        assert not EVENT_ATTRIBUTE.search(tag), f"event attribute in {template.name}: {tag[:120]!r}"
        assert "javascript:" not in tag.lower(), f"javascript: URL in {template.name}: {tag[:120]!r}"


# Log-in, passwords, sessions ---------------------------------------------------------------


def login(client, username, password):
    return client.post(LOGIN_URL, {"username": username, "password": password})


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_four_failed_logins_do_not_lock_the_account(client, manager):
    assert django_settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        response = login(client, "manager", "wrong-password-entirely")
        assert response.status_code == 200
        assert not logged_in(client)
    response = login(client, "manager", PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)


@pytest.mark.django_db
def test_five_failed_logins_lock_the_account_out(client, manager):
    for _ in range(5):
        login(client, "manager", "wrong-password-entirely")
        assert not logged_in(client)
    response = login(client, "manager", PASSWORD)
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert not logged_in(client)
    # Still locked on the next try, and the account is not reachable through the login page.
    response = login(client, "manager", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)
    assert client.get(reverse("plans:list")).status_code == 302


@pytest.mark.django_db
def test_lockout_is_per_account_and_address(client, manager, other_manager):
    for _ in range(5):
        login(client, "manager", "wrong-password-entirely")
    response = login(client, "other_manager", PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)


def change_password(client, new, *, old=PASSWORD):
    return client.post(reverse("password_change"), {"old_password": old, "new_password1": new, "new_password2": new})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("new_password", "message"),
    [
        ("password123", "This password is too common."),
        ("Xk7#qLm2pZ", "This password is too short. It must contain at least 12 characters."),
        ("12345678901234", "This password is entirely numeric."),
    ],
)
def test_weak_passwords_are_refused(client, manager, new_password, message):
    client.force_login(manager)
    response = change_password(client, new_password)
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    manager.refresh_from_db()
    assert manager.check_password(PASSWORD)
    assert not manager.check_password(new_password)


@pytest.mark.django_db
def test_a_twelve_character_password_is_accepted(client, manager):
    client.force_login(manager)
    response = change_password(client, "Xk7#qLm2pZ9!")
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.check_password("Xk7#qLm2pZ9!")


def test_sessions_last_a_working_day_and_end_with_the_browser():
    assert django_settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert django_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert django_settings.SESSION_COOKIE_HTTPONLY is True


@pytest.mark.django_db
def test_a_logged_in_session_expires(client, manager):
    response = login(client, "manager", PASSWORD)
    assert response.status_code == 302
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"]
    assert not cookie["max-age"]  # a browser-session cookie
    session = Session.objects.get(session_key=cookie.value)
    lifetime = session.expire_date - timezone.now()
    assert timedelta(hours=7, minutes=59) < lifetime <= timedelta(hours=8)
    assert client.get(reverse("plans:list")).status_code == 200
    # Nine hours later the server no longer knows the session.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(hours=1))
    response = client.get(reverse("plans:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


@pytest.mark.django_db
def test_a_password_change_logs_out_other_sessions(manager):
    first, second = Client(), Client()
    first.force_login(manager)
    second.force_login(manager)
    assert second.get(reverse("plans:list")).status_code == 200
    assert change_password(first, "Xk7#qLm2pZ9!-new").status_code == 302
    assert first.get(reverse("plans:list")).status_code == 200  # the changer stays in
    response = second.get(reverse("plans:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


# Escaping user text --------------------------------------------------------------------------

XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def hostile_plan(manager, service_area, finance):
    """A submitted plan whose every narrative and note is a script, with a Q2 update likewise."""
    text_fields = dict.fromkeys(
        (
            "service_director",
            "service_manager",
            "cost_centres",
            "previous_year_budget_note",
            "previous_year_outturn_note",
            "current_year_budget_note",
            "pressure_note",
            "context",
            "actions",
        ),
        XSS,
    )
    plan = DeficitRecoveryPlan.objects.create(
        service_area=service_area,
        financial_year=FinancialYear(2023),
        tracker_ref=XSS[:50],
        status=DeficitRecoveryPlan.Status.SUBMITTED,
        previous_year_budget=1000,
        previous_year_outturn=2000,
        current_year_budget=0,
        **text_fields,
    )
    plan.managers.add(manager)
    MilestoneFactory(plan=plan, details=XSS, due_text=XSS[:100])
    PlanUpdateFactory(
        plan=plan,
        quarter=Quarter.Q2,
        on_target="no",
        narrative=XSS,
        milestones_explanation=XSS,
        recovery_actions=XSS,
        alternative_proposal=XSS,
        rag="RED",
        rag_reason=XSS,
        finance_comments=XSS,
        status=PlanUpdate.Status.APPROVED,
    )
    return plan


def assert_escaped(content: str) -> None:
    assert "alert(1)" in content, "the hostile text is not shown at all"
    assert "<script>alert" not in content
    assert "<img" not in content
    assert "onerror=alert(1)>" not in content.replace(ESCAPED, "")
    # Every <script> element on the page is one of the site's own static files.
    assert content.count("<script") == len(re.findall(r'<script src="/static/[^"]+"', content))


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["manager", "finance"])
def test_user_text_is_escaped_on_the_plan_page(client, hostile_plan, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("plans:detail", args=[hostile_plan.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert_escaped(content)
    assert ESCAPED in content


@pytest.mark.django_db
def test_user_text_is_escaped_on_the_plan_report(client, hostile_plan, manager):
    client.force_login(manager)
    response = client.get(reverse("reporting:plan", args=[hostile_plan.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert_escaped(content)
    assert ESCAPED in content


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["manager", "finance"])
def test_user_text_is_escaped_on_the_quarterly_update_page(client, hostile_plan, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("monitoring:plan_update", args=[hostile_plan.pk, Quarter.Q2]))
    assert response.status_code == 200
    content = response.content.decode()
    assert_escaped(content)
    assert ESCAPED in content


@pytest.mark.django_db
def test_user_text_is_escaped_on_the_plan_edit_form(client, manager, plan):
    for name in ("context", "actions", "pressure_note", "service_director"):
        setattr(plan, name, XSS)
    plan.save()
    client.force_login(manager)
    content = client.get(reverse("plans:edit", args=[plan.pk])).content.decode()
    assert_escaped(content)


@pytest.mark.django_db
def test_user_text_is_escaped_in_the_pdf_html(hostile_plan):
    report = selectors.plan_report(plan=hostile_plan)
    html = renderers.report_html_for_pdf(report)
    assert "alert(1)" in html
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert ESCAPED in html


# CSRF -------------------------------------------------------------------------------------

CSRF_FAILED = "CSRF verification failed"


@pytest.fixture
def csrf_targets(manager, finance, administrator, plan, service_area):
    """For each POST URL: a user allowed to use it (so only the missing token can refuse it)."""
    attachment = plan_services.attachment_add(
        plan=plan, user=manager, upload=SimpleUploadedFile("chart.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    )
    live = DeficitRecoveryPlan.objects.create(
        service_area=service_area, financial_year=FinancialYear(2023), status=DeficitRecoveryPlan.Status.SUBMITTED
    )
    live.managers.add(manager)
    update = PlanUpdateFactory(plan=live, quarter=Quarter.Q2, status=PlanUpdate.Status.SUBMITTED)
    scheme = SchemeQuarterFactory(scheme=SchemeFactory(service_area=service_area)).scheme
    year = FinancialYear(2023)
    return {
        "plans:create": (manager, reverse("plans:create")),
        "plans:edit": (manager, reverse("plans:edit", args=[plan.pk])),
        "plans:submit": (manager, reverse("plans:submit", args=[plan.pk])),
        "plans:attachment_upload": (manager, reverse("plans:attachment_upload", args=[plan.pk])),
        "plans:attachment_delete": (manager, reverse("plans:attachment_delete", args=[plan.pk, attachment.pk])),
        "monitoring:lock": (finance, reverse("monitoring:lock", args=[year, Quarter.Q2])),
        "monitoring:reopen": (administrator, reverse("monitoring:reopen", args=[year, Quarter.Q2])),
        "monitoring:scheme_row": (finance, reverse("monitoring:scheme_row", args=[year, Quarter.Q2, scheme.pk])),
        "monitoring:plan_update": (manager, reverse("monitoring:plan_update", args=[live.pk, Quarter.Q3])),
        "monitoring:plan_update_review": (
            finance,
            reverse("monitoring:plan_update_review", args=[update.plan.pk, Quarter.Q2]),
        ),
        "monitoring:tracker_upload": (finance, reverse("monitoring:tracker_upload")),
        "monitoring:tracker_confirm": (finance, reverse("monitoring:tracker_confirm", args=["0" * 32])),
        "logout": (manager, reverse("logout")),
        "password_change": (manager, reverse("password_change")),
    }


CSRF_URLS = [
    "plans:create",
    "plans:edit",
    "plans:submit",
    "plans:attachment_upload",
    "plans:attachment_delete",
    "monitoring:lock",
    "monitoring:reopen",
    "monitoring:scheme_row",
    "monitoring:plan_update",
    "monitoring:plan_update_review",
    "monitoring:tracker_upload",
    "monitoring:tracker_confirm",
    "logout",
    "password_change",
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", CSRF_URLS)
def test_post_without_csrf_token_is_refused(csrf_targets, name):
    user, url = csrf_targets[name]
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    plans_before = list(DeficitRecoveryPlan.objects.order_by("pk").values())
    updates_before = list(PlanUpdate.objects.order_by("pk").values())

    response = csrf_client.post(url, {"reason": "x", "decision": "approve", "context": "changed", "narrative": "n"})

    assert response.status_code == 403
    assert CSRF_FAILED in response.content.decode()
    assert list(DeficitRecoveryPlan.objects.order_by("pk").values()) == plans_before
    assert list(PlanUpdate.objects.order_by("pk").values()) == updates_before
    assert "_auth_user_id" in csrf_client.session  # not logged out either


@pytest.mark.django_db
def test_login_without_csrf_token_is_refused(manager):
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(LOGIN_URL, {"username": "manager", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in csrf_client.session


@pytest.mark.django_db
def test_post_with_the_csrf_token_is_accepted(manager):
    """The control for the tests above: the same client with a token gets through."""
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(manager)
    csrf_client.get(reverse("plans:list"))
    token = csrf_client.cookies[django_settings.CSRF_COOKIE_NAME].value
    response = csrf_client.post(reverse("logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert "_auth_user_id" not in csrf_client.session


# Error pages ---------------------------------------------------------------------------------


def _boom(request):
    raise RuntimeError("kaboom: password=hunter2 in /srv/recovery/settings.py")


urlpatterns = [path("boom/", _boom), *site_urlpatterns]


def assert_no_leak(content: str) -> None:
    for leak in LEAKS:
        assert leak not in content, f"{leak!r} shown on an error page"
    assert "hunter2" not in content
    assert django_settings.SECRET_KEY not in content


@pytest.mark.django_db
def test_404_page_uses_the_site_template_and_leaks_nothing(client, manager):
    assert django_settings.DEBUG is False
    client.force_login(manager)
    response = client.get("/no-such-page/SELECT%20*%20FROM%20auth_user/")
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    content = response.content.decode()
    assert "Page not found" in content
    assert_no_leak(content)


@pytest.mark.django_db
def test_404_for_a_missing_plan_uses_the_site_template(client, manager):
    client.force_login(manager)
    response = client.get(reverse("plans:detail", args=[999999]))
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    assert_no_leak(response.content.decode())


@pytest.mark.django_db
def test_403_page_uses_the_site_template_and_leaks_nothing(client, finance):
    client.force_login(finance)
    response = client.get(reverse("plans:create"))
    assert response.status_code == 403
    assert "403.html" in [t.name for t in response.templates]
    content = response.content.decode()
    assert "You cannot do that" in content
    assert_no_leak(content)


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_500_page_uses_the_site_template_and_leaks_nothing(manager):
    client = Client(raise_request_exception=False)
    client.force_login(manager)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "500.html" in [t.name for t in response.templates]
    content = response.content.decode()
    assert "Sorry, there is a problem with the service" in content
    assert "kaboom" not in content
    assert "RuntimeError" not in content
    assert_no_leak(content)


@pytest.mark.django_db
def test_400_for_a_bad_host_uses_the_site_template_and_leaks_nothing(client):
    response = client.get(LOGIN_URL, HTTP_HOST="attacker.example")
    assert response.status_code == 400
    assert "400.html" in [t.name for t in response.templates]
    content = response.content.decode()
    assert "Something in that request was not right" in content
    assert "attacker.example" not in content
    assert_no_leak(content)
