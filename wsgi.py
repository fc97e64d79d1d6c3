"""WSGI entry point: the only module that builds an app at import (gunicorn wsgi:app, flask --app wsgi)."""

import gc
import os

from app import create_app

app = create_app(os.environ.get("APP_CONFIG", "development"))

# The app's own objects (mappers, compiled statements and templates, translations) live as long as the process: frozen,
# the collector stops walking them at every full collection. A request makes a few thousand short-lived objects, so
# the youngest generation is collected every 20,000 allocations instead of 700 (in-process profile of a sign-up
# journey: the collector's share falls from ~2.2 to ~0.8 ms of CPU; a worker's memory grows by a few MB at most).
gc.freeze()
gc.set_threshold(20_000, 10, 10)
