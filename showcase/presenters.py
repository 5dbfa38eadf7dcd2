"""Turn estates into what pages show: fact lists, metric series, latest values."""

import re
from decimal import Decimal
from itertools import groupby

from django.utils.translation import get_language, override, pgettext
from django.utils.translation import gettext as _

from estates.models.profile import metric_order_key
from estates.numbers import floor_area_text, land_area_text

from . import charts
from .templatetags.showcase import display_number


def _plain(value):
    return None if value is None else display_number(value)


def _english():
    return (get_language() or "").startswith("en")


def _with_unit(value, unit, note=""):
    if value is None:
        return None
    text = _("%(value)s%(unit)s") % {"value": _plain(value), "unit": unit}
    return _("%(text)s（%(note)s）") % {"text": text, "note": note} if note else text


def location_text(estate):
    parts = [estate.province.display_name()]
    if estate.city.name != estate.province.name:
        parts.append(estate.city.name)
    parts += [estate.district, estate.subdistrict]
    # Chinese addresses run together (北京市西城区德胜街道); English separates the parts.
    return (", " if _english() else "").join(part for part in parts if part)


def built_text(estate):
    if estate.year_built is not None:
        return _("%(year)s年") % {"year": estate.year_built}
    return estate.construction_period or None


def estate_facts(estate):
    """The facts panel as (label, value) pairs; a value of None reads as unknown."""
    return [
        (_("所在地区"), location_text(estate)),
        (_("社区"), estate.community or None),
        (_("地址"), estate.address or None),
        (_("小区类型"), estate.get_estate_type_display() or None),
        (_("建成时间"), built_text(estate)),
        (_("楼栋数"), _with_unit(estate.buildings, _("栋"), estate.building_note)),
        (_("单元数"), _with_unit(estate.units, _("个"))),
        (_("户数"), _with_unit(estate.households, _("户"))),
        (_("居住人数"), _with_unit(estate.residents, _("人"))),
        (_("占地面积"), land_area_text(estate)),
        (_("总建筑面积"), floor_area_text(estate)),
        (_("容积率"), _plain(estate.plot_ratio)),
        (_("绿化覆盖率"), _with_unit(estate.green_coverage, "%")),
        (_("物业服务企业"), estate.property_company.name if estate.property_company else None),
    ]


def metric_series(metrics):
    """Metrics grouped by type, each group in time order: [(metric_type, [metric, …]), …]."""
    ordered = sorted(
        metrics,
        key=lambda m: (m.metric_type.display_order, m.metric_type_id, *metric_order_key(m)),
    )
    return [(kind, list(group)) for kind, group in groupby(ordered, key=lambda m: m.metric_type)]


# --- The narrative once -------------------------------------------------------------------
#
# Sources tell an estate's story in prose (概况, 亮点, a nomination's sections) and the
# fixtures also record it as structured items (mechanisms, activities) whose descriptions
# restate sentences of that prose, often with a word changed ("西长安壹号小区坚持…" and
# "小区坚持…"). A page that prints both says everything twice. Repetition is judged by
# overlapping five-character shingles of the text without punctuation: a sentence most of
# whose shingles were already shown adds nothing. (A similarity library such as difflib
# compares two strings; here one sentence is compared with everything shown before it, which
# the shingle set answers in one look-up per shingle.)

SHINGLE = 5
# Words that tie a sentence to the one before it; left dangling when that one is left out.
LEADING_CONNECTIVE = re.compile(r"^(并且|并|同时[，,]?|此外[，,]?|另外[，,]?|而且|且|还)")
SENTENCE_END = "。！？!?；;"
PUNCTUATION = "，。、；：！？,.;:!?“”‘’\"'（）()《》〈〉【】[]—-·… \u3000\t"
_UNPUNCTUATED = str.maketrans("", "", PUNCTUATION)


def _shingles(text):
    chars = text.translate(_UNPUNCTUATED)
    if len(chars) <= SHINGLE:
        return {chars} if chars else set()
    return {chars[i : i + SHINGLE] for i in range(len(chars) - SHINGLE + 1)}


