"""Values every template may use."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    return {"ORGANISATION_NAME": settings.ORGANISATION_NAME}
