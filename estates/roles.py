"""Staff roles. Each role is a group (created by a migration) holding its permissions; a
user's province lives in its StaffProfile."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    MINISTRY = "ministry", _("部级管理员")
    PROVINCIAL = "provincial", _("省级填报员")
    REVIEWER = "reviewer", _("评审专家")
    EDITOR = "editor", _("编辑")


# The group that carries each role; the names are what staff see in the admin.
GROUP_NAMES = {
    Role.MINISTRY: "部级管理员",
    Role.PROVINCIAL: "省级填报员",
    Role.REVIEWER: "评审专家",
    Role.EDITOR: "编辑",
}
ROLES_NEEDING_PROVINCE = frozenset({Role.PROVINCIAL})

ESTATE_DATA = ["estate", "mechanism", "metric", "keyfigure", "activity", "honor", "photo"]
NOMINATION_DATA = ["nomination", "criterionevidence", "activityevidence"]
REFERENCE_DATA = [
    "province",
    "city",
    "propertycompany",
    "mechanismtype",
    "metrictype",
    "campaign",
    "criterion",
    "activityrequirement",
]
ALL_ACTIONS = ["view", "add", "change", "delete"]


def _perms(models_, actions):
    return {f"{action}_{model}" for model in models_ for action in actions}


# Permission codenames (app "estates") per role. Row-level limits (which province, which
# state) are applied on top of these by estates.access.
ROLE_PERMISSIONS = {
    Role.MINISTRY: _perms(
        ESTATE_DATA
        + NOMINATION_DATA
        + REFERENCE_DATA
        + [
            "review",
            "reviewscore",
            "objection",
            "nominationtransition",
            "campaignphasechange",
            "staffprofile",
            # Quotas per province, set on the campaign's form.
            "provincequota",
        ],
        ALL_ACTIONS,
    )
    # Changes to public estates waiting for review: "change" is deciding them
    # (estates/pending.py); nobody adds or deletes one by hand.
    | _perms(["pendingchange"], ["view", "change"]),
    Role.PROVINCIAL: _perms(ESTATE_DATA + NOMINATION_DATA, ALL_ACTIONS)
    | _perms(REFERENCE_DATA, ["view"])
    | {"add_propertycompany", "add_city"}
    # Their own province's changes of public estates waiting for review, and the decisions.
    | {"view_pendingchange"}
    # The log of their own nominations' moves, with the reasons for a return or a refusal,
    # on the nomination's page (estates.access scopes its rows to their province).
    | {"view_nominationtransition"},
    Role.REVIEWER: _perms(ESTATE_DATA + NOMINATION_DATA + REFERENCE_DATA, ["view"])
    | _perms(["review"], ["view", "change"])
    | _perms(["reviewscore"], ["view", "change"]),
    Role.EDITOR: _perms(ESTATE_DATA + NOMINATION_DATA + REFERENCE_DATA, ["view"])
    | {"change_estate", "add_photo", "change_photo", "delete_photo", "change_nomination"}
    | _perms(["pendingchange"], ["view", "change"]),
}


def role_of(user):
    """The user's role, or None. A superuser counts as ministry staff."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.MINISTRY
    names = getattr(user, "_role_group_names", None)
    if names is None:
        names = set(user.groups.values_list("name", flat=True))
        user._role_group_names = names
    for role, group in GROUP_NAMES.items():
        if group in names:
            return role
    return None


def province_of(user):
    """The province a user works for, or None."""
    profile = getattr(user, "staff_profile", None) if user.is_authenticated else None
    return profile.province if profile is not None else None


def province_id_of(user):
    cached = getattr(user, "_province_id", ...)
    if cached is ...:
        try:
            cached = user.staff_profile.province_id
        except (AttributeError, models.ObjectDoesNotExist):
            cached = None
        user._province_id = cached
    return cached


def sync_role_groups_in_migration(apps):
    """sync_role_groups() from a migration. Permissions are normally created after all
    migrations; on a new database the groups need them now, so they are created first."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_role_groups(apps)


def sync_role_groups(apps=None):
    """Create each role's group and give it exactly its permissions (used by a migration
    and by `manage.py create_staff_user`)."""
    from django.apps import apps as global_apps

    apps = apps or global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, name in GROUP_NAMES.items():
        group, _created = Group.objects.get_or_create(name=name)
        wanted = ROLE_PERMISSIONS[role]
        permissions = Permission.objects.filter(
            content_type__app_label="estates", codename__in=wanted
        )
        group.permissions.set(permissions)
