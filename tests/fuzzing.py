"""What the property-based and hostile-input tests share: hostile values, strategies that build
what a browser would send back for an admin page, a snapshot of every row, and the checks that
a refusal is clear (Chinese, next to the field it is about)."""

import datetime
import re
from contextlib import contextmanager

from django import forms
from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.forms.forms import NON_FIELD_ERRORS
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Bounded runs: the whole set of property tests stays within a few minutes on two cores.
# Every example runs in a savepoint that is rolled back (rolled_back()), so each starts from
# the same data; the client fixture is shared on purpose, hence the suppressed health check.
FUZZ = settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE_BREAKER = "\"'><svg onload=alert(1)>"
SQL = "'; DROP TABLE estates_estate; --"
SQL_TAUTOLOGY = "1' OR '1'='1"
CONTROL = "".join(chr(code) for code in range(1, 32))  # \x01 … \x1f (NUL on its own below)
NUL = "a\x00b"
UNICODE_TRICKS = "\u202eevil\u202c\u200b\ufeff\u2028\u2029\ufffe"  # bidi, zero width, …
ASTRAL = "🏠👍𠀀𝔘家园"
FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", '=HYPERLINK("http://x")']
LONG = "長" * 10_000

HOSTILE = [
    SCRIPT,
    ATTRIBUTE_BREAKER,
    SQL,
    SQL_TAUTOLOGY,
    CONTROL,
    NUL,
    UNICODE_TRICKS,
    ASTRAL,
    *FORMULAS,
    LONG,
]

CJK = re.compile(r"[\u3400-\u9fff]")

hostile_text = st.sampled_from(HOSTILE)


def texts(max_length=None):
    """Typed text: arbitrary Unicode around the field's limit, or one of the hostile values."""
    size = (max_length or 200) + 5
    return st.one_of(st.text(max_size=size), hostile_text, st.just(""))


NUMBER_TEXT = st.sampled_from(
    [
        *["", " ", "0", "-0", "-1", "1e3", "1E+999999", "1,000", "１２３", "²", "NaN", "sNaN"],
        *["Infinity", "0.005", "99999999999999999999999", "一千", "12户", "0x10", "\x00"],
    ]
)
numbers = st.one_of(
    st.integers(-(10**22), 10**22).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    NUMBER_TEXT,
    st.text(max_size=6),
)
dates = st.one_of(
    st.dates().map(str),
    st.sampled_from(["", "2999-01-01", "2022-02-30", "0000-00-00", "2022年12月31日", "昨天"]),
    st.text(max_size=12),
)
GARBAGE_CHOICES = ["", "0", "-1", "999999999", "abc", "\x00", SCRIPT, "99999999999999999999999"]


def hostile_values_for(field):
    """What may arrive for one form field from someone trying to break it; None means the
    key is left out."""
    if isinstance(field, forms.BooleanField):
        return st.sampled_from([None, "on", "", "garbage"])
    if isinstance(field, forms.FileField):
        return st.none()
    if isinstance(field, forms.ChoiceField):  # ModelChoiceField included
        return st.one_of(st.sampled_from(GARBAGE_CHOICES), st.sampled_from(HOSTILE))
    if isinstance(field, (forms.IntegerField, forms.DecimalField, forms.FloatField)):
        return numbers
    if isinstance(field, forms.DateTimeField):
        return st.one_of(dates, st.just(""))
    if isinstance(field, forms.DateField):
        return dates
    if isinstance(field, forms.CharField):
        return texts(field.max_length)
    return st.one_of(st.text(max_size=10), hostile_text)


def choices_of(field):
    values = [str(getattr(value, "value", value)) for value, _label in field.choices]
    return [value for value in values if value != ""]


def plain_text(max_length):
    """Any Unicode a person might type (no NUL, which PostgreSQL cannot store)."""
    return st.text(min_size=1, max_size=min(max_length or 60, 60)).filter(
        lambda s: s.strip() and "\x00" not in s
    )


def valid_values_for(name, field):
    """What a careful person would type: usually accepted (domain rules may still refuse)."""
    if isinstance(field, forms.BooleanField):
        return st.sampled_from([None, "on"])
    if isinstance(field, forms.FileField):
        return st.none()
    if isinstance(field, forms.ChoiceField):
        chosen = st.sampled_from(choices_of(field) or [""])
        return chosen if field.required else st.one_of(st.just(""), chosen)
    if isinstance(field, forms.DecimalField):  # before IntegerField, its base class
        return st.decimals(0, 100, places=2).map(str)
    if isinstance(field, forms.IntegerField):
        if "year" in name:
            return st.integers(1990, 2020).map(str)
        return st.integers(0, 500).map(str)
    if isinstance(field, forms.DateTimeField):
        return st.just("")
    if isinstance(field, forms.DateField):
        return st.dates(datetime.date(2000, 1, 1), datetime.date(2020, 12, 31)).map(str)
    if isinstance(field, forms.SlugField) or name in {"slug", "code"}:
        return st.from_regex(r"\Afuzz-[a-z0-9]{4,12}\Z")
    if name == "credit_code":
        return st.just("")
    if isinstance(field, forms.CharField):
        return plain_text(field.max_length)
    return st.just("")


