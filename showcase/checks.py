"""Deployment checks of the portal's own settings (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.utils.translation import gettext_lazy as _


@register(Tags.security, deploy=True)
def trusted_proxies_check(app_configs, **kwargs):
    """Behind a proxy with TRUSTED_PROXIES = 0 every visitor has the proxy's address, so a
    handful of failures locks everyone out of sign-in and objections."""
    if settings.DEBUG or settings.TRUSTED_PROXIES:
        return []
    return [
        Warning(
            _(
                "DJANGO_TRUSTED_PROXIES 为 0：登录限制和异议提交限制按连接的对端地址计数。"
                "站点若在反向代理之后，所有访客都会被当作同一个来源，"
                "少数失败就会让所有人无法登录或提交异议。"
            ),
            hint=_(
                "在代理之后时，把 DJANGO_TRUSTED_PROXIES 设为追加 X-Forwarded-For 的代理层数"
                "（通常为 1）。直接面向访客、前面没有代理时可忽略此提示。"
            ),
            id="showcase.W001",
        )
    ]
