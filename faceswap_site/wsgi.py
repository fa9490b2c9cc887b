import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faceswap_site.settings")
application = get_wsgi_application()

from faceswap_site.checks import refuse_to_start_unconfigured  # noqa: E402  (needs the settings loaded)

refuse_to_start_unconfigured()