def rendered_data(response):
    """What the browser sends back for an admin add or change page as rendered."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        _put(data, name, form[name].value(), field)
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for inline_form in formset.forms[: formset.initial_form_count()]:
            for name, field in inline_form.fields.items():
                if name != "DELETE":
                    _put(data, inline_form.add_prefix(name), inline_form[name].value(), field)
    return data


def _put(data, key, value, field):
    if value is None or value is False or isinstance(field, forms.FileField):
        return
    if isinstance(field, forms.BooleanField):
        data[key] = "on"
    elif isinstance(value, (list, tuple)):
        data[key] = [getattr(v, "pk", v) for v in value]
    else:
        data[key] = getattr(value, "pk", value)


class AdminPage:
    """An admin add or change page as one user sees it, and strategies for what may be sent
    back: every field of the form and of each inline left as rendered or given a sensible
    value, new inline rows, and a few fields (maybe none) given hostile values."""

    SKIP = {"DELETE", "id"}

    def __init__(self, client, url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        self.url = url
        self.form = response.context["adminform"].form
        self.model = self.form._meta.model
        self.formsets = [inline.formset for inline in response.context["inline_admin_formsets"]]
        self.base = rendered_data(response)
        self.fields = dict(self.form.fields)
        self.inline_fields = [
            (
                formset,
                {
                    name: field
                    for name, field in formset.empty_form.fields.items()
                    if name not in self.SKIP and name != formset.fk.name
                },
            )
            for formset in self.formsets
        ]

    def submissions(self, new_rows=2, max_hostile=2):
        @st.composite
        def build(draw):
            data = dict(self.base)
            fields = dict(self.fields)
            for formset, inline in self.inline_fields:
                initial = formset.initial_form_count()
                added = draw(st.integers(0, new_rows))
                data[f"{formset.prefix}-TOTAL_FORMS"] = str(initial + added)
                for index in range(initial + added):
                    for name, field in inline.items():
                        key = f"{formset.prefix}-{index}-{name}"
                        fields[key] = field
            hostile = draw(st.sets(st.sampled_from(sorted(fields)), max_size=max_hostile))
            for key, field in fields.items():
                name = key.rsplit("-", 1)[-1]
                if key in hostile:
                    _set(data, key, draw(hostile_values_for(field)))
                elif key not in data or draw(st.booleans()):
                    _set(data, key, draw(valid_values_for(name, field)))
                # else: left as rendered
            return data

        return build()


def _set(data, key, value):
    if value is None:
        data.pop(key, None)
    else:
        data[key] = value


def snapshot():
    """Every row of every table a submission could touch (history and the admin log too)."""
    labels = ["showcase.ContentVersion", "admin.LogEntry"]
    # Not the file a preview keeps for its confirmation (estates/spreadsheets/uploads.py):
    # tests/test_import_confirm.py follows it.
    domain = [
        m
        for m in apps.get_app_config("estates").get_models()
        if m._meta.label != "estates.ImportUpload"
    ]
    models = [*domain, *map(apps.get_model, labels)]
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values_list())
        for model in models
    }


def changed_tables(before, after):
    return sorted(label for label in before if before[label] != after[label])


@contextmanager
def rolled_back():
    """Run one example in a savepoint that is always rolled back, with a cold page cache."""
    cache.clear()
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
    cache.clear()


def is_chinese(message):
    return bool(CJK.search(str(message)))


def labels_of(form):
    labels = [str(field.label or "") for field in form.fields.values()]
    return [label for label in labels if label]


def form_problems(form):
    """Messages of a bound form that are not clear: not Chinese, on an unknown field, or (not
    attached to a field) naming none of the form's fields."""
    unclear = []
    labels = labels_of(form)
    # A view-only inline row's errors are a plain dict (emptied by the admin).
    by_field = form.errors.as_data() if hasattr(form.errors, "as_data") else {}
    for name, errors in by_field.items():
        for error in errors:
            message = " ".join(error.messages)
            if not is_chinese(message):
                unclear.append((name, message, "not Chinese"))
            elif name == NON_FIELD_ERRORS:
                # A save after someone else's (estates/versions.py) is about the whole row.
                if error.code == "conflict":
                    continue
                if not any(_names(message, label) for label in labels):
                    unclear.append((name, message, "names no field"))
            elif name not in form.fields:
                unclear.append((name, message, "unknown field"))
    return unclear


def _names(message, label):
    # "楼栋数（栋）" is named by "楼栋数"; "确认不是重复录入" by itself.
    stem = re.split(r"[（(]", label)[0].strip()
    return bool(stem) and stem in message


def admin_refusal_problems(response):
    """For an admin add/change page that refused a submission: every message that is not
    clear, and whether there was any message at all."""
    context = response.context
    unclear, count = [], 0
    forms_to_check = [context["adminform"].form]
    for inline in context.get("inline_admin_formsets", []):
        formset = inline.formset
        forms_to_check += formset.forms
        for message in formset.non_form_errors():
            count += 1
            labels = [*labels_of(formset.empty_form), str(formset.model._meta.verbose_name)]
            if not is_chinese(message) or not any(_names(message, label) for label in labels):
                unclear.append((formset.prefix, message, "formset"))
    for form in forms_to_check:
        count += sum(len(messages) for messages in form.errors.values())
        unclear += form_problems(form)
    # Django marks each repeated row with a generic "请修正重复的数据" beside the formset's own
    # message, which names the column (checked above).
    duplicate_marks = {
        str(inline.formset.get_form_error())
        for inline in context.get("inline_admin_formsets", [])
        if inline.formset.non_form_errors()
    }
    unclear = [problem for problem in unclear if str(problem[1]) not in duplicate_marks]
    return unclear, count
