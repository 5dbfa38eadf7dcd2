"""Nominations (推荐), their evidence, reviews and objections (异议)."""

import secrets

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..enums import RESULTS_PUBLIC_PHASES, CampaignPhase, NominationState, ObjectionState
from ..numbers import plain_number
from ..people import person_name
from ..validators import score_validators
from .campaigns import ActivityRequirement, Campaign, Criterion
from .checks import CheckedModel
from .estates import Estate
from .versions import Versioned

# Nominations that reviewers work on: assigning reviewers is for these.
REVIEWABLE_STATES = (NominationState.SUBMITTED, NominationState.UNDER_REVIEW)


class NominationQuerySet(models.QuerySet):
    def public(self):
        """Nominations the public may see: selected in a campaign whose results are public.
        The one statement of the rule (Estate.is_published is kept from it)."""
        return self.filter(
            state=NominationState.SELECTED, campaign__phase__in=RESULTS_PUBLIC_PHASES
        )

    def with_headline_metrics(self):
        """With their estate's region and company, its latest satisfaction and fee collection
        (`satisfaction`, `fee_collection`), in the official order: province, the province's
        own order, pinyin. The notice page and the result list read nominations so."""
        from .profile import latest_metric_value

        return (
            self.select_related("estate__province", "estate__city", "estate__property_company")
            .annotate(
                satisfaction=latest_metric_value(estate_path="estate", code="satisfaction"),
                fee_collection=latest_metric_value(estate_path="estate", code="fee_collection"),
            )
            .order_by("estate__province__display_order", "province_sequence", "estate__name_pinyin")
        )

    def missing_evidence(self):
        """Nominations with a criterion or required activity of their campaign that has no
        written text yet: Nomination.missing_evidence() as a filter (text is stored stripped)."""
        written = models.Q(nomination=models.OuterRef(models.OuterRef("pk"))) & ~models.Q(text="")
        unwritten_criteria = Criterion.objects.filter(campaign=models.OuterRef("campaign")).exclude(
            models.Exists(
                CriterionEvidence.objects.filter(written, criterion=models.OuterRef("pk"))
            )
        )
        unwritten_activities = ActivityRequirement.objects.filter(
            campaign=models.OuterRef("campaign")
        ).exclude(
            models.Exists(
                ActivityEvidence.objects.filter(written, requirement=models.OuterRef("pk"))
            )
        )
        return self.filter(models.Exists(unwritten_criteria) | models.Exists(unwritten_activities))

    def short_of_reviewers(self):
        """Submitted or under-review nominations with fewer reviewers assigned than their
        campaign asks for (Campaign.reviewers_per_nomination)."""
        assigned = (
            Review.objects.filter(nomination=models.OuterRef("pk"))
            .values("nomination")
            .annotate(n=models.Count("pk"))
            .values("n")[:1]
        )
        return (
            self.filter(state__in=REVIEWABLE_STATES)
            .alias(
                reviewers_assigned=Coalesce(
                    models.Subquery(assigned, output_field=models.IntegerField()), 0
                )
            )
            .filter(reviewers_assigned__lt=models.F("campaign__reviewers_per_nomination"))
        )

    def returned(self):
        """Drafts sent back for correction: their latest state change was submitted → draft."""
        latest_from = (
            NominationTransition.objects.filter(nomination=models.OuterRef("pk"))
            .order_by("-at", "-pk")
            .values("from_state")[:1]
        )
        return (
            self.filter(state=NominationState.DRAFT)
            .alias(latest_from=models.Subquery(latest_from))
            .filter(latest_from=NominationState.SUBMITTED)
        )

    def update(self, **kwargs):
        """A bulk update may change a state: keep Estate.is_published true in the same
        transaction (estates/publication.py), as saving one nomination does."""
        from ..publication import announce_public_change, refresh_publication

        with transaction.atomic(using=self.db):
            estate_ids = list(self.values_list("estate_id", flat=True))
            rows = super().update(**kwargs)
            refresh_publication(estate_ids)
            if rows:
                announce_public_change()
        return rows


