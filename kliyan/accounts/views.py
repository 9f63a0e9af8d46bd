from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def locked_out(request: HttpRequest, credentials: dict | None = None, *args, **kwargs) -> HttpResponse:
    """Answer a throttled login: too many failed attempts for this username from this address."""
    return render(request, "accounts/locked_out.html", status=429)
