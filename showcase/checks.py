"""Checks of the portal's own settings: the cover cards' font at every start, the rest with
`manage.py check --deploy`."""

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .cover_art import font_paths, font_problem


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


FONT_PROBLEMS = {
    "unset": _("没有设置封面卡片的中文字体（SHOWCASE_COVER_FONT）。"),
    "missing": _("找不到封面卡片的中文字体文件 %(path)s。"),
    "unreadable": _("无法读取封面卡片的中文字体文件 %(path)s。"),
    "no_chinese": _("字体文件 %(path)s 不含简体中文字形，封面卡片上的中文会显示成方框。"),
}


@register()
def cover_font_check(app_configs, **kwargs):
    """Each estate's generated cover card (showcase/covers.py) is drawn with a font that must
    draw Chinese; without one the site's plain share image stands in for every card."""
    path = font_paths()[0]
    problem = font_problem(path)
    if problem is None:
        return []
    return [
        Warning(
            format_lazy(
                "{}{}",
                FONT_PROBLEMS[problem] % {"path": path},
                _("各小区的封面卡片和分享图暂以网站的通用分享图代替。"),
            ),
            hint=_(
                "在 Debian 或 Ubuntu 上安装中文字体：sudo apt-get install fonts-noto-cjk"
                "（make run 以 root 身份运行时会自动安装）；或把环境变量 SHOWCASE_COVER_FONT "
                "设为含简体中文的字体文件（.ttf、.otf 或 .ttc）的路径，然后重新启动。"
            ),
            id="showcase.W002",
        )
    ]


SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@register(deploy=True)
def mail_server_check(app_configs, **kwargs):
    """Staff notifications (estates/notifications.py) are mailed through EMAIL_HOST: in
    production without one they go to a mail server on the app server itself, which is
    rarely there. Nothing is lost (they are listed in the admin and retried), but no one
    hears of them."""
    if settings.DEBUG or settings.EMAIL_BACKEND != SMTP_BACKEND:
        return []
    if getattr(settings, "EMAIL_HOST_CONFIGURED", True):
        return []
    return [
        Warning(
            _(
                "没有配置邮件服务器（EMAIL_HOST）：退回、入选、评审任务、异议等通知只列在后台的"
                "“我的通知”中，邮件发不出去。"
            ),
            hint=_(
                "把 EMAIL_HOST（以及 EMAIL_PORT、EMAIL_HOST_USER、EMAIL_HOST_PASSWORD、"
                "EMAIL_USE_TLS 或 EMAIL_USE_SSL、DEFAULT_FROM_EMAIL）设为单位的 SMTP 服务器，"
                "并用 cron 运行 manage.py send_notifications 和 notify_due；见 docs/deployment.md。"
            ),
            id="showcase.W003",
        )
    ]
