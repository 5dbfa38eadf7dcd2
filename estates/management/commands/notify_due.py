"""The notifications that depend on the date (estates/notifications.py, notify_due()): review
reminders two days before a campaign's review deadline, "notice period ended", and "ready to
publish" where it was not announced yet. Each is made once. Run daily from cron:

    0 8 * * * cd /srv/showcase && .venv/bin/python manage.py notify_due
"""

from django.core.management.base import BaseCommand

from estates.notifications import notify_due


class Command(BaseCommand):
    help = (
        "生成按日期触发的通知：评审截止前两天提醒尚未提交的评审专家；公示期结束、"
        "全部推荐已有决定时告知部级管理员。每件事只通知一次。供 cron 每天运行一次。"
    )

    def handle(self, *args, **options):
        made = notify_due()
        self.stdout.write(f"新生成通知 {len(made)} 条。")
