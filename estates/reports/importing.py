"""What reading a report into a nomination would change, and changing it once confirmed.

`plan()` compares a Report (reading.py) with the nomination and its estate as they are: for
each evidence box and for the estate's 概况 and 亮点 whether the report fills it, leaves it, says
the same, or differs from text already typed (then only the clerk's choice for that box
replaces it); for each basic fact whether it is new, the same, different or not valid.
`apply()` does what the clerk chose, in one transaction, and only to boxes nobody has changed
since the preview (each box's text is fingerprinted in the preview form).
"""

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import pending
from ..models import ActivityEvidence, CriterionEvidence, Estate, Nomination, PropertyCompany
from ..numbers import plain_number
from .reading import ACTIVITIES, CRITERIA

# Box states in the preview.
FILL = "fill"  # the box is empty: the report's text goes in
SAME = "same"  # the box already says what the report says
CHOOSE = "choose"  # the box has other text: replaced only if the clerk chooses so
ABSENT = "absent"  # the report has nothing for the box: it stays as it is
REPORT_EMPTY = "report_empty"  # the report's section is empty: the typed text stays

# Fact states.
NEW, DIFFERS, INVALID = "new", "differs", "invalid"

ESTATE_TEXTS = ("overview", "highlights")


def fingerprint(text):
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()[:16]


@dataclass
class BoxPlan:
    key: str
    label: str
    group: str
    current: str
    new: str | None
    heading: str = ""
    by_number: bool = False
    status: str = ABSENT
    row: object = None  # the evidence row, for a requirement's or an activity's box

    @property
    def fingerprint(self):
        return fingerprint(self.current)

    @property
    def changes(self):
        return self.status in (FILL, CHOOSE)


@dataclass
class FactPlan:
    field: str
    label: str
    found: str
    current: str
    source: str
    status: str
    value: object = None
    extra: dict = field(default_factory=dict)
    error: str = ""
    about: bool = False  # "约…" in the report: offered, never ticked for the clerk

    @property
    def ticked(self):
        """Ticked in the preview: a figure the estate lacks, given exactly."""
        return self.status == NEW and not self.about


@dataclass
class Plan:
    boxes: list
    facts: list
    leftovers: list
    images: int
    sections_found: list

    def box(self, key):
        return next((b for b in self.boxes if b.key == key), None)

    @property
    def anything_to_apply(self):
        return any(b.changes for b in self.boxes) or any(
            f.status in (NEW, DIFFERS) for f in self.facts
        )

    def counts(self):
        return {
            status: sum(1 for b in self.boxes if b.status == status)
            for status in (FILL, SAME, CHOOSE, ABSENT, REPORT_EMPTY)
        }


def _status(current, new):
    if new is None:
        return ABSENT
    if new == current:
        return SAME
    if not new:
        return REPORT_EMPTY
    if not current.strip():
        return FILL
    return CHOOSE


def evidence_rows(nomination):
    criteria = (
        CriterionEvidence.objects.filter(nomination=nomination)
        .select_related("criterion")
        .order_by("criterion__number")
    )
    activities = (
        ActivityEvidence.objects.filter(nomination=nomination)
        .select_related("requirement")
        .order_by("requirement__number")
    )
    return list(criteria), list(activities)


def plan(report, nomination, estate=None):
    """The preview of reading `report` into `nomination` (and its estate, as it is now)."""
    estate = estate or nomination.estate
    criteria, activities = evidence_rows(nomination)
    found = {(item.kind, item.box): item for item in report.items}
    boxes = []
    parts = ((CRITERIA, criteria, "criterion"), (ACTIVITIES, activities, "requirement"))
    for group, rows, attr in parts:
        for row in rows:
            part = getattr(row, attr)
            item = found.get((group, part.number))
            new = item.text if item else None
            boxes.append(
                BoxPlan(
                    key=f"{group}:{row.pk}",
                    label=str(part),
                    group=group,
                    current=row.text,
                    new=new,
                    heading=item.heading if item else "",
                    by_number=item.by_number if item else False,
                    status=_status(row.text, new),
                    row=row,
                )
            )
    texts = {"overview": report.overview, "highlights": report.highlights}
    labels = {
        "overview": _("小区概况（报告的“基本情况”）"),
        "highlights": _("小区亮点（报告的“工作成效”）"),
    }
    for name in ESTATE_TEXTS:
        current = getattr(estate, name)
        boxes.append(
            BoxPlan(
                key=f"estate:{name}",
                label=labels[name],
                group="estate",
                current=current,
                new=texts[name],
                status=_status(current, texts[name]),
            )
        )
    facts = [_fact_plan(fact, estate) for fact in report.facts]
    return Plan(boxes, facts, report.leftovers, report.images, report.sections_found)


def _fact_plan(fact, estate):
    model_field = Estate._meta.get_field(fact.field)
    label = str(model_field.verbose_name)
    if fact.field == "property_company":
        current = estate.property_company.name if estate.property_company_id else ""
        status = SAME if current == fact.value else (NEW if not current else DIFFERS)
        return FactPlan(fact.field, label, fact.value, current, fact.source, status, fact.value)
    try:
        value = model_field.clean(model_field.to_python(fact.value), estate)
    except ValidationError as error:
        return FactPlan(
            fact.field,
            label,
            fact.value,
            _display(estate, fact.field),
            fact.source,
            INVALID,
            error="；".join(error.messages),
        )
    current = getattr(estate, fact.field)
    extra_current = {name: getattr(estate, name) for name in fact.extra}
    if current == value and extra_current == fact.extra:
        status = SAME
    elif current is None:
        status = NEW
    else:
        status = DIFFERS
    found = _display_value(fact.field, value, fact.extra)
    if fact.about and not found.startswith(_("约")):
        found = _("约 %(value)s") % {"value": found}
    return FactPlan(
        fact.field,
        label,
        found,
        _display(estate, fact.field),
        fact.source,
        status,
        value,
        dict(fact.extra),
        about=fact.about,
    )


