"""Who is asking: the client's address, as the proxy in front reports it, and a keyed hash
of it for counting without storing addresses."""

import hashlib
import hmac
import logging
import time

from django.conf import settings

logger = logging.getLogger(__name__)

# A proxy left unconfigured sends the header on every request; once an hour per process is
# enough to be seen in the log without flooding it.
FORWARDED_FOR_WARNING_SECONDS = 3600
_forwarded_for_warned_at = None  # time.monotonic() of the last warning


def client_address(request):
    """REMOTE_ADDR, or with TRUSTED_PROXIES = n > 0 the address the n-th proxy from our side
    saw in X-Forwarded-For (entries further left are whatever the client claimed)."""
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            return hops[-proxies]
    elif request.META.get("HTTP_X_FORWARDED_FOR"):
        _warn_forwarded_for_ignored(request.META.get("REMOTE_ADDR", ""))
    return request.META.get("REMOTE_ADDR", "")


def _warn_forwarded_for_ignored(peer):
    """Ignoring the header is right when nobody trusted sets it (a client may forge it), but
    behind a proxy it makes every visitor one client for the throttles: say so."""
    global _forwarded_for_warned_at
    now = time.monotonic()
    last = _forwarded_for_warned_at
    if last is not None and now - last < FORWARDED_FOR_WARNING_SECONDS:
        return
    _forwarded_for_warned_at = now
    logger.warning(
        "请求带有 X-Forwarded-For，但 DJANGO_TRUSTED_PROXIES 为 0，已忽略它，按对端地址 %s 计数："
        "站点若在代理之后，所有访客都算作同一个来源，请设置 DJANGO_TRUSTED_PROXIES（通常为 1）。",
        peer,
    )


def keyed_hash(text):
    """Enough to count with, useless to anyone who reads the table."""
    return hmac.new(settings.SECRET_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()


def client_hash(request):
    return keyed_hash(client_address(request))
