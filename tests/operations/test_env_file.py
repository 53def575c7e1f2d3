"""`.env.example` is read by the shell in README's cron lines (`set -a && . ./.env && set +a`):
every setting it gives must come out as written, with no error (an unquoted value with a space
ran its second word as a command and stopped the cron line)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_settings_file_reads_cleanly_in_the_shell():
    lines = (ROOT / ".env.example").read_text().splitlines()
    given = dict(re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", line).groups() for line in lines if re.match(r"[A-Z]", line))
    assert "ORGANISATION_NAME" in given
    names = " ".join(given)
    result = subprocess.run(  # noqa: S603 - a fixed script over this repository's own file
        [
            "/bin/bash",
            "-c",
            f'set -a && . ./.env.example && set +a && for n in {names}; do printf "%s=%s\\0" "$n" "${{!n}}"; done',
        ],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    read = dict(item.split("=", 1) for item in result.stdout.split("\0") if item)
    for name, written in given.items():
        value = re.sub(r"\s+#.*$", "", written).strip()
        assert read[name] == value.strip('"'), name
    assert read["ORGANISATION_NAME"] == "Example Council"