class Nomination(Versioned, models.Model):
    """An estate put forward to a campaign; its state changes only through the workflow."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="nominations", verbose_name=_("评选活动")
    )
    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="nominations", verbose_name=_("小区")
    )
    nominating_authority = models.CharField(
        _("推荐单位"), max_length=100, blank=True, help_text=_("如：北京市住房和城乡建设委员会")
    )
    province_sequence = models.PositiveSmallIntegerField(
        _("省内序号"),
        null=True,
        blank=True,
        help_text=_("在本省专题中的排列序号（01、02……）。"),
    )
    state = models.CharField(
        _("状态"),
        max_length=20,
        choices=NominationState.choices,
        default=NominationState.DRAFT,
    )
    statement = models.TextField(_("推荐理由"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    objects = NominationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("推荐")
        verbose_name_plural = _("推荐")
        ordering = ["campaign", "estate__province__display_order", "province_sequence", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "estate"],
                name="nomination_one_per_estate_and_campaign",
                violation_error_message=_("该小区已被推荐参加本次评选活动，不能重复推荐。"),
            ),
        ]

    def __str__(self):
        return f"{self.estate} · {self.campaign}"

    def missing_evidence(self):
        """Titles of the campaign's criteria and required activities with no text yet."""
        written_criteria = {e.criterion_id for e in self.criterion_evidence.all() if e.text.strip()}
        written_activities = {
            e.requirement_id for e in self.activity_evidence.all() if e.text.strip()
        }
        missing = [str(c) for c in self.campaign.criteria.all() if c.pk not in written_criteria]
        missing += [
            str(r)
            for r in self.campaign.activity_requirements.all()
            if r.pk not in written_activities
        ]
        return missing


