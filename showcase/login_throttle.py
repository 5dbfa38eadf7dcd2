"""Throttle repeated failed staff sign-ins, per account and per client.

After LOGIN_FAILURES_PER_ACCOUNT failures for one account name, or LOGIN_FAILURES_PER_CLIENT
from one address, within LOGIN_THROTTLE_MINUTES, sign-in is refused for that account or
address until the oldest failure leaves the window, without even checking the password, so
guessing gains nothing. A correct password does not lift a block early.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .clients import client_hash, keyed_hash
from .models import FailedLogin


def _account(username):
    return keyed_hash("account:" + (username or "").strip().casefold())


def window_start():
    return timezone.now() - timedelta(minutes=settings.LOGIN_THROTTLE_MINUTES)


def is_blocked(username, request):
    recent = FailedLogin.objects.filter(at__gte=window_start())
    return (
        recent.filter(account=_account(username)).count() >= settings.LOGIN_FAILURES_PER_ACCOUNT
        or recent.filter(client=client_hash(request)).count() >= settings.LOGIN_FAILURES_PER_CLIENT
    )


def record_failure(username, request):
    FailedLogin.objects.filter(at__lt=window_start()).delete()
    FailedLogin.objects.create(account=_account(username), client=client_hash(request))


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "throttled": _("登录失败次数过多，为保护账号已暂停登录。请 %(minutes)s 分钟后再试。"),
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        if is_blocked(username, self.request):
            raise ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": settings.LOGIN_THROTTLE_MINUTES},
            )
        try:
            return super().clean()
        except ValidationError as error:
            if getattr(error, "code", None) in ("invalid_login", "inactive"):
                record_failure(username, self.request)
            raise
