import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, CommandError

# Local demo accounts; later roles (provincial staff, reviewer, editor) are added here.
DEMO_ACCOUNTS = [
    {"username": "admin", "description": "部级管理员（超级用户）", "superuser": True},
]


class Command(BaseCommand):
    help = "创建本地演示账号并在控制台打印密码；DJANGO_DEBUG=0（生产环境）时拒绝执行。"

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("生产环境（DJANGO_DEBUG=0）不能创建演示账号。")
        User = get_user_model()
        self.stdout.write("本地演示账号（每次运行都会重新生成密码）：")
        for account in DEMO_ACCOUNTS:
            password = secrets.token_urlsafe(9)
            user, _ = User.objects.get_or_create(username=account["username"])
            user.is_staff = True
            user.is_superuser = account["superuser"]
            user.set_password(password)
            user.save()
            self.stdout.write(
                f"  {account['description']}：用户名 {user.username}  密码 {password}"
            )
        self.stdout.write("登录地址：http://127.0.0.1:8000/admin/")
