"""What every domain admin shares: rows narrowed by estates.access, choices narrowed the same
way, and deletion refused for whatever a published page shows."""

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import DecimalField
from django.db.models.constants import LOOKUP_SEP
from django.http import Http404, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .. import models
from ..access import visible
from ..forms import FiniteDecimalField, SharedChoicesFormSet, line_breaks_form_class
from ..models.constraints import FORM_LIMITS
from ..roles import Role, province_id_of, role_of
from ..versions import VersionCheckedForm
from .campaign_choices import campaign_part_choices, campaign_part_field
from .history import LogEntryHistoryMixin, ReadableHistoryMixin

PUBLISHED_MESSAGE = _(
    "“%(obj)s”正在公开网站上展示，不能删除。如需下线，请由部级管理员撤销该小区的入选。"
)


def is_published_estate(estate):
    """Whether a public page shows the estate: its kept flag, as loaded (the admin loads its
    objects afresh for every request; estates/publication.py keeps the flag true in the
    transaction of every change). The change form asks for every inline row."""
    return estate.is_published


def constraint_limits(db_field):
    """The bounds the model's check constraints put on a field (estates.models.constraints),
    as form field arguments: a negative area or the year 0 is then refused next to its field,
    not at the top of the form with a message that does not say which field it means."""
    model = getattr(db_field, "model", None)
    limits = {}
    for constraint in model._meta.constraints if model is not None else []:
        field, bounds = FORM_LIMITS.get(constraint.name, (None, {}))
        if field == db_field.name:
            limits.update(bounds)
    return limits


def estate_of(obj):
    """The estate an estate-data or nomination-data row belongs to (or the estate itself)."""
    if isinstance(obj, models.Estate):
        return obj
    if hasattr(obj, "estate"):
        return obj.estate
    if hasattr(obj, "nomination"):
        return obj.nomination.estate
    return None


class ScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A foreign-key filter offering only the related rows the user may see."""

    def field_choices(self, field, request, model_admin):
        related = field.related_model
        rows = visible(related._default_manager.all(), request.user)
        return campaign_part_choices(rows)


def usable_key(field, value, using=None):
    """Whether `value` can be looked up in `field` (an id column) without a database error:
    a number, and one the column can hold."""
    try:
        key = field.to_python(value)
    except ValidationError:
        return False
    if isinstance(key, int):
        ops = connections[using or DEFAULT_DB_ALIAS].ops
        low, high = ops.integer_field_range(field.get_internal_type())
        return (low is None or key >= low) and (high is None or key <= high)
    return True


class TolerantAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget looks the submitted id up again to show it; an id that is
    not a number (or too large for the column) failed that lookup with a server error. Such
    an id is left out here, and the field says "选择一个有效的选项" as for any wrong choice."""

    def optgroups(self, name, value, attr=None):
        target = self.field.target_field
        value = [v for v in value if v in ("", None) or usable_key(target, v, self.db)]
        return super().optgroups(name, value, attr)


def without_nul(search_term):
    """No one types NUL into a search box, and PostgreSQL cannot compare text with it."""
    return search_term.replace("\x00", "")


class NulSafeChangeList(ChangeList):
    """A filter value holding NUL is a wrong filter, answered as Django answers any (the plain
    list), not with PostgreSQL's error for text it cannot compare."""

    def get_filters_params(self, params=None):
        params = super().get_filters_params(params)
        for key, values in params.items():
            values = values if isinstance(values, list) else [values]
            if "\x00" in key or any("\x00" in str(value) for value in values):
                raise IncorrectLookupParameters
            # An id the column cannot hold (SQLite refuses integers above 2⁶³ with an
            # OverflowError) is a wrong filter too.
            column, lookup = filtered_column(self.model, key)
            if column is not None and lookup in ("exact", "in"):
                keys = [k for v in values for k in (str(v).split(",") if lookup == "in" else [v])]
                if not all(usable_key(column, k) for k in keys if k != ""):
                    raise IncorrectLookupParameters
        return params


