import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import BaseCommand, CommandError
from django.db import transaction

from estates.models import Province, StaffProfile
from estates.roles import GROUP_NAMES, ROLES_NEEDING_PROVINCE, Role, sync_role_groups


class Command(BaseCommand):
    help = "创建或更新一个工作人员账号，设定角色和所属省份，并打印新密码。"

    def add_arguments(self, parser):
        parser.add_argument("username", help="用户名")
        parser.add_argument(
            "--role",
            required=True,
            choices=[role.value for role in Role],
            help="角色：ministry 部级管理员，provincial 省级填报员，reviewer 评审专家，editor 编辑",
        )
        parser.add_argument(
            "--province",
            help="所属省份（拼音标识如 shandong，或代码如 370000）；省级填报员必填",
        )
        parser.add_argument("--name", default="", help="姓名（显示用）")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password", help="不填则生成随机密码并打印（生产环境请让本人登录后修改）"
        )

    @transaction.atomic
    def handle(self, username, role, province=None, name="", email="", password=None, **options):
        role = Role(role)
        province_obj = None
        if province:
            province_obj = Province.objects.filter(slug=province).first() or (
                Province.objects.filter(code=province).first()
            )
            if province_obj is None:
                raise CommandError(
                    f"找不到省份“{province}”：请用拼音标识（如 shandong）或代码（如 370000）。"
                )
        if role in ROLES_NEEDING_PROVINCE and province_obj is None:
            raise CommandError(f"角色“{role.label}”必须用 --province 指定所属省份。")
        sync_role_groups()
        user, created = get_user_model().objects.get_or_create(username=username)
        user.is_staff = True
        user.is_active = True
        if name:
            user.last_name = name
        if email:
            user.email = email
        password = password or secrets.token_urlsafe(12)
        user.set_password(password)
        user.save()
        user.groups.remove(*Group.objects.filter(name__in=GROUP_NAMES.values()))
        user.groups.add(Group.objects.get(name=GROUP_NAMES[role]))
        StaffProfile.objects.update_or_create(user=user, defaults={"province": province_obj})
        where = f"，所属省份 {province_obj}" if province_obj else ""
        verb = "已创建" if created else "已更新"
        self.stdout.write(f"{verb}账号 {username}：{role.label}{where}；密码 {password}")
