import io
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, CommandError, call_command

# Local demo accounts, one per role; passwords are new on every run and printed.
DEMO_ACCOUNTS = [
    ("ministry", "ministry", None, "部级管理员"),
    ("shandong", "provincial", "shandong", "省级填报员（山东）"),
    ("beijing", "provincial", "beijing", "省级填报员（北京）"),
    ("reviewer", "reviewer", "hebei", "评审专家（河北）"),
    ("editor", "editor", None, "编辑"),
]


class Command(BaseCommand):
    help = "创建本地演示账号（每个角色一个，另有超级用户 admin）并打印密码；生产环境拒绝执行。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--address",
            default="127.0.0.1:8000",
            help="本地服务的地址和端口（make run 传入 HOST:PORT），用于打印登录地址。",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("生产环境（DJANGO_DEBUG=0）不能创建演示账号。")
        self.stdout.write("本地演示账号（每次运行都会重新生成密码）：")
        password = secrets.token_urlsafe(9)
        admin, _created = get_user_model().objects.get_or_create(username="admin")
        admin.is_staff = admin.is_superuser = admin.is_active = True
        admin.email = admin.email or "admin@example.org"
        admin.set_password(password)
        admin.save()
        self.stdout.write(f"  超级用户：用户名 admin  密码 {password}")
        for username, role, province, description in DEMO_ACCOUNTS:
            password = secrets.token_urlsafe(9)
            args = [username, "--role", role, f"--password={password}", "--name", description]
            # An address, so that their notifications' mails show in the terminal (make run
            # prints mail instead of sending it).
            args += ["--email", f"{username}@example.org"]
            if province:
                args += ["--province", province]
            call_command("create_staff_user", *args, stdout=io.StringIO())
            self.stdout.write(f"  {description}：用户名 {username}  密码 {password}")
        self.stdout.write(f"登录地址：http://{options['address']}/admin/")
