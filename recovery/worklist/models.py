"""When each user signed in, so an executive's task list can say what changed since their last visit."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Visit(models.Model):
    """The start of a user's current visit (sign-in) and of the one before it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="visit")
    current_started_at = models.DateTimeField()
    previous_started_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} since {self.previous_started_at or 'first visit'}"