def _display_value(name, value, extra):
    if value is None:
        return _("未提供")
    if name == "land_area" and extra.get("land_area_in_mu"):
        mu = (Decimal(value) * 3 / 2000).quantize(Decimal("0.01"))
        return _("%(mu)s 亩（%(m2)s 平方米）") % {
            "mu": plain_number(mu),
            "m2": plain_number(value),
        }
    if name in ("land_area", "floor_area"):
        about = _("约") if extra.get("floor_area_is_approximate") else ""
        return _("%(about)s%(m2)s 平方米") % {"about": about, "m2": plain_number(value)}
    if name == "green_coverage":
        return f"{plain_number(value)}%"
    if name == "households":
        return _("%(n)s 户") % {"n": value}
    if isinstance(value, Decimal):
        return plain_number(value)
    return str(value)


def _display(estate, name):
    if name == "property_company":
        return estate.property_company.name if estate.property_company_id else ""
    value = getattr(estate, name)
    if value is None:
        return ""
    extra = {}
    if name == "land_area":
        extra["land_area_in_mu"] = estate.land_area_in_mu
    if name == "floor_area":
        extra["floor_area_is_approximate"] = estate.floor_area_is_approximate
    return _display_value(name, value, extra)


# ---------------------------------------------------------------------------------------------
# Applying.


@dataclass
class Outcome:
    filled: list = field(default_factory=list)
    replaced: list = field(default_factory=list)
    kept: list = field(default_factory=list)
    changed_since: list = field(default_factory=list)
    facts: list = field(default_factory=list)
    estate_pending: bool = False


def apply(report, nomination_id, choices, seen, user, filename, may_change_estate, may_import):
    """Read the report into the nomination as the clerk chose.

    `choices`: the box keys to write (an empty box is written when listed, a box with text
    only when listed — the preview lists boxes to fill by default, never one to replace);
    `seen`: {key: fingerprint} of each box's text as the preview showed it; a box changed
    since is left alone and named in the outcome. `facts`: field names in `choices` as
    "fact:<name>". `may_import(nomination)` is asked again under the lock; the estate's
    fields are written only when `may_change_estate(estate)`, and wait for review where
    a province's edit of a public estate waits (pending.py)."""
    reason = _("从 Word 报告读入：%(name)s") % {"name": filename}
    reason = reason[: pending.HISTORY_REASON_LENGTH]
    outcome = Outcome()
    with transaction.atomic():
        nomination = (
            Nomination.objects.select_for_update().select_related("estate").get(pk=nomination_id)
        )
        if not may_import(nomination):
            raise PermissionDenied(
                _("这条推荐已经是“%(state)s”，不能再读入报告。")
                % {"state": nomination.get_state_display()}
            )
        estate = nomination.estate
        current = plan(report, nomination, estate)
        estate_values = {}
        for box in current.boxes:
            if not box.changes:
                continue
            if box.key not in choices:
                if box.status == CHOOSE:
                    outcome.kept.append(box.label)
                continue
            if seen.get(box.key) != box.fingerprint:
                outcome.changed_since.append(box.label)
                continue
            (outcome.filled if box.status == FILL else outcome.replaced).append(box.label)
            if box.group == "estate":
                estate_values[box.key.split(":", 1)[1]] = box.new
                continue
            row = box.row
            row.text = box.new
            row._change_reason = reason
            row.save(update_fields=["text"])
        for fact in current.facts:
            if fact.status not in (NEW, DIFFERS) or f"fact:{fact.field}" not in choices:
                continue
            if fact.field == "property_company":
                company, _created = PropertyCompany.objects.get_or_create(name=fact.value)
                estate_values["property_company"] = company.pk
            else:
                estate_values[fact.field] = fact.value
                estate_values.update(fact.extra)
            outcome.facts.append(fact.label)
        if estate_values:
            if not may_change_estate(estate):
                raise PermissionDenied(
                    _("您不能修改这个小区的资料，请不要勾选基本情况、概况和亮点。")
                )
            outcome.estate_pending = _write_estate(estate, estate_values, user, reason)
        if outcome.filled or outcome.replaced or outcome.facts:
            # Moves the nomination's version: a form opened before this refuses its save
            # instead of putting its old box texts back.
            nomination._change_reason = reason
            nomination.save(update_fields=["updated_at"])
    return outcome


def _write_estate(estate, values, user, reason):
    """Write the estate's fields, or keep them for review; True when they wait."""
    if pending.waits_for_review(user, estate):
        # The estate's waiting change keeps what it already asked for, with these on top.
        waiting = pending.open_change(estate)
        merged = pending.form_values(waiting) if waiting else {}
        merged.update(values)
        note = "\n".join(x for x in (waiting.note if waiting else "", reason) if x)
        pending.submit(estate, merged, user, note=note)
        return True
    for name, value in values.items():
        if name == "property_company":
            estate.property_company_id = value
        else:
            setattr(estate, name, value)
    try:
        estate.full_clean(validate_unique=False)
    except ValidationError as error:
        why = "；".join(error.messages)
        raise ValidationError(_("小区资料没有保存：%(why)s") % {"why": why}) from error
    estate._change_reason = reason
    estate.save()
    return False
