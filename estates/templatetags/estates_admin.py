"""The admin index's overview: each campaign's nominations by province and state."""

from collections import defaultdict

from django import template
from django.db.models import Count

from ..access import visible
from ..enums import NominationState
from ..models import Campaign, Nomination
from ..roles import Role, role_of

register = template.Library()


@register.inclusion_tag("admin/_campaign_overview.html")
def campaign_overview(user):
    rows = (
        visible(Nomination.objects.all(), user)
        .values(
            "campaign_id",
            "estate__province__short_name",
            "estate__province__display_order",
            "state",
        )
        .annotate(n=Count("pk"))
    )
    counts = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        key = (row["estate__province__display_order"], row["estate__province__short_name"])
        counts[row["campaign_id"]][key][row["state"]] = row["n"]
    campaigns = visible(Campaign.objects.filter(pk__in=list(counts)), user)
    overview = []
    for campaign in campaigns:
        provinces = sorted(counts[campaign.pk].items())
        table = [
            (name, [by_state.get(state, 0) for state in NominationState.values])
            for (_order, name), by_state in provinces
        ]
        selected = sum(by_state.get(NominationState.SELECTED, 0) for _key, by_state in provinces)
        overview.append(
            {
                "campaign": campaign,
                "table": table,
                "totals": [sum(col) for col in zip(*[cells for _n, cells in table], strict=True)],
                "selected": selected,
                "remaining": None if campaign.quota is None else campaign.quota - selected,
            }
        )
    # The quota is the ministry's to manage; counted over one province it would mislead.
    return {
        "overview": overview,
        "states": NominationState.labels,
        "show_quota": role_of(user) == Role.MINISTRY,
    }
