"""The admin site staff work in: its index is a work list for the signed-in role, and its models
are grouped into sections named for the work instead of by app.

Kept outside the estates.admin package: Django imports the default site's class while that
package registers the model admins, and importing the package from here would build two sites.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _

from .roles import Role, role_of

# (section, its models in the order shown). A model in no section is listed under the last.
SECTIONS = [
    (
        _("评选工作"),
        [
            "Campaign",
            "Nomination",
            "Review",
            "Objection",
            "PendingEstateChange",
            "PendingChange",
            "Notification",
        ],
    ),
    (
        _("小区资料"),
        ["Estate", "Photo", "Mechanism", "Metric", "KeyFigure", "Activity", "Honor"],
    ),
    (
        _("基础数据"),
        [
            "Province",
            "City",
            "PropertyCompany",
            "MechanismType",
            "MetricType",
            "Criterion",
            "ActivityRequirement",
        ],
    ),
    (
        _("账号与日志"),
        ["User", "Group", "StaffProfile", "NominationTransition", "CampaignPhaseChange"],
    ),
]

# Models edited only inside another model's page (evidence boxes on the nomination, scores on
# the review, quotas on the campaign): their own lists stay reachable, but no one's index lists
# them.
EDITED_INSIDE = {"CriterionEvidence", "ActivityEvidence", "ReviewScore", "ProvinceQuota"}

# What each role's index lists: the models of its routine work. The ministry sees everything
# it may see. Permissions, not this list, decide what a role may open.
ROLE_MODELS = {
    Role.PROVINCIAL: {
        "Campaign",
        "Nomination",
        "PendingEstateChange",
        "PendingChange",
        "Estate",
        "Photo",
        "Mechanism",
        "Metric",
        "KeyFigure",
        "Activity",
        "Honor",
        "City",
        "PropertyCompany",
        "Notification",
    },
    Role.REVIEWER: {"Campaign", "Nomination", "Review", "Estate", "Notification"},
    Role.EDITOR: {
        "Campaign",
        "Nomination",
        "PendingEstateChange",
        "PendingChange",
        "Estate",
        "Photo",
        "Honor",
        "Notification",
    },
}


class PortalAdminSite(admin.AdminSite):
    site_header = _("美好家园 · 数据管理")
    site_title = _("美好家园数据管理")
    index_title = _("待办工作")
    index_template = "admin/showcase_index.html"

    def get_app_list(self, request, app_label=None):
        if app_label is not None:
            return super().get_app_list(request, app_label)
        models = [
            model
            for app in self._build_app_dict(request).values()
            for model in app["models"]
            if _listed_for(request.user, model["object_name"])
        ]
        return sections(models)

    def index(self, request, extra_context=None):
        from .worklist import work_list

        extra_context = {"work_list": work_list(request.user), **(extra_context or {})}
        return super().index(request, extra_context)


def _listed_for(user, object_name):
    if object_name in EDITED_INSIDE:
        return False
    wanted = ROLE_MODELS.get(role_of(user))
    return wanted is None or object_name in wanted


def sections(models):
    """The models grouped as SECTIONS, each section in its own order; empty sections dropped."""
    order = {name: (i, j) for i, (_s, names) in enumerate(SECTIONS) for j, name in enumerate(names)}
    last = len(SECTIONS) - 1
    grouped = [[] for _section in SECTIONS]
    for model in models:
        grouped[order.get(model["object_name"], (last, 0))[0]].append(model)
    result = []
    for i, ((title, _names), group) in enumerate(zip(SECTIONS, grouped, strict=True)):
        if not group:
            continue
        group.sort(key=lambda m: order.get(m["object_name"], (last, len(order)))[1])
        result.append(
            {
                "name": title,
                "app_label": f"section-{i + 1}",
                # A section is no app and has no page of its own: its caption opens its first list.
                "app_url": group[0]["admin_url"] or "",
                "has_module_perms": True,
                "models": group,
            }
        )
    return result


class PortalAdminConfig(AdminConfig):
    """django.contrib.admin with PortalAdminSite as its default site (named in settings)."""

    default_site = "estates.admin_site.PortalAdminSite"
