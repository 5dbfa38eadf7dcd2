"""Automatic reviewer assignment: a plan of who reviews which nomination, shown before anything
is saved and saved only if it is still the plan when confirmed.

`plan_assignment()` is pure: every nomination gets the reviewers it still lacks, each next
place going to the least-loaded eligible reviewer (fewest reviews in the campaign, ties by
username), never one already on it nor one `workflow.reviewer_problem()` refuses; then new
places are passed on until no reviewer's load can come down without another's going up.
`current_plan()` reads its inputs in a fixed number of queries; `save_plan()` recomputes the
plan under the campaign's lock and saves it through `workflow.assign_reviewer()`, atomically,
only when it is the plan the person confirmed.
"""

from collections import deque
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext_lazy as _

from .enums import CampaignPhase
from .models import Campaign, Review
from .models.nominations import REVIEWABLE_STATES
from .people import person_name, without_note
from .roles import GROUP_NAMES, Role
from .workflow import assign_reviewer, reviewer_problem


@dataclass
class PlanRow:
    nomination: object
    wanted: int
    existing: list = field(default_factory=list)
    new: list = field(default_factory=list)

    @property
    def missing(self):
        """Places no eligible reviewer is left for."""
        return max(self.wanted - len(self.existing) - len(self.new), 0)


@dataclass
class Plan:
    rows: list
    reviewers: list
    load: dict  # reviewer id → reviews in the campaign once the plan is saved
    skipped: list = field(default_factory=list)  # nominations in another state

    def pairs(self):
        return sorted((row.nomination.pk, r.pk) for row in self.rows for r in row.new)

    def signature(self):
        """The plan in one string, to compare what was shown with what would be saved."""
        return ",".join(f"{n}:{r}" for n, r in self.pairs())

    @property
    def new_count(self):
        return sum(len(row.new) for row in self.rows)

    @property
    def short_rows(self):
        return [row for row in self.rows if row.missing]

    def reviewer_loads(self):
        """[(reviewer, load before, load after)] in the order reviewers are chosen."""
        added = {}
        for _n, reviewer_id in self.pairs():
            added[reviewer_id] = added.get(reviewer_id, 0) + 1
        return [
            (r, self.load[r.pk] - added.get(r.pk, 0), self.load[r.pk])
            for r in sorted(self.reviewers, key=lambda r: (r.username, r.pk))
        ]


def may_review(nomination, reviewer):
    return reviewer_problem(nomination, reviewer) is None


def plan_assignment(nominations, reviewers, wanted, assigned, load, eligible=may_review):
    """The plan for `nominations` (each with `pk`), given:

    reviewers -- the reviewers to choose from (each with `pk` and `username`);
    wanted    -- reviewers each nomination should have in all;
    assigned  -- {nomination id: [reviewers already assigned]};
    load      -- {reviewer id: reviews they already have in the campaign};
    eligible  -- eligible(nomination, reviewer): whether the reviewer may review it.

    Each place goes to the least-loaded eligible reviewer, the nominations with the fewest
    eligible reviewers choosing first; then the new places are evened out (_even_out)."""
    load = {r.pk: load.get(r.pk, 0) for r in reviewers}
    rows, choices = [], {}
    for nomination in nominations:
        existing = list(assigned.get(nomination.pk, []))
        taken = {r.pk for r in existing}
        rows.append(PlanRow(nomination, wanted, existing))
        choices[nomination.pk] = [
            r for r in reviewers if r.pk not in taken and eligible(nomination, r)
        ]
    for row in sorted(rows, key=lambda row: len(choices[row.nomination.pk])):
        candidates = choices[row.nomination.pk]
        for _place in range(row.missing):
            if not candidates:
                break
            chosen = min(candidates, key=lambda r: (load[r.pk], r.username, r.pk))
            candidates = [r for r in candidates if r is not chosen]
            row.new.append(chosen)
            load[chosen.pk] += 1
    _even_out(rows, reviewers, choices, load)
    return Plan(rows, list(reviewers), load)


def _even_out(rows, reviewers, choices, load):
    """Hand new places on from a reviewer to one with at least two reviews fewer, along a
    chain where needed (A's place on one nomination to B, B's on another to C), until no
    chain is left: then no one's load can come down without another's going above it. Each
    step lowers the sum of the squared loads, so it ends; places already assigned stay."""
    while True:
        lightest = min((load[r.pk] for r in reviewers), default=0)
        sources = sorted(
            (r for r in reviewers if load[r.pk] >= lightest + 2),
            key=lambda r: (-load[r.pk], r.username, r.pk),
        )
        chain = next(filter(None, (_chain(s, rows, choices, load) for s in sources)), None)
        if chain is None:
            return
        for row, giver, taker in chain:
            row.new[row.new.index(giver)] = taker
        load[chain[0][1].pk] -= 1
        load[chain[-1][2].pk] += 1