def sentences(paragraph):
    """A paragraph's sentences, each with its closing mark (a closing quote stays with it)."""
    found, start = [], 0
    for i, char in enumerate(paragraph):
        if char in SENTENCE_END:
            end = i + 1
            while end < len(paragraph) and paragraph[end] in "”’」』）)":
                end += 1
            if end > start:
                found.append(paragraph[start:end])
            start = end
    if paragraph[start:].strip():
        found.append(paragraph[start:])
    return [sentence for sentence in found if sentence.strip()]


class Narrative:
    """What the page has told so far, to print each statement once."""

    REPEATED = 0.8  # a sentence this much already told is left out

    def __init__(self):
        self.told = set()

    def coverage(self, text):
        return self._coverage(_shingles(text))

    def _coverage(self, shingles):
        return len(shingles & self.told) / len(shingles) if shingles else 1.0

    def paragraphs(self, text):
        """The text's paragraphs without the sentences already told; tells the rest. What is
        left of a shortened paragraph reads as a whole: a connective that tied it to a left-
        out sentence ("并在园区入口…") goes, and it ends with a full stop, not "；"."""
        kept = []
        for paragraph in (line.strip() for line in text.splitlines()):
            said = sentences(paragraph)
            # Each sentence is judged against what was told before this paragraph.
            fresh = [
                (sentence, shingles)
                for sentence in said
                if self._coverage(shingles := _shingles(sentence)) < self.REPEATED
            ]
            for _sentence, shingles in fresh:
                self.told |= shingles
            new = [sentence for sentence, _shingles_of in fresh]
            if not new:
                continue
            text = "".join(new).strip()
            if new != said:
                if new[0] != said[0]:
                    text = LEADING_CONNECTIVE.sub("", text)
                if text[-1] in "；;，,、：:":
                    text = text[:-1] + "。"
            kept.append(text)
        return kept


# --- The profile as a feature ----------------------------------------------------------------

KEY_METRICS = ("satisfaction", "fee_collection")
MEDIAN_AT_LEAST = 3  # a median of fewer estates says little about "what good looks like"


class MetricLine:
    """One metric type of an estate: its values in time order, the chart of a change, and
    where its latest value stands among the published estates."""

    def __init__(self, kind, values, median_row, story):
        self.kind = kind
        self.values = values
        self.latest = values[-1]
        self.chart = None
        if len(values) >= 2:
            points = [(m.date_display() or f"#{i}", m.value) for i, m in enumerate(values, 1)]
            self.chart = charts.line_chart(points, kind.display_unit(), kind.display_name())
        # A note the story already tells ("发放调查问卷200余份") is not printed again.
        self.notes = [text for m in values for text in story.paragraphs(metric_note(m))]
        self.peers, self.median = None, None
        if median_row and median_row[0] >= MEDIAN_AT_LEAST:
            self.peers, self.median = median_row[0], Decimal(median_row[1])

    def comparison(self):
        """'高于入选小区中位数 93%' for the latest value, or None without enough peers."""
        if self.median is None:
            return None
        median = f"{display_number(self.median)}{self.kind.display_unit()}"
        value = self.latest.value
        if value > self.median:
            text = _("高于入选小区中位数 %(median)s")
        elif value < self.median:
            # Said as a fact of the peers, not as a verdict on a showcased estate.
            text = _("入选小区中位数为 %(median)s")
        else:
            text = _("与入选小区中位数 %(median)s 持平")
        return text % {"median": median}


def metric_note(metric):
    """A value's source note without a leading "截至<its date>" the page already shows."""
    note = metric.source_note.strip()
    # The note is the source's Chinese, whatever the page's language; so is its date.
    with override("zh-hans"):
        prefix = "截至" + metric.date_display()
    if prefix != "截至" and note.startswith(prefix):
        note = note[len(prefix) :].lstrip("，,：: ")
    return note


