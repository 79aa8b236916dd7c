"""WSGI entry point (gunicorn jamana.config.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jamana.config.settings")
application = get_wsgi_application()
