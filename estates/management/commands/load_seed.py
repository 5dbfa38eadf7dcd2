import io

from django.core.management import BaseCommand, call_command
from django.db import transaction

from estates.models import Province
from estates.publication import refresh_all

# In dependency order; each file is a Django fixture in fixtures/.
SEED_FIXTURES = ["regions", "catalogues", "campaigns", "estates", "nominations"]


class Command(BaseCommand):
    help = (
        "载入种子数据：省份、指标与机制类别、评选活动及其原则要求和规定活动、五个真实小区及其推荐。"
        "可重复执行，不会产生重复记录。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="数据库中已有省份数据时跳过（make run 使用，避免覆盖本地修改）。",
        )

    def handle(self, *args, if_empty=False, **options):
        if if_empty and Province.objects.exists():
            self.stdout.write("数据库已有数据，跳过种子数据载入（重新载入请运行 make seed）。")
            return
        with transaction.atomic():
            call_command("loaddata", *SEED_FIXTURES, verbosity=options["verbosity"])
            # Fixtures load raw, without Estate.save(): compute the kept search and list keys.
            refresh_all()
            # Fixtures load without history; give every row its first version, so the
            # seed state itself can be restored from the admin.
            call_command("populate_history", auto=True, verbosity=0, stderr=io.StringIO())
        self.stdout.write(self.style.SUCCESS("种子数据已载入。"))
