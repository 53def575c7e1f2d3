"""DJANGO_LOG_FORMAT=json gives one JSON object a line, with the request where there is one."""

from __future__ import annotations

import json
import logging
import sys

from django.test import RequestFactory

from recovery.logs import JsonFormatter


def test_a_record_is_one_json_line_with_the_request():
    request = RequestFactory().get("/plans/42/")
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/plans/42/",), None)
    record.request = request
    record.status_code = 404
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING"
    assert entry["message"] == "Not Found: /plans/42/"
    assert entry["path"] == "/plans/42/"
    assert entry["status"] == 404


def test_an_exception_keeps_its_type_and_traceback():
    try:
        raise ValueError("bad figure")
    except ValueError:
        record = logging.LogRecord("recovery", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    entry = json.loads(JsonFormatter().format(record))
    assert entry["exception"] == "ValueError"
    assert "bad figure" in entry["traceback"]
