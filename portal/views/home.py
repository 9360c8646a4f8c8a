from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone

from portal import home_sections


def greeting(now=None) -> str:
    hour = timezone.localtime(now).hour
    if 5 <= hour < 12:
        return "Good morning"
    if 12 <= hour < 18:
        return "Good afternoon"
    return "Good evening"


def home(request):
    context = {"greeting": greeting(), "sections": home_sections.sections_for(request)}
    return render(request, "portal/home.html", context)
