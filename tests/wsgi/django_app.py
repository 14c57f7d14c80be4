"""A minimal Django project in one module, served unchanged."""
from django.conf import settings
from django.http import HttpResponse
from django.urls import path

settings.configure(DEBUG=False, SECRET_KEY="greensock-tests", ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"],
                   MIDDLEWARE=[], INSTALLED_APPS=[])


def index(request):
    return HttpResponse(f"django says hi to {request.GET.get('name', 'nobody')}")


def echo(request):
    return HttpResponse(request.body, content_type="application/octet-stream")


urlpatterns = [path("", index), path("echo", echo)]

from django.core.wsgi import get_wsgi_application  # noqa: E402 - after settings, as Django wants

app = get_wsgi_application()