class CriterionEvidence(models.Model):
    """The nomination's text for one principle requirement: section (一)…(九) of a report."""

    nomination = models.ForeignKey(
        Nomination,
        on_delete=models.CASCADE,
        related_name="criterion_evidence",
        verbose_name=_("推荐"),
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("原则要求")
    )
    text = models.TextField(_("落实情况"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("原则要求落实情况")
        verbose_name_plural = _("原则要求落实情况")
        ordering = ["nomination", "criterion__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["nomination", "criterion"],
                name="criterion_evidence_one_per_criterion",
                violation_error_message=_("每项原则要求只填写一段落实情况。"),
            ),
        ]

    def __str__(self):
        return str(self.criterion)

    def clean(self):
        super().clean()
        if (
            self.nomination_id
            and self.criterion_id
            and self.criterion.campaign_id != self.nomination.campaign_id
        ):
            raise ValidationError({"criterion": _("这项原则要求不属于该推荐的评选活动。")})


class ActivityEvidence(models.Model):
    """The nomination's text for one required activity (8个“一”)."""

    nomination = models.ForeignKey(
        Nomination,
        on_delete=models.CASCADE,
        related_name="activity_evidence",
        verbose_name=_("推荐"),
    )
    requirement = models.ForeignKey(
        ActivityRequirement,
        on_delete=models.PROTECT,
        related_name="evidence",
        verbose_name=_("规定活动"),
    )
    text = models.TextField(_("开展情况"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("规定活动开展情况")
        verbose_name_plural = _("规定活动开展情况")
        ordering = ["nomination", "requirement__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["nomination", "requirement"],
                name="activity_evidence_one_per_requirement",
                violation_error_message=_("每项规定活动只填写一段开展情况。"),
            ),
        ]

    def __str__(self):
        return str(self.requirement)

    def clean(self):
        super().clean()
        if (
            self.nomination_id
            and self.requirement_id
            and self.requirement.campaign_id != self.nomination.campaign_id
        ):
            raise ValidationError({"requirement": _("这项规定活动不属于该推荐的评选活动。")})


class NominationTransition(models.Model):
    """One state change of a nomination: who, when, from, to and why."""

    nomination = models.ForeignKey(
        Nomination, on_delete=models.CASCADE, related_name="transitions", verbose_name=_("推荐")
    )
    from_state = models.CharField(
        _("原状态"), max_length=20, choices=NominationState.choices, blank=True
    )
    to_state = models.CharField(_("新状态"), max_length=20, choices=NominationState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    reason = models.TextField(_("理由"), blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("推荐状态变更")
        verbose_name_plural = _("推荐状态变更")
        ordering = ["nomination", "at", "pk"]

    def __str__(self):
        return f"{self.get_from_state_display() or '—'} → {self.get_to_state_display()}"


class Review(Versioned, models.Model):
    """One reviewer's assessment of one nomination."""

    nomination = models.ForeignKey(
        Nomination, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("推荐")
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="reviews",
        verbose_name=_("评审专家"),
    )
    comment = models.TextField(_("总体意见"), blank=True)
    assigned_at = models.DateTimeField(_("分配时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评审")
        verbose_name_plural = _("评审")
        ordering = ["nomination", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["nomination", "reviewer"],
                name="review_one_per_reviewer",
                violation_error_message=_("该专家已被分配评审这项推荐。"),
            ),
        ]

    def __str__(self):
        return f"{self.nomination.estate} · {person_name(self.reviewer)}"

    def scoring_closed(self):
        """Why this review's scores may not change now, or None while they may: scores are
        given only until the review is handed in, and only while its campaign is being
        reviewed. The one statement of the rule: the score model, the admin and the
        workflow all ask here."""
        if self.submitted_at is not None:
            return _("这份评审已于 %(at)s 提交，得分不能再修改。") % {
                "at": timezone.localtime(self.submitted_at).strftime("%Y-%m-%d %H:%M")
            }
        if self.nomination.campaign.phase != CampaignPhase.REVIEWING:
            return _("评选活动“%(campaign)s”不在评审阶段，不能打分。") % {
                "campaign": self.nomination.campaign
            }
        return None

    def total(self):
        """The weighted total (0–100) of a complete review, else None."""
        scores = list(self.scores.all())
        if not scores or any(s.score is None for s in scores):
            return None
        return sum(s.score * s.criterion.weight for s in scores) / 100


class ReviewScore(CheckedModel):
    """A reviewer's score, 0–100, for one criterion."""

    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="scores", verbose_name=_("评审")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="scores", verbose_name=_("原则要求")
    )
    score = models.DecimalField(
        _("得分"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=score_validators,
        help_text=_("0 到 100 分；提交评审前每项都要打分。"),
    )
    comment = models.TextField(_("评语"), blank=True)

    class Meta:
        verbose_name = _("评审得分")
        verbose_name_plural = _("评审得分")
        ordering = ["review", "criterion__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "criterion"],
                name="review_score_one_per_criterion",
                violation_error_message=_("每项原则要求只打一个分。"),
            ),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=0, score__lte=100),
                name="review_score_between_0_and_100",
                violation_error_code="score_range",
                violation_error_message=_("得分必须在 0 到 100 之间。"),
            ),
        ]

    def __str__(self):
        score = _("未打分") if self.score is None else plain_number(self.score)
        return f"{self.criterion}：{score}"

    def scoring_errors(self):
        """What is wrong with giving this score now, as a ValidationError's dict (empty when
        nothing is): the criterion must be one of the review's own campaign, and the review
        open for scoring (Review.scoring_closed)."""
        if self.review_id is None:
            return {}
        review = self.review
        errors = {}
        if self.criterion_id is not None and (
            self.criterion.campaign_id != review.nomination.campaign_id
        ):
            errors["criterion"] = [_("这项原则要求不属于该评审所在的评选活动。")]
        closed = review.scoring_closed()
        if closed:
            errors.setdefault(NON_FIELD_ERRORS, []).append(closed)
        return errors

    def clean(self):
        super().clean()
        errors = self.scoring_errors()
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # Forms call clean() first and show the message; this holds for every other path
        # (a script, an import, a forged admin request), so a handed-in review stays as it was.
        errors = self.scoring_errors()
        if errors:
            raise ValidationError(errors)
        super().save(*args, **kwargs)


def new_objection_reference():
    """A reference the sender can quote and look the result up by, e.g. "YY-7K3F-9Q2M-HX4D"
    (no 0/O or 1/I to misread): 12 characters of 32, 60 bits, so guessing one is hopeless
    even before the lookup's per-client limit."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    code = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"YY-{code[:4]}-{code[4:8]}-{code[8:]}"


class Objection(models.Model):
    """An objection (异议) raised by the public during the notice period. Never public."""

    nomination = models.ForeignKey(
        Nomination, on_delete=models.PROTECT, related_name="objections", verbose_name=_("推荐")
    )
    reference = models.CharField(
        _("受理编号"), max_length=20, unique=True, default=new_objection_reference, editable=False
    )
    text = models.TextField(_("异议内容"), max_length=2000)
    contact = models.CharField(
        _("联系方式"), max_length=100, blank=True, help_text=_("选填，仅供核查人员联系，不公开。")
    )
    received_at = models.DateTimeField(_("收到时间"), auto_now_add=True)
    state = models.CharField(
        _("处理状态"),
        max_length=20,
        choices=ObjectionState.choices,
        default=ObjectionState.RECEIVED,
    )
    response = models.TextField(_("处理意见"), blank=True)
    public_response = models.TextField(
        _("公开答复"),
        blank=True,
        help_text=_("提出人凭受理编号查询时看到的答复；留空则只显示处理状态。不要写入个人信息。"),
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("处理人"),
    )
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    # A keyed hash of the sender's address, for the per-client limit; never shown.
    client_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["-received_at", "pk"]

    def __str__(self):
        return self.reference
