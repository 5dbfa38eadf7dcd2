"""Filters for the history pages and logs: people by name and role (estates/admin/history.py)."""

from django import template

from ..admin import history
from ..people import person_name

register = template.Library()


@register.filter
def actor(user):
    """ "王明（部级管理员）"; "（空）" when no one is recorded."""
    return history.actor_label(user)


@register.filter
def person(user):
    """The person's name, never an e-mail address."""
    return person_name(user, history.EMPTY)


@register.filter
def history_name(obj):
    """The row a history page is about, as staff call it."""
    return history.history_name(obj)


@register.filter
def change_sentences(entry):
    """What one save through the admin changed, a sentence per part."""
    return history.change_sentences(entry)
