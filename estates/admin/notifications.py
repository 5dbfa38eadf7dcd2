"""我的通知: each staff member's own notifications (estates/notifications.py), unread first;
opening one marks it read and links to what it is about. Nobody adds, changes or deletes one,
and nobody sees anyone else's. Beside the list, the page where one turns mail on or off."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, linebreaks
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from .. import models
from ..models.notifications import MailState
from ..notifications import mail_on
from .base import NulSafeChangeList, PermissionBeforeLookupMixin, without_nul


class ReadFilter(admin.SimpleListFilter):
    title = _("是否已读")
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return [("no", _("未读")), ("yes", _("已读"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(read_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(read_at__isnull=False)
        return queryset


class MailSettingsForm(forms.Form):
    email_notifications = forms.BooleanField(
        label=_("通过邮件接收通知"),
        required=False,
        help_text=_("关闭后，通知仍在“我的通知”中列出，只是不再发邮件。"),
    )


def _when(moment):
    return formats.date_format(timezone.localtime(moment), "Y-m-d H:i")


@admin.register(models.Notification)
class NotificationAdmin(PermissionBeforeLookupMixin, admin.ModelAdmin):
    # The subject names the kind already ("推荐被退回修改：…"): no column of its own, so that
    # the list reads on a phone; the kind is a filter.
    list_display = ["subject", "received", "read", "mail"]
    list_filter = [ReadFilter, "kind", "mail_state"]
    search_fields = ["subject", "body"]
    actions = ["mark_read"]
    list_per_page = 50
    # The subject is the page's heading.
    fields = ["kind", "text", "link_to_object", "received", "read_time", "mail"]
    readonly_fields = fields

    # Every staff member has notifications of their own: no role's permission is needed.
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        user = request.user
        return user.is_active and user.is_staff and (obj is None or obj.recipient_id == user.pk)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(recipient=request.user)

    def get_ordering(self, request):
        # Unread first, then the newest.
        unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
        return [unread.desc(), "-created_at", "-pk"]

    def get_changelist(self, request, **kwargs):
        return NulSafeChangeList

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, without_nul(search_term))

    def get_urls(self):
        mail = path(
            "mail/",
            self.admin_site.admin_view(self.mail_view),
            name="estates_notification_mail",
        )
        return [mail, *super().get_urls()]

    # The columns and fields.

    @admin.display(description=_("时间"), ordering="created_at")
    def received(self, notification):
        return _when(notification.created_at)

    @admin.display(description=_("已读"))
    def read(self, notification):
        if notification.read_at is None:
            return format_html('<strong class="unread">{}</strong>', _("未读"))
        return _("已读")

    @admin.display(description=_("已读时间"))
    def read_time(self, notification):
        return _when(notification.read_at) if notification.read_at else "—"

    @admin.display(description=_("邮件"), ordering="mail_state")
    def mail(self, notification):
        label = notification.get_mail_state_display()
        if notification.mail_state == MailState.FAILED and notification.mail_next_attempt_at:
            return format_html(
                '<span class="mail-failed">{}</span>',
                _("%(state)s（第 %(attempts)s 次失败，%(at)s 再试）")
                % {
                    "state": label,
                    "attempts": notification.mail_attempts,
                    "at": _when(notification.mail_next_attempt_at),
                },
            )
        if notification.mail_state == MailState.GAVE_UP:
            return format_html('<span class="mail-failed">{}</span>', label)
        return label

    @admin.display(description=_("内容"))
    def text(self, notification):
        # Escaped first, then paragraphs: what the body says is never taken as HTML.
        return mark_safe(linebreaks(notification.body, autoescape=True))

    @admin.display(description=_("相关页面"))
    def link_to_object(self, notification):
        link = notification.link
        if not link.startswith("/") or link.startswith("//"):
            return "—"
        return format_html('<a class="button" href="{}">{}</a>', link, _("打开相关页面"))

    # Opening one marks it read.

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method in ("GET", "HEAD"):
            notification = self.get_object(request, unquote(object_id))
            if notification is not None and notification.read_at is None:
                models.Notification.objects.filter(
                    pk=notification.pk, recipient=request.user, read_at__isnull=True
                ).update(read_at=timezone.now())
        extra_context = {**(extra_context or {}), "title": _("通知")}
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "title": _("我的通知"),
            "mail_on": mail_on(request.user),
            "email": request.user.email,
            "mail_url": reverse("admin:estates_notification_mail"),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("标为已读"))
    def mark_read(self, request, queryset):
        count = queryset.filter(read_at__isnull=True).update(read_at=timezone.now())
        self.message_user(
            request, _("已将 %(count)s 条通知标为已读。") % {"count": count}, messages.SUCCESS
        )

    def get_actions(self, request):
        # Only "标为已读": nobody deletes a notification.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # Mail on or off, for oneself.

    def mail_view(self, request):
        return require_http_methods(["GET", "HEAD", "POST"])(self._mail_view)(request)

    def _mail_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        user = request.user
        # An unticked box sends nothing: a POST without data is "off", not an unbound form.
        data = request.POST if request.method == "POST" else None
        form = MailSettingsForm(data, initial={"email_notifications": mail_on(user)})
        if request.method == "POST" and form.is_valid():
            wanted = form.cleaned_data["email_notifications"]
            profile, _created = models.StaffProfile.objects.get_or_create(user=user)
            profile.email_notifications = wanted
            profile.save(update_fields=["email_notifications"])
            if wanted and not user.email:
                text = _("邮件通知已开启，但您的账号没有邮箱地址，收不到邮件：请管理员填写。")
                level = messages.WARNING
            elif wanted:
                text = _("邮件通知已开启，通知将发送到 %(email)s。") % {"email": user.email}
                level = messages.SUCCESS
            else:
                text = _("邮件通知已关闭：通知仍在“我的通知”中列出。")
                level = messages.SUCCESS
            self.message_user(request, text, level)
            return HttpResponseRedirect(reverse("admin:estates_notification_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("邮件通知"),
            "form": form,
            "email": user.email,
            "mail_on": mail_on(user),
        }
        return TemplateResponse(request, "admin/estates/notification/mail_settings.html", context)
