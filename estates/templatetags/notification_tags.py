"""The unread count of the signed-in person's notifications: in the admin's header on every
page, and on the index. Counted once per request."""

from django import template
from django.urls import reverse

from ..models import Notification

register = template.Library()


def unread_count(request):
    user = getattr(request, "user", None)
    if user is None or not (user.is_active and user.is_staff):
        return None
    if not hasattr(request, "_unread_notifications"):
        request._unread_notifications = Notification.objects.filter(
            recipient=user, read_at__isnull=True
        ).count()
    return request._unread_notifications


def _context(context):
    request = context.get("request")
    count = unread_count(request) if request is not None else None
    url = reverse("admin:estates_notification_changelist")
    return {"count": count, "url": url, "unread_url": f"{url}?read=no"}


@register.inclusion_tag("admin/estates/notification/_header_link.html", takes_context=True)
def notifications_link(context):
    return _context(context)


@register.inclusion_tag("admin/estates/notification/_index_summary.html", takes_context=True)
def notifications_summary(context):
    return _context(context)
