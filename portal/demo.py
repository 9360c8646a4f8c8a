"""Demo data. Each app registers a seeder; ``manage.py seed_demo`` runs them in order.

Seeders are idempotent: running ``seed_demo`` twice leaves the same data as running it once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction

#: The demo accounts. Only ever created with DEBUG on (``seed_demo`` refuses otherwise).
DEMO_ADMIN_EMAIL = "admin@atrium.localhost"
DEMO_USER_EMAIL = "dev@atrium.localhost"
DEMO_PASSWORD = "atrium-demo-password"  # noqa: S105  (printed by seed_demo; demo only)


@dataclass(frozen=True)
class Seeder:
    key: str
    run: Callable[[Callable[[str], None]], None]
    order: int = 100


_seeders: dict[str, Seeder] = {}


def register(seeder: Seeder) -> None:
    _seeders[seeder.key] = seeder


def seeders() -> list[Seeder]:
    return sorted(_seeders.values(), key=lambda seeder: (seeder.order, seeder.key))


def ensure_account(email: str, *, first_name: str, last_name: str, admin: bool) -> tuple[object, bool]:
    """Create a verified account with the demo password; an existing one is left as it is."""
    user_model = get_user_model()
    with transaction.atomic():
        user = user_model.objects.filter(email__iexact=email).first()
        if user is not None:
            return user, False
        user = user_model(
            username=email,
            email=email,
            first_name=first_name,
            last_name=last_name,
            is_staff=admin,
            is_superuser=admin,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user, True


def seed_accounts(say: Callable[[str], None]) -> None:
    _admin, created_admin = ensure_account(DEMO_ADMIN_EMAIL, first_name="Ada", last_name="Admin", admin=True)
    _user, created_user = ensure_account(DEMO_USER_EMAIL, first_name="Dev", last_name="Eloper", admin=False)
    say(f"Demo accounts {'created' if created_admin or created_user else 'already present'}:")
    say(f"  administrator  {DEMO_ADMIN_EMAIL}  password: {DEMO_PASSWORD}")
    say(f"  developer      {DEMO_USER_EMAIL}  password: {DEMO_PASSWORD}")


register(Seeder("portal.accounts", seed_accounts, order=0))
