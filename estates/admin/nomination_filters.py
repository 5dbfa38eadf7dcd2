"""The nomination and review lists' work filters. The admin index's work list links to them
(estates/worklist.py), so their parameter names and values are a contract: reviewers=short|
enough, evidence=missing|complete, returned=yes on nominations, handed_in=no|yes on reviews.
Each filters with the queryset method the work list counts with."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .. import models
from ..models.nominations import REVIEWABLE_STATES


class ChoiceFilter(admin.SimpleListFilter):
    """A filter with fixed choices, each a function of the queryset."""

    options = {}  # value → (label, queryset → queryset)

    def lookups(self, request, model_admin):
        return [(value, label) for value, (label, _narrow) in self.options.items()]

    def queryset(self, request, queryset):
        choice = self.options.get(self.value())
        return queryset if choice is None else choice[1](queryset)


def _enough_reviewers(queryset):
    short = models.Nomination.objects.short_of_reviewers().values("pk")
    return queryset.filter(state__in=REVIEWABLE_STATES).exclude(pk__in=short)


class ReviewersFilter(ChoiceFilter):
    """Nominations handed in or under review, by whether they have as many reviewers as
    their campaign asks for."""

    title = _("评审专家")
    parameter_name = "reviewers"
    options = {
        "short": (_("评审专家不足"), lambda qs: qs.short_of_reviewers()),
        "enough": (_("评审专家已够"), _enough_reviewers),
    }


class EvidenceFilter(ChoiceFilter):
    title = _("材料")
    parameter_name = "evidence"
    options = {
        "missing": (_("材料未填完"), lambda qs: qs.missing_evidence()),
        "complete": (
            _("材料已填完"),
            lambda qs: qs.exclude(pk__in=models.Nomination.objects.missing_evidence().values("pk")),
        ),
    }


class ReturnedFilter(ChoiceFilter):
    title = _("退回")
    parameter_name = "returned"
    options = {"yes": (_("被退回修改"), lambda qs: qs.returned())}


class HandedInFilter(ChoiceFilter):
    title = _("提交情况")
    parameter_name = "handed_in"
    options = {
        "no": (_("未提交"), lambda qs: qs.filter(submitted_at__isnull=True)),
        "yes": (_("已提交"), lambda qs: qs.filter(submitted_at__isnull=False)),
    }
