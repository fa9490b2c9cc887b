from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader

from templates.selectors import template_list_popular


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"popular_templates": template_list_popular(limit=8)})


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the error may come from the database or the session.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