def filtered_column(model, key):
    """(the field a list filter's parameter compares with, its lookup), e.g. the campaign's
    id and "exact" for "campaign__id__exact" or "campaign"; (None, None) when it is not a
    field path."""
    field, lookup = None, "exact"
    opts = model._meta
    for part in key.split(LOOKUP_SEP):
        if opts is None:
            lookup = part
            break
        try:
            found = opts.get_field(part)
        except FieldDoesNotExist:
            lookup = part
            break
        if (found.is_relation and found.many_to_one) or found.one_to_one:
            field, opts = found.target_field, found.related_model._meta
        elif found.is_relation:
            field, opts = None, found.related_model._meta
        else:
            field, opts = found, None
    return field, lookup


class FormFieldsMixin:
    """Form fields that refuse, next to the field, what the database would refuse: the bounds
    of the model's check constraints, and decimals that are not numbers."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, DecimalField):
            kwargs.setdefault("form_class", FiniteDecimalField)
        # Text read with every line break as "\n": browsers post a textarea's lines with CRLF.
        text_class = line_breaks_form_class(db_field)
        if text_class is not None:
            kwargs.setdefault("form_class", text_class)
        return super().formfield_for_dbfield(
            db_field, request, **{**constraint_limits(db_field), **kwargs}
        )


class PermissionBeforeLookupMixin:
    """Without permission to view a model, its history page answers 403 whatever the id, as
    its change page does. (Django's looks the row up first: a row the user has no permission
    for answered 403, a missing id a redirect, which told ids that exist from ids that do not.)"""

    def history_view(self, request, object_id, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def to_field_allowed(self, request, to_field):
        # Django reads `primary_key` of whatever field the name finds, and a reverse relation
        # (?_to_field=photos) has none: a server error instead of the 400 of any other name.
        try:
            field = self.opts.get_field(to_field)
        except FieldDoesNotExist:
            return False
        if not getattr(field, "concrete", False):
            return False
        return super().to_field_allowed(request, to_field)


class ScopedAdminMixin(PermissionBeforeLookupMixin, FormFieldsMixin):
    """Rows, foreign-key choices and autocompletes limited to what the user may see."""

    def get_queryset(self, request):
        return visible(super().get_queryset(request), request.user)

    def get_changelist(self, request, **kwargs):
        return NulSafeChangeList

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, without_nul(search_term))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if "queryset" not in kwargs and related._meta.app_label == "estates":
            kwargs["queryset"] = visible(related._default_manager.all(), request.user)
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = TolerantAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        own_province = related is models.Province and role_of(request.user) == Role.PROVINCIAL
        if own_province:
            kwargs["queryset"] = models.Province.objects.filter(pk=province_id_of(request.user))
        field = super().formfield_for_foreignkey(
            db_field, request, **campaign_part_field(db_field, kwargs)
        )
        if own_province and field is not None:
            field.initial = province_id_of(request.user)  # the one choice, chosen already
        return field

    def get_list_filter(self, request):
        # A province filter means nothing to staff who see one province only; every other
        # foreign-key filter offers only the rows the user may see.
        filters = super().get_list_filter(request)
        if role_of(request.user) == Role.PROVINCIAL:
            filters = [f for f in filters if not (isinstance(f, str) and "province" in f)]
        return [self._scoped_filter(f) for f in filters]

    def _scoped_filter(self, list_filter):
        if not isinstance(list_filter, str):
            return list_filter
        field = None
        model = self.model
        for part in list_filter.split("__"):
            field = model._meta.get_field(part)
            model = field.related_model
        if field is not None and field.is_relation and model._meta.app_label == "estates":
            return (list_filter, ScopedRelatedFilter)
        return list_filter


class PublishedProtectionMixin:
    """Refuse to delete anything a published page shows, and say why."""

    def deletion_blocked(self, obj):
        estate = estate_of(obj)
        return estate is not None and estate.pk is not None and is_published_estate(estate)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and self.deletion_blocked(obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        may_delete = super().has_delete_permission(request)  # the role's permission
        if obj is not None and may_delete and self.deletion_blocked(obj):
            self.message_user(request, PUBLISHED_MESSAGE % {"obj": obj}, messages.ERROR)
            return HttpResponseRedirect(request.path.rsplit("/delete/", 1)[0] + "/change/")
        return super().delete_view(request, object_id, extra_context)

    def delete_queryset(self, request, queryset):
        blocked = [obj for obj in queryset if self.deletion_blocked(obj)]
        if blocked:
            raise PermissionDenied(PUBLISHED_MESSAGE % {"obj": blocked[0]})
        super().delete_queryset(request, queryset)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _function, name, description = actions["delete_selected"]
            actions["delete_selected"] = (guarded_delete_selected, name, description)
        return actions


def guarded_delete_selected(modeladmin, request, queryset):
    """Django's bulk delete, refused with a message when a selected row is on show."""
    blocked = [obj for obj in queryset if modeladmin.deletion_blocked(obj)]
    if blocked:
        modeladmin.message_user(request, PUBLISHED_MESSAGE % {"obj": blocked[0]}, messages.ERROR)
        return None
    return delete_selected(modeladmin, request, queryset)


