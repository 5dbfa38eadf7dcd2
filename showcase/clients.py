"""Who is asking: the client's address, as the proxy in front reports it, and a keyed hash
of it for counting without storing addresses."""

import hashlib
import hmac

from django.conf import settings


def client_address(request):
    """REMOTE_ADDR, or with TRUSTED_PROXIES = n > 0 the address the n-th proxy from our side
    saw in X-Forwarded-For (entries further left are whatever the client claimed)."""
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def keyed_hash(text):
    """Enough to count with, useless to anyone who reads the table."""
    return hmac.new(settings.SECRET_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()


def client_hash(request):
    return keyed_hash(client_address(request))
