from django.core.management import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from showcase.backup import BackupError, create_backup


def megabytes(size):
    return f"{size / 1024 / 1024:.1f} MB"


class Command(BaseCommand):
    help = (
        "备份整个网站：数据库全部数据（含用户、权限、工作人员资料和修改历史，不含登录会话）"
        "和全部媒体文件（照片），写成一个 ZIP 归档，内附清单（格式版本、时间、迁移状态、"
        "各表行数、每个文件的 sha256）和清单的签名（HMAC-SHA256，密钥取自环境变量 "
        "BACKUP_SIGNING_KEY）。备份期间网站可照常使用。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            help="归档文件路径，如 /var/backups/meihao/2025-01-01.zip；给出目录时按时间命名。"
            "不会覆盖已有文件。",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help=f"默认 {DEFAULT_DB_ALIAS}")

    def warn(self, text):
        self.stderr.write(self.style.WARNING(text))

    def handle(self, path, database, **options):
        try:
            summary = create_backup(path, using=database, warn=self.warn)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"备份已写入 {summary.path}：{summary.models} 张表共 {summary.rows} 行，"
                f"{summary.media_files} 个媒体文件（{megabytes(summary.media_bytes)}），"
                f"用时 {summary.seconds:.1f} 秒。已签名（密钥指纹 {summary.signed_with}）。"
            )
        )
