from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, CommandError

from estates.spreadsheets.annotate import annotated_sheet
from estates.spreadsheets.formats import workbook_dataset
from estates.spreadsheets.importing import run_import
from estates.spreadsheets.resources import EstateResource

KINDS = {".xlsx": "xlsx", ".xls": "xls", ".ods": "ods", ".csv": "csv"}


class Command(BaseCommand):
    help = (
        "从 .xlsx、.xls、.ods 或 .csv 导入小区表（与管理后台的导入相同：表头之上可以有标题行，"
        "列名可用常见写法）。整份文件逐行检查，任何一行有问题都不写入，并列出每个问题所在的行和列。"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="要导入的文件")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        parser.add_argument("--as-user", help="以该工作人员的身份导入（省级填报员只能导入本省）")
        parser.add_argument(
            "--errors-to",
            help="有问题时，把原表格加上“错误说明”列另存到这个 .xlsx 文件",
        )

    def handle(self, path, dry_run=False, as_user=None, errors_to=None, **options):
        path = Path(path)
        kind = KINDS.get(path.suffix.lower())
        if kind is None:
            raise CommandError("请用 .xlsx、.xls、.ods 或 .csv 文件。")
        if not path.exists():
            raise CommandError(f"找不到文件 {path}")
        user = None
        if as_user:
            user = get_user_model().objects.filter(username=as_user).first()
            if user is None:
                raise CommandError(f"没有用户 {as_user}")
        data = path.read_bytes()
        # The admin's own reading and import: the same file gets the same messages.
        result, problems = run_import(
            EstateResource(user=user), workbook_dataset(data, kind), dry_run=dry_run
        )
        layout = result.layout
        if layout.header_row:
            sheet = f"读取工作表“{layout.sheet_name}”，" if layout.sheet_name else ""
            self.stderr.write(
                f"{sheet}表头在第 {layout.header_row} 行，共 {len(layout.row_numbers)} 行数据。"
            )
        for notice in result.notices:
            self.stderr.write(f"请核对：{notice}")
        if problems:
            for problem in problems:
                self.stdout.write(problem)
            if errors_to:
                marked = annotated_sheet(data, kind, result)
                if marked is not None:
                    Path(errors_to).write_bytes(marked)
                    self.stderr.write(f"已把标注了错误说明的表格存为 {errors_to}")
            raise CommandError(f"发现 {len(problems)} 个问题，没有写入任何数据。")
        totals = result.totals
        verb = "检查通过（未写入）" if dry_run else "导入完成"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb}：新增 {totals['new']} 个，更新 {totals['update']} 个，"
                f"未变 {totals['skip']} 个。"
            )
        )
