"""The site's URLs plus two baselines served by the same app, through every middleware:

- ``bench/hello/``: HttpResponse("hello"), the cheapest response the app can give;
- ``bench/empty/``: a signed-in page of the base template with nothing in it, the floor under
  every real page (session, user, menu, static-file URLs).
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from recovery.urls import urlpatterns as site_urlpatterns


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello")


@login_required
def empty(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html")


urlpatterns = [
    *site_urlpatterns,
    path("bench/hello/", hello, name="bench_hello"),
    path("bench/empty/", empty, name="bench_empty"),
]
