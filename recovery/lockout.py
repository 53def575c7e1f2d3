"""Sign-in lockout (django-axes) for the deployment README describes: behind a reverse proxy.

The client's address is the one the trusted proxy saw, read from its X-Forwarded-For header;
a header from anyone else (a client that forges it, or a request that bypassed the proxy) is
ignored and the connection's own address used. Two limits apply, each within the cool-off:

- per account *and* address (``AXES_FAILURE_LIMIT``, 5): a mistyped password locks that account
  from that address only, so nobody can lock a named colleague out from elsewhere;
- per address (``AXES_IP_FAILURE_LIMIT``, 30): password spraying (one password tried on many
  accounts) from one address is locked out too, across every account, while a whole office
  behind one address can still mistype a few passwords.
"""

from __future__ import annotations

import ipaddress
from functools import cache
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _trusted_networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies if proxy.strip())


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address (AXES_CLIENT_IP_CALLABLE). Behind ``PROXY_COUNT`` trusted proxies
    (``TRUSTED_PROXIES``), the address the outermost one saw: the ``PROXY_COUNT``-th entry from the
    right of X-Forwarded-For, which each proxy appends to. Entries further left were written by the
    client and are never trusted; a request not from a trusted proxy is judged by its own address."""
    remote = _address(request.META.get("REMOTE_ADDR", "") or "")
    count = int(getattr(settings, "PROXY_COUNT", 0) or 0)
    networks = _trusted_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    if remote is None or count <= 0 or not any(ipaddress.ip_address(remote) in net for net in networks):
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < count:
        return remote  # the proxy did not say whom it was forwarding for
    return _address(hops[-count]) or remote


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler with a second limit per address, across accounts (see the module)."""

    def is_locked(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        return super().is_locked(request, credentials) or self._address_locked(request)

    def user_login_failed(self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is not None and not getattr(request, "axes_locked_out", False) and self._address_locked(request):
            request.axes_locked_out = True  # the sign-in page answers with the lockout page (429)

    @staticmethod
    def _address_locked(request: Any) -> bool:
        """Failures from the request's address, across every account, within the cool-off."""
        address = getattr(request, "axes_ip_address", None)
        if not address:
            return False
        failures = AccessAttempt.objects.filter(
            ip_address=address, attempt_time__gte=get_cool_off_threshold(request)
        ).aggregate(total=Sum("failures_since_start"))["total"]
        return bool(failures and failures >= settings.AXES_IP_FAILURE_LIMIT)
