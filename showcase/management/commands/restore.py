from django.core.management import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from showcase.backup import BackupError, check_backup, restore_backup

from .backup import megabytes


class Command(BaseCommand):
    help = (
        "从 manage.py backup 写的归档恢复数据库和媒体文件。先完整校验归档（签名、ZIP 校验、清单、"
        "每个文件的 sha256、各表行数）和数据库迁移状态，任何一项不符都拒绝恢复、不做改动；"
        "数据库不是空的时须加 --replace。数据在一个事务中替换，中途失败则全部撤销。"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="manage.py backup 写的归档文件")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="数据库已有数据时，清空并用备份替换（原有媒体文件移到 MEDIA_ROOT 旁保留）。",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="只校验归档能否恢复到当前数据库，不做任何改动。",
        )
        parser.add_argument(
            "--allow-unsigned",
            action="store_true",
            help="接受没有签名的归档（启用签名之前的旧备份），只在确认来源可靠时使用。"
            "签名不符的归档仍然拒绝。",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help=f"默认 {DEFAULT_DB_ALIAS}")

    def warn(self, text):
        self.stderr.write(self.style.WARNING(text))

    def handle(self, path, replace, check, allow_unsigned, database, **options):
        try:
            if check:
                summary = check_backup(
                    path, using=database, allow_unsigned=allow_unsigned, warn=self.warn
                )
            else:
                summary = restore_backup(
                    path,
                    using=database,
                    replace=replace,
                    allow_unsigned=allow_unsigned,
                    warn=self.warn,
                )
        except BackupError as error:
            raise CommandError(str(error)) from None
        what = (
            f"{summary.models} 张表共 {summary.rows} 行，{summary.media_files} 个媒体文件"
            f"（{megabytes(summary.media_bytes)}）"
        )
        created = summary.extra["created_at"]
        signed = (
            f"签名有效（密钥指纹 {summary.signed_with}）"
            if summary.signed_with
            else "没有签名（按 --allow-unsigned 未校验来源）"
        )
        if check:
            self.stdout.write(
                self.style.SUCCESS(
                    f"校验通过：{summary.path}（备份于 {created}）完好，{signed}，{what}，"
                    f"迁移状态与当前数据库一致。未做任何改动。"
                )
            )
            if summary.extra["occupied"]:
                self.stdout.write("当前数据库已有数据，恢复时需要加 --replace（会替换全部数据）。")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"已从 {summary.path}（备份于 {created}）恢复 {what}，"
                f"用时 {summary.seconds:.1f} 秒。所有用户需要重新登录。"
            )
        )
        if summary.media_set_aside:
            self.stdout.write(
                f"恢复前的媒体文件已移到 {summary.media_set_aside}，确认无误后可以删除。"
            )
