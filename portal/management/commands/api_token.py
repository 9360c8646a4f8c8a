"""``manage.py api_token``: issue, list and revoke API tokens from the command line."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import F

from portal import tokens
from portal.models import ApiToken

DEFAULT_NAME = "Created with manage.py api_token"
_KEY_ID_RE = re.compile(rf"(?:{tokens.PREFIX}_)?(?P<key_id>[0-9a-f]{{{tokens.KEY_ID_BYTES * 2}}})(?:_.*)?")


class Command(BaseCommand):
    help = (
        "Manage API tokens. "
        "`api_token create USERNAME` prints the new token, and nothing else, on standard output, "
        "so that a script can capture it: TOKEN=$(manage.py api_token create alice). "
        "Tokens made here can read and write unless --read-only is given "
        "(the profile page proposes read-only first). "
        "`api_token list USERNAME` shows a user's tokens without their secrets; "
        "`api_token revoke KEY_ID` revokes one."
    )

    def add_arguments(self, parser) -> None:
        commands = parser.add_subparsers(dest="action", required=True, metavar="{create,list,revoke}")

        create = commands.add_parser(
            "create",
            help="Issue a token and print it (only it) on standard output.",
            description="Issue a token and print it (only it) on standard output. "
            "Read-write unless --read-only is given; never expires unless --expires is given.",
        )
        create.add_argument("username", help="The user the token acts for: username or e-mail address.")
        create.add_argument("--name", default=DEFAULT_NAME, help=f"What the token is for (default: {DEFAULT_NAME!r}).")
        create.add_argument(
            "--read-only",
            action="store_true",
            help="The token may only read (GET); without this flag it may also write.",
        )
        create.add_argument(
            "--expires",
            type=int,
            metavar="DAYS",
            help=f"Expire the token after DAYS days (1 to {tokens.MAX_EXPIRY_DAYS}); default: never.",
        )

        listing = commands.add_parser("list", help="List a user's tokens (never their secrets).")
        listing.add_argument("username", help="Username or e-mail address.")

        revoke = commands.add_parser("revoke", help="Revoke a token; programs using it can no longer call the API.")
        revoke.add_argument("key_id", help="The token's key id, as `list` shows it (atr_<key id>_… also works).")

    def handle(self, *args, action: str, **options) -> None:
        if action == "create":
            self._create(options)
        elif action == "list":
            self._list(options["username"])
        else:
            self._revoke(options["key_id"])

    def _create(self, options) -> None:
        user = _find_user(options["username"])
        if not user.is_active:
            raise CommandError(f"User {user.get_username()!r} is deactivated; a token for them would not work.")
        try:
            issued = tokens.create_token(
                user, name=options["name"], read_only=options["read_only"], expires_in_days=options["expires"]
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        token = issued.token
        # Only the token goes to stdout; the human-readable summary goes to stderr.
        self.stdout.write(issued.plaintext)
        self.stderr.write(
            f"Created token {token.name!r} ({token.display}) for {user.get_username()}: "
            f"{'read only' if token.read_only else 'read and write'}, "
            f"{'expires ' + token.expires.isoformat(timespec='seconds') if token.expires else 'never expires'}."
        )

    def _list(self, username: str) -> None:
        user = _find_user(username)
        rows = ApiToken.objects.filter(user=user).order_by(F("revoked").asc(nulls_first=True), "-created", "-id")
        if not rows:
            self.stdout.write(f"{user.get_username()} has no API tokens.")
            return
        self.stdout.write(_row("KEY ID", "STATUS", "ACCESS", "CREATED", "EXPIRES", "LAST USED", "NAME"))
        for token in rows:
            status = "revoked" if token.revoked else "expired" if token.is_expired else "active"
            access = "read" if token.read_only else "read-write"
            when = (_when(token.created), _when(token.expires), _when(token.last_used))
            self.stdout.write(_row(token.key_id, status, access, *when, token.name))

    def _revoke(self, key_id: str) -> None:
        match = _KEY_ID_RE.fullmatch(key_id.strip())
        token = ApiToken.objects.filter(key_id=match["key_id"]).first() if match else None
        if token is None:
            raise CommandError(f"No API token has the key id {key_id!r}. `api_token list USERNAME` shows them.")
        if tokens.revoke_token(token):
            self.stdout.write(f"Revoked token {token.name!r} ({token.display}).")
        else:
            self.stdout.write(f"Token {token.name!r} ({token.display}) was already revoked.")


def _find_user(username: str):
    """The user named ``username``, or the one whose e-mail address it is."""
    model = get_user_model()
    user = model._default_manager.filter(**{model.USERNAME_FIELD: username}).first()
    if user is None:
        matches = list(model._default_manager.filter(email__iexact=username)[:2])
        if len(matches) == 1:
            user = matches[0]
    if user is None:
        raise CommandError(f"No user has the username or e-mail address {username!r}.")
    return user


def _row(key_id, status, access, created, expires, last_used, name) -> str:
    return f"{key_id:<13} {status:<8} {access:<11} {created:<17} {expires:<17} {last_used:<17} {name}"


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "never"
