"""Objections sent from the public notice page, handled by the ministry: received →
checking → upheld / dismissed, with a written response (workflow.objection_problems), kept
internal, and a public response the ministry writes for the sender, who reads it by the
reference on the campaign's lookup page once the objection is handled."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .. import models
from ..workflow import handle_objection, objection_problems
from .base import ReferenceAdmin


class ObjectionForm(forms.ModelForm):
    class Meta:
        model = models.Objection
        fields = ["state", "response", "public_response"]
        help_texts = {
            "response": _("内部记录，只在后台显示。作出处理结论时必填。"),
        }
        widgets = {
            "response": forms.Textarea(attrs={"rows": 4}),
            "public_response": forms.Textarea(attrs={"rows": 4}),
        }

    def clean(self):
        cleaned = super().clean()
        current = models.Objection.objects.get(pk=self.instance.pk).state
        target = cleaned.get("state")
        if target and target != current:
            for field, problem in objection_problems(
                current, target, cleaned.get("response")
            ).items():
                self.add_error(field, problem)
        return cleaned


@admin.register(models.Objection)
class ObjectionAdmin(ReferenceAdmin):
    form = ObjectionForm
    list_display = ["reference", "nomination", "state", "received_at", "handled_at"]
    list_filter = ["state", "nomination__campaign"]
    list_select_related = ["nomination__estate", "nomination__campaign"]
    search_fields = ["reference"]
    readonly_fields = [
        "reference",
        "nomination",
        "text",
        "contact",
        "received_at",
        "handled_by",
        "handled_at",
    ]
    fields = [
        "reference",
        "nomination",
        "received_at",
        "text",
        "contact",
        "state",
        "response",
        "public_response",
        "handled_by",
        "handled_at",
    ]

    def has_add_permission(self, request):
        return False  # objections come from the public notice page

    def save_model(self, request, obj, form, change):
        current = models.Objection.objects.get(pk=obj.pk)
        if obj.state != current.state:
            handle_objection(
                current,
                obj.state,
                request.user,
                obj.response,
                public_response=obj.public_response,
            )
            return
        changed = [
            name
            for name in ("response", "public_response")
            if getattr(obj, name) != getattr(current, name)
        ]
        for name in changed:
            setattr(current, name, getattr(obj, name))
        if changed:
            current.save(update_fields=changed)
