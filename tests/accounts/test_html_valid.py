"""The sign-in pages that single sign-on adds or changes pass the Nu Html Checker (the site-wide
check in tests/test_html_valid.py sees the sign-in page only as it is without configuration)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.accounts.conftest import set_user, sign_in
from tests.test_html_valid import VNU_JAR

pytestmark = pytest.mark.django_db


def test_the_single_sign_on_pages_are_valid_html(client, settings, sso, tmp_path):
    java = shutil.which("java")
    if not VNU_JAR.is_file() or java is None:
        pytest.fail(f"The Nu Html Checker is needed: run `make validate` (vnu.jar at {VNU_JAR}, and java).")
    pages = {"sign-in": client.get("/accounts/login/?next=/reports/")}
    pages["sign-in-error"] = client.post("/accounts/login/", {"username": "x", "password": "y"})
    settings.LOCAL_LOGIN = "superusers"
    pages["break-glass"] = client.get("/accounts/login/")
    set_user(sso, "html-refused", {"email": "r@council.example", "groups": ["none"]})
    pages["refused"] = sign_in(client, sso, "html-refused")
    pages["not-completed"] = client.get("/oidc/callback/")
    files = []
    for name, response in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_text(response.content.decode(), encoding="utf-8")
        files.append(str(path))
    result = subprocess.run(  # noqa: S603 - the checker on our own saved pages
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "gnu", *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
