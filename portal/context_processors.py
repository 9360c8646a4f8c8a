from django.conf import settings

from portal import navigation


def _initials(user) -> str:
    name = user.get_full_name().strip() or user.get_username()
    parts = [part for part in name.replace("@", " ").replace(".", " ").split() if part]
    return "".join(part[0] for part in parts[:2]).upper() or "?"


def shell(request) -> dict:
    user = getattr(request, "user", None)
    context: dict[str, object] = {"DEBUG_MODE": settings.DEBUG}
    if user is not None and user.is_authenticated:
        context.update(
            nav_entries=navigation.entries_for(user, request.path),
            header_search=navigation.header_search(request),
            user_initials=_initials(user),
        )
    return context
