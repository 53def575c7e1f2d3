"""Who a provider's user is here, and the sign-in audit."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ExternalIdentity(models.Model):
    """A user of the identity provider, known by the provider's stable subject (``sub``), never by
    e-mail: an e-mail address can be reused or changed, the subject cannot."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "single sign-on identity"
        verbose_name_plural = "single sign-on identities"
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="unique_identity_per_issuer")]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"


class SignInEvent(models.Model):
    """One line of the sign-in audit: written once, never changed (the admin shows it read-only)."""

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", "Signed in"
        REFUSED = "refused", "Refused"
        ACCOUNT_CREATED = "account_created", "Account created"
        ROLES_CHANGED = "roles_changed", "Roles changed"
        IDENTITY_MOVED = "identity_moved", "Single sign-on moved to another account"

    class Method(models.TextChoices):
        PASSWORD = "password", "Password"
        SINGLE_SIGN_ON = "sso", "Single sign-on"
        ADMIN = "admin", "Changed by an administrator"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    method = models.CharField(max_length=10, choices=Method.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="sign_in_events"
    )
    # Kept as text too, so the line still says who it was after the account is deleted (or when
    # no account was ever created, for a refusal).
    username = models.CharField(max_length=300, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()}: {self.username or self.subject}"
