"""Every page each demo user reaches passes the Nu Html Checker with 0 errors.

The test signs in as each role, follows every same-site link from the start page (pages only:
no downloads, no sign-out, not the Django admin), saves each page and validates them all in one
run of vnu.jar (npm package vnu-jar, run with Java). `make validate` runs it alone."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = Path(
    os.environ.get("VNU_JAR", ROOT / "var" / "tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar")
)
SKIP = re.compile(r"^/(admin/|accounts/logout|static/|media)|format=|\.csv$|\.xlsx$|/pack/|/attachments/\d+/$")
MAX_PAGES = 120


def crawl(client, start: str = "/") -> dict[str, str]:
    seen: dict[str, str] = {}
    queue = [start]
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url, follow=True)
        final = response.redirect_chain[-1][0] if response.redirect_chain else url
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            seen[url] = ""
            continue
        html = response.content.decode("utf-8")
        seen[url] = html
        for href in re.findall(r'href="([^"#]+)', html):
            link = urljoin(final, href.replace("&amp;", "&"))
            parts = urlsplit(link)
            if parts.netloc or not parts.path.startswith("/") or SKIP.search(link):
                continue
            if link not in seen and link not in queue:
                queue.append(link)
    return seen


@pytest.mark.django_db
def test_every_page_of_every_role_is_valid_html(client, settings, tmp_path, django_user_model):
    java = shutil.which("java")
    if not VNU_JAR.is_file() or java is None:
        pytest.fail(f"The Nu Html Checker is needed: run `make validate` (vnu.jar at {VNU_JAR}, and java).")
    settings.DEBUG = True
    call_command("load_demo", verbosity=0)
    settings.DEBUG = False
    files = []
    for username in ("manager", "finance", "executive", "admin"):
        client.force_login(django_user_model.objects.get(username=username))
        for number, (url, html) in enumerate(crawl(client).items()):
            if html:
                path = tmp_path / f"{username}-{number:03d}.html"
                path.write_text(f"<!-- {url} -->\n{html}", encoding="utf-8")
                files.append(path)
    client.logout()
    anonymous = tmp_path / "anonymous-login.html"
    anonymous.write_text(client.get("/accounts/login/").content.decode(), encoding="utf-8")
    files.append(anonymous)
    assert len(files) > 40, f"only {len(files)} pages were reached"
    result = subprocess.run(  # noqa: S603 - the checker on our own saved pages
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "gnu", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    if errors:
        where = {}
        for path in files:
            first = path.read_text(encoding="utf-8").splitlines()[0]
            where[path.name] = first.removeprefix("<!-- ").removesuffix(" -->")
        named = [re.sub(r'"file:[^"]*/([^/"]+)"', lambda m: where.get(m.group(1), m.group(1)), line) for line in errors]
        pytest.fail(f"{len(errors)} HTML error(s):\n" + "\n".join(named[:40]))
    assert result.returncode == 0


def test_the_crawler_stays_on_pages(client, db):
    """The crawl follows page links only: never a download, sign-out or the admin."""
    user = UserFactory(role="Finance officer")
    client.force_login(user)
    for url in crawl(client):
        assert not SKIP.search(url), url
