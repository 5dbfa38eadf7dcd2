"""Backups of the whole site: the database (every app, history included) and the media files,
in one archive with a manifest; restores that refuse anything that does not check out.

`manage.py backup` and `manage.py restore` are the way in; docs/operations-backup.md is the
operator's guide.
"""

from .archive import BackupError, create_backup
from .restore import check_backup, restore_backup

__all__ = ["BackupError", "check_backup", "create_backup", "restore_backup"]