def is_id(model, value):
    """Whether a URL's object id can be a primary key of the model."""
    try:
        model._meta.pk.to_python(unquote(value))
    except ValidationError:
        return False
    return True


class VersionedAdminMixin:
    """Forms of a Versioned model refuse a save made after someone else's (estates/versions.py);
    reverting to an old version from the history page is deliberate and not checked."""

    form = VersionCheckedForm

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if getattr(request, "_reverting", False):
            form.check_version = False  # a class made for this request
        return form


class DomainAdmin(
    ScopedAdminMixin, PublishedProtectionMixin, ReadableHistoryMixin, SimpleHistoryAdmin
):
    """Admin for estate and nomination data: scoped, protected, with history (in words,
    estates/admin/history.py) and revert."""

    def _history_visible(self, request, object_id):
        # The history pages fall back to historical rows when the object is not in
        # get_queryset(); only the ministry may read the history of what it cannot see
        # (such as deleted rows). Everyone else gets the answer for a missing id.
        if not is_id(self.model, object_id):
            return False  # "x" is missing too, not a server error
        if role_of(request.user) == Role.MINISTRY:
            return True
        return self.get_object(request, object_id) is not None

    def history_view(self, request, object_id, extra_context=None):
        if not self._history_visible(request, object_id):
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not self._history_visible(request, object_id):
            raise Http404
        if not is_id(self.model.history.model, version_id):
            raise Http404
        if not self.has_change_permission(request, self.get_object(request, object_id)):
            raise PermissionDenied
        request._reverting = True
        return super().history_form_view(request, object_id, version_id, extra_context)

    def save_model(self, request, obj, form, change):
        if change and getattr(request, "_reverting", False):
            # A revert saves a whole old version. Only what this user could edit in the form
            # goes back; everything else (a nomination's state, an estate's province, facts an
            # editor may not touch) keeps its current value.
            current = type(obj)._default_manager.filter(pk=obj.pk).first()
            if current is not None:
                for field in obj._meta.concrete_fields:
                    if not field.primary_key and field.name not in form.fields:
                        setattr(obj, field.attname, getattr(current, field.attname))
        super().save_model(request, obj, form, change)


class ReadOnlyAdminMixin:
    """Rows written only by the workflow (its log, the score rows made at assignment): shown,
    never added, changed or deleted on their own pages."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReferenceAdmin(ScopedAdminMixin, LogEntryHistoryMixin, admin.ModelAdmin):
    """Admin for shared reference data (provinces, catalogues, campaigns)."""


class ScopedInlineMixin(FormFieldsMixin):
    formset = SharedChoicesFormSet

    def get_queryset(self, request):
        return visible(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if "queryset" not in kwargs and related._meta.app_label == "estates":
            kwargs["queryset"] = visible(related._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(
            db_field, request, **campaign_part_field(db_field, kwargs)
        )

    def has_delete_permission(self, request, obj=None):
        # obj is the parent estate: rows of a published estate stay.
        if obj is not None and estate_of(obj) is not None and is_published_estate(estate_of(obj)):
            return False
        return super().has_delete_permission(request, obj)
