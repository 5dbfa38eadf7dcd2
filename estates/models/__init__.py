from .campaigns import (
    ActivityRequirement,
    Campaign,
    CampaignPhaseChange,
    Criterion,
    ProvinceQuota,
)
from .estates import Estate, PropertyCompany
from .imports import ImportUpload
from .nominations import (
    ActivityEvidence,
    CriterionEvidence,
    Nomination,
    NominationTransition,
    Objection,
    Review,
    ReviewScore,
)
from .notifications import MailState, Notification, NotificationKind
from .pending import PendingChange
from .profile import Activity, Honor, KeyFigure, Mechanism, MechanismType, Metric, MetricType, Photo
from .regions import City, Province
from .staff import StaffProfile

__all__ = [
    "Activity",
    "ActivityEvidence",
    "ActivityRequirement",
    "Campaign",
    "CampaignPhaseChange",
    "City",
    "Criterion",
    "CriterionEvidence",
    "Estate",
    "Honor",
    "ImportUpload",
    "KeyFigure",
    "MailState",
    "Mechanism",
    "MechanismType",
    "Metric",
    "MetricType",
    "Nomination",
    "NominationTransition",
    "Notification",
    "NotificationKind",
    "Objection",
    "PendingChange",
    "Photo",
    "PropertyCompany",
    "Province",
    "ProvinceQuota",
    "Review",
    "ReviewScore",
    "StaffProfile",
]
