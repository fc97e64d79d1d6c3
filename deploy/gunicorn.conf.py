"""gunicorn's settings for the site, from the environment only (Procfile's web, deploy/systemd/kehou-web.service).

PORT (8000) and BIND_HOST (127.0.0.1: behind the proxy on the same machine; 0.0.0.0 when the proxy is elsewhere),
WEB_CONCURRENCY worker processes (2 × cores + 1: the sign-up benchmark's choice, benchmarks/harness.py),
WEB_THREADS threads per worker (1), WEB_TIMEOUT seconds a request may take (60).
PROMETHEUS_MULTIPROC_DIR (a fresh temporary directory when unset) is where the workers keep their request figures
for /metrics: emptied when gunicorn starts, a dead worker's figures merged away when it exits.
"""

import glob
import os
import shutil
import tempfile

bind = f"{os.environ.get('BIND_HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
threads = int(os.environ.get("WEB_THREADS") or 1)
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("WEB_TIMEOUT") or 60)
graceful_timeout = 20
backlog = 2048
accesslog = None  # each request is logged by the app (app/ops/logs.py), without paths or query strings
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")

made_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="kehou-metrics-")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir  # before any worker imports prometheus_client
# gunicorn's control socket defaults to one path per user (~/.gunicorn): two servers on one machine (two nodes, or a
# test beside a benchmark) would share it. Each keeps its own beside its metrics.
control_socket = os.path.join(metrics_dir, "gunicorn.ctl")

if os.environ.get("LOG_FORMAT") == "json":  # gunicorn's own lines as JSON too, like the app's
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "app.ops.logs.JsonFormatter"}},
        "handlers": {"error_console": {"class": "logging.StreamHandler", "formatter": "json",
                                       "stream": "ext://sys.stderr"}},
        "root": {"level": "INFO", "handlers": []},  # the app adds its own JSON handler (app/ops/logs.py)
        "loggers": {"gunicorn.error": {"handlers": ["error_console"], "level": loglevel.upper(), "propagate": False},
                    "gunicorn.access": {"handlers": [], "propagate": False}},
    }


def on_starting(server) -> None:
    """A fresh start: figures of an earlier run's workers are not this run's."""
    os.makedirs(metrics_dir, exist_ok=True)
    for path in glob.glob(os.path.join(metrics_dir, "*.db")):
        os.remove(path)


def on_exit(server) -> None:
    if made_metrics_dir:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