def _chain(source, rows, choices, load):
    """The shortest chain [(row, giver, taker)] of moves of new places from `source` to a
    reviewer with at least two reviews fewer, or None (a breadth-first search)."""
    rows_of = {}
    for row in rows:
        for reviewer in row.new:
            rows_of.setdefault(reviewer.pk, []).append(row)
    reached = {source.pk: None}
    queue = deque([source])
    while queue:
        giver = queue.popleft()
        for row in rows_of.get(giver.pk, []):
            on_it = {r.pk for r in row.existing + row.new}
            for taker in choices[row.nomination.pk]:
                if taker.pk in on_it or taker.pk in reached:
                    continue
                reached[taker.pk] = (row, giver)
                if load[taker.pk] <= load[source.pk] - 2:
                    return _back(reached, taker)
                queue.append(taker)
    return None


def _back(reached, taker):
    chain = []
    while reached[taker.pk] is not None:
        row, giver = reached[taker.pk]
        chain.append((row, giver, taker))
        taker = giver
    return chain[::-1]


def active_reviewers():
    """Active reviewers with their province and role read in two queries, so that
    reviewer_problem() asks the database nothing more for them."""
    reviewers = list(
        get_user_model()
        .objects.filter(groups__name=GROUP_NAMES[Role.REVIEWER], is_active=True)
        .select_related("staff_profile__province")
        .prefetch_related("groups")
        .order_by("username", "pk")
        .distinct()
    )
    for reviewer in reviewers:
        # The caches estates.roles.role_of() and province_id_of() fill on first use.
        reviewer._role_group_names = {group.name for group in reviewer.groups.all()}
        profile = getattr(reviewer, "staff_profile", None)
        reviewer._province_id = profile.province_id if profile is not None else None
    return _named(reviewers)


def reviewer_label(user, load=None, open_reviews=None):
    """“王五（江苏，已分配 12 项，未提交 3 项）”: what a ministry clerk chooses a reviewer by."""
    province = str(province_of_reviewer(user))
    parts = [without_note(person_name(user), province), "（", province]
    if load is not None:
        parts.append(_("，已分配 %(count)s 项") % {"count": load})
    if open_reviews:
        parts.append(_("，未提交 %(count)s 项") % {"count": open_reviews})
    parts.append("）")
    return "".join(str(part) for part in parts)


def province_of_reviewer(user):
    profile = getattr(user, "staff_profile", None)
    return profile.province.short_name if profile and profile.province else _("未填省份")


def _named(users):
    """The users, each with the `name` and `label` the preview shows."""
    for user in users:
        user.display_name = person_name(user)
        user.label = reviewer_label(user)
    return users


def reviewers_with_load(campaign=None):
    """Active reviewers with `load` (their reviews in the campaign, or in the campaigns being
    reviewed when none is given) and `open_reviews` (those not handed in yet)."""
    in_scope = (
        Q(reviews__nomination__campaign=campaign)
        if campaign is not None
        else Q(reviews__nomination__campaign__phase=CampaignPhase.REVIEWING)
    )
    return (
        get_user_model()
        .objects.filter(groups__name=GROUP_NAMES[Role.REVIEWER], is_active=True)
        .select_related("staff_profile__province")
        .annotate(
            load=Count("reviews", filter=in_scope, distinct=True),
            open_reviews=Count(
                "reviews", filter=in_scope & Q(reviews__submitted_at__isnull=True), distinct=True
            ),
        )
        .order_by("username", "pk")
    )


def campaign_load(campaign):
    """{reviewer id: reviews in the campaign}."""
    rows = (
        Review.objects.filter(nomination__campaign=campaign)
        .values("reviewer")
        .annotate(n=Count("pk"))
        .values_list("reviewer", "n")
    )
    return dict(rows)


def current_plan(campaign, nominations, wanted=None):
    """The plan for the given nominations of one campaign, as the database stands now."""
    wanted = wanted or campaign.reviewers_per_nomination
    reviews = Review.objects.select_related("reviewer__staff_profile__province").order_by(
        "reviewer__username"
    )
    nominations = list(
        nominations.select_related("estate__province", "campaign").prefetch_related(
            Prefetch("reviews", queryset=reviews, to_attr="assigned_reviews")
        )
    )
    assignable = [n for n in nominations if n.state in REVIEWABLE_STATES]
    plan = plan_assignment(
        assignable,
        active_reviewers(),
        wanted,
        {n.pk: _named([review.reviewer for review in n.assigned_reviews]) for n in assignable},
        campaign_load(campaign),
    )
    plan.skipped = [n for n in nominations if n.state not in REVIEWABLE_STATES]
    return plan


def save_plan(campaign, nominations, wanted, confirmed, actor):
    """Save the plan if it is still the one confirmed (its signature); returns (plan, saved).
    Two clerks confirming at once take turns on the campaign's lock; the second finds a
    different plan and is shown it instead of saving one nobody saw."""
    with transaction.atomic():
        Campaign.objects.select_for_update().get(pk=campaign.pk)
        plan = current_plan(campaign, nominations, wanted)
        if plan.signature() != confirmed:
            return plan, False
        for row in plan.rows:
            for reviewer in row.new:
                assign_reviewer(row.nomination, reviewer, actor)
    return plan, True
