"""A handed-in review is a record: nobody is offered its delete button, and its delete address
and the list's bulk delete refuse it saying why. A review still open (a reviewer assigned by
mistake) may be deleted by the ministry, its score rows with it."""

from django.contrib import messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import unquote
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from .. import models
from .history import history_name

KEPT_MESSAGE = _("“%(review)s”已于 %(at)s 提交，是评审记录，不能删除。")


def kept_message(review):
    at = formats.date_format(timezone.localtime(review.submitted_at), "DATETIME_FORMAT")
    return KEPT_MESSAGE % {"review": history_name(review), "at": at}


class HandedInReviewKeptMixin:
    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.submitted_at is not None:
            return False
        return super().has_delete_permission(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        review = self.get_object(request, unquote(object_id))
        may_delete = super().has_delete_permission(request)  # the role's permission
        if review is not None and review.submitted_at is not None and may_delete:
            self.message_user(request, kept_message(review), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:estates_review_change", args=[review.pk]))
        return super().delete_view(request, object_id, extra_context)

    def get_deleted_objects(self, objs, request):
        # Score rows are made with their review and never deleted on their own: no role holds
        # a permission to delete them, and none is needed to delete them with their review.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(models.ReviewScore._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _function, name, description = actions["delete_selected"]
            actions["delete_selected"] = (delete_open_reviews, name, description)
        return actions


def delete_open_reviews(modeladmin, request, queryset):
    """Django's bulk delete, refused with a message when a selected review is handed in."""
    kept = queryset.filter(submitted_at__isnull=False).first()
    if kept is not None:
        modeladmin.message_user(request, kept_message(kept), messages.ERROR)
        return None
    return delete_selected(modeladmin, request, queryset)
