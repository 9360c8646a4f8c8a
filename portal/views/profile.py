"""The profile page: name, e-mail addresses, linked accounts and API tokens."""

from __future__ import annotations

from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers import registry
from django.contrib import messages
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from portal import permissions, tokens
from portal.forms import ApiTokenForm, ProfileForm
from portal.models import ApiToken


def _token_context(request, *, form=None, issued=None) -> dict:
    return {
        "token_form": form or ApiTokenForm(),
        # Active tokens first, newest first; NULL ordering is made explicit (SQLite and PostgreSQL differ).
        "tokens": ApiToken.objects.filter(user=request.user).order_by(
            F("revoked").asc(nulls_first=True), "-created", "-id"
        ),
        "issued": issued,
    }


def _render_tokens(request, *, form=None, issued=None, status=200):
    context = _token_context(request, form=form, issued=issued)
    if request.htmx:
        return render(request, "portal/profile/_tokens.html", context, status=status)
    return render(request, "portal/profile/page.html", {**_profile_context(request), **context}, status=status)


def _linked_accounts(user) -> list[dict]:
    """The user's GitHub/Google accounts, named without needing the provider to be configured now.

    (``SocialAccount.get_provider()`` raises when a provider was disabled after an account was
    linked to it; the page must still render and show the link.)
    """
    accounts = []
    for account in SocialAccount.objects.filter(user=user).order_by("provider", "pk"):
        provider_class = registry.get_class(account.provider)
        if provider_class is None:
            accounts.append({"provider": account.provider, "label": account.uid})
            continue
        label = provider_class.account_class(account).to_str() or account.uid
        accounts.append({"provider": provider_class.name, "label": label})
    return accounts


def _profile_context(request, form=None) -> dict:
    return {
        "profile_form": form or ProfileForm(instance=request.user),
        "emails": request.user.emailaddress_set.order_by("-primary", "email"),
        "linked_accounts": _linked_accounts(request.user),
    }


@require_http_methods(["GET", "HEAD", "POST"])
def profile(request):
    form = None
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=request.user)
        if form.is_valid():
            form.save()
            messages.success(request, "Your name was saved.")
            return redirect("portal:profile")
    context = {**_profile_context(request, form), **_token_context(request)}
    return render(request, "portal/profile/page.html", context, status=400 if form is not None else 200)


@never_cache  # the response holds the new token's plaintext: no browser or proxy may keep a copy
@require_POST
def create_token(request):
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            issued = tokens.create_token(
                request.user,
                name=form.cleaned_data["name"],
                read_only=form.cleaned_data["access"] == "read",
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            return _render_tokens(request, issued=issued)
    return _render_tokens(request, form=form, status=400)


@require_POST
def revoke_token(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk)
    if not permissions.can(request.user, "portal.manage_token", token):
        raise Http404("No such token.")  # another user's token: do not reveal it exists
    if tokens.revoke_token(token):
        messages.success(request, f"Token “{token.name}” was revoked. Programs using it can no longer call the API.")
    else:
        messages.info(request, f"Token “{token.name}” was already revoked.")
    if request.htmx:
        return _render_tokens(request)
    return redirect("portal:profile")
