from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, CommandError

from estates.spreadsheets.formats import SafeCSV, SafeXLSX
from estates.spreadsheets.importing import run_import
from estates.spreadsheets.resources import EstateResource


class Command(BaseCommand):
    help = (
        "从 .xlsx 或 .csv 导入小区表。整份文件逐行检查，任何一行有问题都不写入，"
        "并列出每个问题所在的行和列。"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="要导入的文件")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        parser.add_argument("--as-user", help="以该工作人员的身份导入（省级填报员只能导入本省）")

    def handle(self, path, dry_run=False, as_user=None, **options):
        path = Path(path)
        formats = {".xlsx": SafeXLSX, ".csv": SafeCSV}
        if path.suffix.lower() not in formats:
            raise CommandError("请用 .xlsx 或 .csv 文件。")
        if not path.exists():
            raise CommandError(f"找不到文件 {path}")
        user = None
        if as_user:
            user = get_user_model().objects.filter(username=as_user).first()
            if user is None:
                raise CommandError(f"没有用户 {as_user}")
        dataset = formats[path.suffix.lower()]().create_dataset(path.read_bytes())
        self.stderr.write(f"读取了 {len(dataset)} 行，正在检查……")
        result, problems = run_import(EstateResource(user=user), dataset, dry_run=dry_run)
        if problems:
            for problem in problems:
                self.stdout.write(problem)
            raise CommandError(f"发现 {len(problems)} 个问题，没有写入任何数据。")
        totals = result.totals
        verb = "检查通过（未写入）" if dry_run else "导入完成"
        self.stdout.write(
            self.style.SUCCESS(f"{verb}：新增 {totals['new']} 个，更新 {totals['update']} 个。")
        )
