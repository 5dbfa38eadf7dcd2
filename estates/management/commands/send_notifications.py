"""Mail the notifications that are due: new ones a failed send left behind and failed ones
whose retry time has come (estates/notifications.py). Run from cron every few minutes:

    */5 * * * * cd /srv/showcase && .venv/bin/python manage.py send_notifications
"""

from django.core.management.base import BaseCommand

from estates.notifications import BATCH, due, send_due


class Command(BaseCommand):
    help = (
        "发送到期的通知邮件：新的通知，以及发送失败后到了重试时间的通知。"
        "供 cron 每隔几分钟运行一次。"
    )

    def handle(self, *args, **options):
        sent = failed = 0
        # Batch after batch while each sends something; a batch that all fails waits for the
        # next run (its retries are due later).
        while True:
            batch_sent, batch_failed = send_due(limit=BATCH)
            sent, failed = sent + batch_sent, failed + batch_failed
            if not batch_sent or not due().exists():
                break
        waiting = due().count()
        self.stdout.write(f"已发送 {sent} 封，失败 {failed} 封，仍待发送 {waiting} 封。")
