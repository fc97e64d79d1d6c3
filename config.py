"""Configuration classes; the environment chooses the database and supplies secrets."""

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _development_secret() -> str:
    """Return a secret key kept in instance/, generated on first use, so sessions survive restarts."""
    INSTANCE_DIR.mkdir(exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


DATABASE_DRIVER = "postgresql+psycopg2://"


def _database_url(default_name: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # A PostgreSQL URL without a driver (postgresql://, or Heroku's postgres://) gets the site's: psycopg2, which
        # costs the web server and the database about a tenth less CPU per sign-up journey than psycopg 3 (measured
        # with two apps differing only in driver, guardians alternating between them in one process; psycopg 3 stays
        # installed for the ops tools' and tests' server control).
        for scheme in ("postgres://", "postgresql://"):
            if url.startswith(scheme):
                return DATABASE_DRIVER + url[len(scheme):]
        return url
    INSTANCE_DIR.mkdir(exist_ok=True)
    return f"sqlite:///{INSTANCE_DIR / default_name}"


def limiter_storage_options(uri: str) -> dict:
    """A Redis store that hangs must not hang the login: give up on it after a second (then the fallback counts)."""
    return {"socket_connect_timeout": 1, "socket_timeout": 1} if uri.startswith(("redis", "rediss")) else {}


class Config:
    """Settings shared by every environment."""

    SQLALCHEMY_TRACK_MODIFICATIONS = False
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_CN": "中文", "en": "English"}
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    # A pooled connection the database closed (a restart) or one unused this long is tested (a round trip) before a
    # request uses it, and replaced quietly if it fails, instead of failing the request (app/__init__.py:
    # check_connections_before_use; database_unavailable for when the database is away).
    DATABASE_PING_AFTER_IDLE_SECONDS = 10
    # The busiest pages' reads are prepared once per PostgreSQL connection (app/prepared.py); 0 in the environment
    # turns that off, as a pooler that shares server connections between transactions (PgBouncer in transaction
    # mode) needs.
    DATABASE_PREPARED_STATEMENTS = True
    DATABASE_RETRY_AFTER_SECONDS = 30  # the 503 page's advice and Retry-After header while the database is away
    # When the limiter's shared store (Redis) does not answer, each process counts in its own memory until the store
    # is back (flask-limiter logs "falling back to in-memory storage" and, later, "recovered"): logins stay limited,
    # per process rather than per site. Should even that fail, the request goes through and the error is logged,
    # rather than nobody being able to log in.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # "Keep me logged in" (guardians only): a month at most, and not sent along with other sites' requests.
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Staff (every role but guardians) are logged out after this long without a request: their pages hold
    # children's names, health notes and fees, and school computers are shared.
    STAFF_IDLE_TIMEOUT = timedelta(minutes=30)
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024  # uploads (CSV/XLSX imports) up to 5 MB
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"
    # Per mobile number, whatever address the attempts come from (a botnet guessing one account's password).
    LOGIN_MOBILE_RATE_LIMIT = "5 per minute;20 per hour"
    # Requests that send an SMS (registration, forgotten password, change of mobile): per address and per number.
    SMS_ADDRESS_RATE_LIMIT = "10 per hour;30 per day"
    SMS_MOBILE_RATE_LIMIT = "3 per 10 minutes;6 per day"
    # Entering a one-time code: per address and per number (each code also dies after ONE_TIME_CODE_TRIES).
    CODE_CHECK_RATE_LIMIT = "10 per 10 minutes"
    ONE_TIME_CODE_LIFETIME = timedelta(minutes=10)
    ONE_TIME_CODE_TRIES = 5
    # How SMS leave the site: "outbox" (development and tests: the log and the page /dev/outbox) or
    # "package.module:Class" naming a backend with send(mobile, text) (see app/messaging/sms.py).
    SMS_BACKEND = "outbox"
    # The SMS provider's template ids per kind of message (texts: app/messaging/templates.py); the environment's
    # SMS_TEMPLATES (JSON, e.g. {"alert": "SMS_123456789"}) overrides some or all.
    SMS_TEMPLATES: dict[str, str] = {}  # unset kinds: the placeholders templates.DEFAULT_IDS
    SMS_SIGN_NAME = "课后服务"  # the signature (签名) filed with the provider, shown in 【】 before each SMS
    SMS_GATEWAY_URL = ""  # SMS_BACKEND=http: the gateway's address and key (app/messaging/sms.py HttpBackend)
    SMS_GATEWAY_KEY = ""
    SMS_GATEWAY_TIMEOUT = 10
    # E-mail (app/notifications/channels.py): no MAIL_SERVER, no e-mail (a delivery to an address fails, retried).
    MAIL_SERVER = ""
    MAIL_PORT = 25
    MAIL_USE_TLS = False  # STARTTLS on MAIL_PORT (587)
    MAIL_USE_SSL = False  # TLS from the start (465)
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_DEFAULT_SENDER = "noreply@localhost"
    MAIL_SENDER_NAME = "课后服务"
    MAIL_TIMEOUT = 10
    SITE_URL = ""  # the site's address for links in e-mails, e.g. https://kehou.example.edu.cn
    # Who sends e-mail and SMS (app/notifications/sender.py): "off" (flask notifications send --loop does), "thread"
    # (in the web process: ./scripts/run.sh) or "inline" (right after the request commits: tests). Unset: thread in
    # debug, otherwise off.
    NOTIFY_SENDER = None
    NOTIFY_POLL_SECONDS = 30
    DEV_OUTBOX = False  # the page /dev/outbox; development and testing only, never production
    # Proxies in front of the site that set X-Forwarded-For/-Proto/-Host (0: none, the site is reached directly).
    PROXY_HOPS = 0
    # Argon2id in one of the OWASP Password Storage Cheat Sheet's minimum configurations, which it names as giving an
    # equal level of defence and differing only in trading memory for passes: 46 MiB × 1, 19 MiB × 2, 12 MiB × 3,
    # 9 MiB × 4, 7 MiB × 5 (1 lane each). The last costs a login the least CPU: its memory stays in the processor's
    # caches (one check 12.3 ms against 21.7 ms for 19 MiB × 2, alternating on one machine; a sign-up day's thousands
    # of logins are CPU-bound on it). Hashes made with other settings are replaced at their next login.
    PASSWORD_ARGON2 = {"time_cost": 5, "memory_cost": 7168, "parallelism": 1}
    # `flask demo` (one published password for every login) loads or resets only where this is true.
    DEMO_ALLOWED = True
    # Logs (app/ops/logs.py): "json" writes one JSON object per line, one line per request; anything else: plain text.
    LOG_FORMAT = "text"
    # /metrics answers only a scraper sending "Authorization: Bearer <METRICS_TOKEN>"; unset, there is no /metrics.
    # /readyz names its checks only to the same bearer (others get ready or not, and the code).
    METRICS_TOKEN = ""

    def __init__(self) -> None:
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or _development_secret()
        self.SQLALCHEMY_DATABASE_URI = _database_url("kehou.sqlite")
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_STORAGE_OPTIONS = limiter_storage_options(self.RATELIMIT_STORAGE_URI)
        # Per-address limit on login attempts; a load test whose guardians all come from 127.0.0.1 raises it here.
        self.LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT") or Config.LOGIN_RATE_LIMIT
        self.LOGIN_MOBILE_RATE_LIMIT = os.environ.get("LOGIN_MOBILE_RATE_LIMIT") or Config.LOGIN_MOBILE_RATE_LIMIT
        self.PROXY_HOPS = int(os.environ.get("PROXY_HOPS") or 0)
        self.DATABASE_PREPARED_STATEMENTS = os.environ.get("DATABASE_PREPARED_STATEMENTS", "1") != "0"
        self.SMS_BACKEND = os.environ.get("SMS_BACKEND") or Config.SMS_BACKEND
        self.STAFF_IDLE_TIMEOUT = timedelta(
            minutes=int(os.environ.get("STAFF_IDLE_MINUTES") or Config.STAFF_IDLE_TIMEOUT.total_seconds() // 60))
        # Roster jobs: "worker" (flask rosters worker), "thread" (inside the web process) or "inline"; unset means
        # thread in development and worker in production (app/rosters/jobs.py). REDIS_URL switches to RQ.
        self.ROSTER_JOB_RUNNER = os.environ.get("ROSTER_JOB_RUNNER") or None
        # County coverage plans (app/county/plan.py): worker processes (unset: one per core), seconds per solve.
        for name, kind in (("COUNTY_PLAN_PROCESSES", int), ("COUNTY_PLAN_TIME_LIMIT", float)):
            if os.environ.get(name):
                setattr(self, name, kind(os.environ[name]))
        self.NOTIFY_SENDER = os.environ.get("NOTIFY_SENDER") or None
        self.NOTIFY_POLL_SECONDS = float(os.environ.get("NOTIFY_POLL_SECONDS") or Config.NOTIFY_POLL_SECONDS)
        self.SMS_TEMPLATES = {**Config.SMS_TEMPLATES, **json.loads(os.environ.get("SMS_TEMPLATES") or "{}")}
        for name in ("SMS_SIGN_NAME", "SMS_GATEWAY_URL", "SMS_GATEWAY_KEY", "MAIL_SERVER", "MAIL_USERNAME",
                     "MAIL_PASSWORD", "MAIL_DEFAULT_SENDER", "MAIL_SENDER_NAME", "SITE_URL"):
            setattr(self, name, os.environ.get(name) or getattr(Config, name))
        self.MAIL_PORT = int(os.environ.get("MAIL_PORT") or Config.MAIL_PORT)
        self.LOG_FORMAT = os.environ.get("LOG_FORMAT") or Config.LOG_FORMAT
        self.METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or Config.METRICS_TOKEN
        self.MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes")
        self.MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "").lower() in ("1", "true", "yes")


class DevelopmentConfig(Config):
    """Local development: SQLite under instance/ unless DATABASE_URL is set."""

    DEBUG = True
    DEV_OUTBOX = True


class TestingConfig(Config):
    """Tests: an in-memory database unless DATABASE_URL points the run at PostgreSQL."""

    TESTING = True
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    DEV_OUTBOX = True
    PASSWORD_ARGON2 = {"time_cost": 1, "memory_cost": 64, "parallelism": 1}  # cheap: tests hash thousands
    NOTIFY_SENDER = "inline"  # e-mail and SMS go right after the request commits (tests/smtp_server.py receives)
    MAIL_TIMEOUT = 2
    SMS_GATEWAY_TIMEOUT = 2

    def __init__(self) -> None:
        self.SECRET_KEY = "test-secret-key"
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")


class ProductionConfig(Config):
    """Production: SECRET_KEY and DATABASE_URL must come from the environment."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    DEMO_ALLOWED = False

    def __init__(self) -> None:
        if not os.environ.get("SECRET_KEY"):
            raise RuntimeError("SECRET_KEY must be set in production")
        super().__init__()
        # Each worker's memory would count attempts on its own: N workers allow N times the limits.
        if self.RATELIMIT_STORAGE_URI.startswith("memory") and os.environ.get("RATELIMIT_ALLOW_MEMORY") != "1":
            raise RuntimeError(
                "RATELIMIT_STORAGE_URI must name a shared store in production, e.g. redis://localhost:6379/1 "
                "(or set RATELIMIT_ALLOW_MEMORY=1 for a single-process site)")
        if self.SMS_BACKEND == "outbox":
            raise RuntimeError(
                "SMS_BACKEND must name the SMS provider's backend in production (package.module:Class, see "
                "app/messaging/sms.py): registration and password resets send one-time codes by SMS")
        if self.SMS_BACKEND == "http" and not self.SMS_GATEWAY_URL:
            raise RuntimeError("SMS_BACKEND=http needs SMS_GATEWAY_URL (and SMS_GATEWAY_KEY)")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
