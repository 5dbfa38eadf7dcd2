"""Throttle repeated failed staff sign-ins, per account and per client.

After LOGIN_FAILURES_PER_ACCOUNT failures for one account name, or LOGIN_FAILURES_PER_CLIENT
from one address, within LOGIN_THROTTLE_MINUTES, sign-in is refused for that account or
address until the oldest failure leaves the window, without even checking the password, so
guessing gains nothing. A correct password does not lift a block early.

The limit holds for guesses sent in parallel too: each attempt is stored (and committed) as a
row before its password is checked, then the attempts in the window are counted, its own
included, and it goes on only if that count is within the limit. Of the attempts let through,
the n-th to count sees the rows of the n - 1 let through before it (committed before their
counts, and kept while their passwords are checked, and for good if wrong), so no more wrong
passwords than the limit are ever checked. An attempt's row is removed again when it is refused
unchecked or its password is right: what remains are the failures. This needs no lock and works
the same on SQLite and PostgreSQL, provided the sign-in runs outside a transaction (the admin's
does), so that each row is committed before it is counted.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .clients import client_hash, keyed_hash
from .models import FailedLogin


def _account(username):
    return keyed_hash("account:" + (username or "").strip().casefold())


def window_start():
    return timezone.now() - timedelta(minutes=settings.LOGIN_THROTTLE_MINUTES)


def begin_attempt(username, request):
    """Store the attempt, then say whether it is within the limits: (row, allowed)."""
    FailedLogin.objects.filter(at__lt=window_start()).delete()
    account, client = _account(username), client_hash(request)
    row = FailedLogin.objects.create(account=account, client=client)
    counts = FailedLogin.objects.filter(
        Q(account=account) | Q(client=client), at__gte=window_start()
    )
    counts = counts.aggregate(
        account=Count("pk", filter=Q(account=account)),
        client=Count("pk", filter=Q(client=client)),
    )
    allowed = (
        counts["account"] <= settings.LOGIN_FAILURES_PER_ACCOUNT
        and counts["client"] <= settings.LOGIN_FAILURES_PER_CLIENT
    )
    return row, allowed


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "throttled": _("登录失败次数过多，为保护账号已暂停登录。请 %(minutes)s 分钟后再试。"),
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        if username is None or self.cleaned_data.get("password") is None:
            return super().clean()  # a field is missing: no password is checked
        attempt, allowed = begin_attempt(username, self.request)
        if not allowed:
            attempt.delete()
            raise ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": settings.LOGIN_THROTTLE_MINUTES},
            )
        try:
            cleaned_data = super().clean()
        except ValidationError as error:
            if getattr(error, "code", None) not in ("invalid_login", "inactive"):
                attempt.delete()
            raise
        attempt.delete()
        return cleaned_data
