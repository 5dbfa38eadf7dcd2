"""How staff are named to each other: by their name, never by an e-mail address."""


def person_name(user, nobody=""):
    """The full name (Chinese order, family name first, as `manage.py create_staff_user
    --name` stores it), else the user name; of a user name that is an e-mail address, only
    the part before the @. `nobody` when there is no user."""
    if user is None:
        return str(nobody)
    family, given = user.last_name.strip(), user.first_name.strip()
    if family and given and not (family + given).isascii():
        name = family + given
    else:
        name = user.get_full_name().strip()
    name = name or user.get_username()
    return name.split("@", 1)[0] if "@" in name else name


def says(name, note):
    """Whether a name says the note already: accounts named after their role or province, as
    the demo accounts are (“部级管理员”, “省级填报员（山东）”, “评审专家（河北）”)."""
    note = str(note)
    return name == note or name.startswith(f"{note}（") or f"（{note}）" in name


def with_note(name, note):
    """“王明（部级管理员）”; the name alone when it says the note already (not “部级管理员（部级
    管理员）”)."""
    return name if says(name, note) else f"{name}（{note}）"


def without_note(name, note):
    """The name without a closing “（note）”, for a label that gives the note with more beside
    it: “评审专家（河北）” → “评审专家”, to be labelled “评审专家（河北，已分配 3 项）”."""
    suffix = f"（{note}）"
    return name[: -len(suffix)] if name.endswith(suffix) and len(name) > len(suffix) else name
