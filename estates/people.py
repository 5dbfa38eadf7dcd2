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
