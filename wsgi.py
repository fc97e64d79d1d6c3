"""WSGI entry point: the only module that builds an app at import (gunicorn wsgi:app, flask --app wsgi)."""

import os

from app import create_app

app = create_app(os.environ.get("APP_CONFIG", "development"))
