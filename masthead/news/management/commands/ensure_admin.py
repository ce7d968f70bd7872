import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create an administrator if there is none, and print its login once."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        User = get_user_model()
        login = settings.VAR_DIR / "admin-login.txt"
        if User.objects.filter(is_superuser=True).exists():
            where = (
                f"its login is in {login}"
                if login.exists()
                else "use its password, or reset it with `masthead changepassword`"
            )
            self.stdout.write(f"An administrator exists; log in at /admin/ ({where}).")
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        login.write_text(f"username: {username}\npassword: {password}\n")
        login.chmod(0o600)
        self.stdout.write(
            self.style.SUCCESS(f"Administrator created. Username: {username}  Password: {password}")
        )
        self.stdout.write(f"(kept in {login}; change it in the admin.)")