class EstateProfile:
    """What the profile page shows, each statement once, in the order a feature reads.

    The nomination report's sections (the nine principle requirements and the eight
    required activities) are part of the story for an estate selected from a nomination;
    mechanisms and activities are listed as items, with only those sentences of their
    descriptions that the page has not said already."""

    def __init__(self, estate, medians):
        self.estate = estate
        # Told in the order the page prints: what a section says first stays there.
        story = Narrative()
        self.overview = story.paragraphs(estate.overview)
        self.highlights = story.paragraphs(estate.highlights)
        nomination = self._reported(estate)
        self.report = {"nomination": nomination, "criteria": [], "activities": []}
        required = {}
        if nomination is not None:
            self.report["criteria"] = [
                (part, paragraphs)
                for part in nomination.criterion_evidence.all()
                if (paragraphs := story.paragraphs(part.text))
            ]
            required = {part.requirement_id: [] for part in nomination.activity_evidence.all()}
        self.other_activities = []
        for activity in estate.activities.all():
            required.get(activity.requirement_id, self.other_activities).append(activity)
        if nomination is not None:
            for part in nomination.activity_evidence.all():
                paragraphs = story.paragraphs(part.text)
                items = [
                    (a, story.paragraphs(a.description)) for a in required[part.requirement_id]
                ]
                if paragraphs or items:
                    self.report["activities"].append((part, paragraphs, items))
        self.mechanisms = [(m, story.paragraphs(m.description)) for m in estate.mechanisms.all()]
        self.metrics = [
            MetricLine(kind, values, medians.get(str(kind.pk)), story)
            for kind, values in metric_series(estate.metrics.all())
        ]
        self.key_figures = list(estate.key_figures.all())
        self.other_activities = [
            (a, story.paragraphs(a.description)) for a in self.other_activities
        ]
        self.honors = list(estate.honors.all())
        self.selections = estate.public_nominations
        self.is_illustrative = bool(self.selections) and all(
            n.campaign.is_illustrative for n in self.selections
        )

    @staticmethod
    def _reported(estate):
        """The newest public nomination whose report sections hold text, or None."""
        for nomination in sorted(
            estate.public_nominations, key=lambda n: n.campaign.year, reverse=True
        ):
            parts = [*nomination.criterion_evidence.all(), *nomination.activity_evidence.all()]
            if any(part.text.strip() for part in parts):
                return nomination
        return None

    @property
    def story(self):
        """The overview and highlights as told, one list of paragraphs."""
        return self.overview + self.highlights

    def key_facts(self):
        """The strip under the title: (label, value, when) of what is known."""
        estate = self.estate
        strip = [
            (_("户数"), _with_unit(estate.households, _("户")), ""),
            (_("建成时间"), built_text(estate), ""),
            (
                _("物业服务企业"),
                estate.property_company.name if estate.property_company else None,
                "",
            ),
        ]
        for line in self.metrics:
            if line.kind.code in KEY_METRICS:
                strip.append(
                    (
                        line.kind.display_name(),
                        f"{display_number(line.latest.value)}{line.kind.display_unit()}",
                        line.latest.date_display(),
                    )
                )
        return [item for item in strip if item[1]]

    def sections(self):
        """The section menu: (anchor, label) of the sections the page has."""
        menu = [("story", _("概况"))]
        if self.report["criteria"]:
            menu.append(("requirements", pgettext("section menu", "原则要求")))
        if self.report["activities"]:
            menu.append(("required-activities", _("8个“一”")))
        if self.mechanisms:
            menu.append(("mechanisms", _("治理机制")))
        if self.metrics or self.key_figures:
            menu.append(("results", _("成效")))
        if self.other_activities:
            # As the section's heading says it.
            others = _("其他活动") if self.report["activities"] else _("活动")
            menu.append(("activities", others))
        menu.append(("facts", _("基本信息")))
        if self.honors:
            menu.append(("honors", _("荣誉")))
        return menu
