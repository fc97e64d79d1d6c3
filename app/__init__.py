"""Application factory."""

import logging

from flask import Flask, request, session
from flask_login import current_user

from app.extensions import babel, csrf, db, limiter, login_manager, migrate
from config import CONFIGS, Config

logger = logging.getLogger(__name__)


def create_app(config: type[Config] | str = "development") -> Flask:
    """Build the application with a config class or its name ('development', 'testing', 'production')."""
    app = Flask(__name__, instance_relative_config=True)
    config_cls = CONFIGS[config] if isinstance(config, str) else config
    app.config.from_object(config_cls())

    register_proxy(app)
    register_extensions(app)
    register_ops(app)
    register_url_params(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def select_locale() -> str:
    """The language chosen in the page, else the account's, else Chinese (the default for every visitor)."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def enforce_sqlite_foreign_keys(engine) -> None:
    """SQLite checks foreign keys (and runs ON DELETE actions) only when asked, per connection."""
    if engine.dialect.name != "sqlite":
        return
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def set_sqlite_pragma(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def check_connections_before_use(engine, idle_seconds: float) -> None:
    """A pooled connection is known to work before a request uses it, at the cost of a round trip only when there is
    doubt: a connection the server has closed (a restart ends every session, and the server's goodbye makes the socket
    readable) or one unused for `idle_seconds` (a firewall may have dropped it silently) is tested, and replaced if the
    test fails; one checked in a moment ago with nothing to read is used straight away. (pool_pre_ping would send the
    round trip before every request: a sixth of a sign-up page's statements.) A new connection is not tested."""
    if engine.dialect.name == "sqlite":
        return
    import select
    import time

    from sqlalchemy import event
    from sqlalchemy.exc import DisconnectionError

    dbapi_error = engine.dialect.loaded_dbapi.Error

    @event.listens_for(engine, "checkin")
    def note_when_returned(_dbapi_connection, record) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def test_if_in_doubt(dbapi_connection, record, _proxy) -> None:
        returned_at = record.info.get("returned_at")  # info is emptied when a connection is replaced
        if returned_at is None:
            return
        if time.monotonic() - returned_at < idle_seconds:
            try:
                readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
            except (OSError, ValueError, dbapi_error):  # no socket any more: it is gone
                readable = True
            if not readable:
                return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except dbapi_error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise DisconnectionError("the database closed this connection") from error  # the pool reconnects
            raise


def register_proxy(app: Flask) -> None:
    """Behind PROXY_HOPS proxies, take the client's address, scheme and host from their X-Forwarded-* headers.

    Only that many hops are trusted: a client cannot pose as another address by sending the header itself.
    The limiter keys on the real address and HSTS is sent because the request is seen as HTTPS.
    """
    hops = app.config["PROXY_HOPS"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_extensions(app: Flask) -> None:
    """Bind each extension to the app."""
    # Importing the models registers their tables with the metadata (migrations compare against it).
    from app import models  # noqa: F401

    db.init_app(app)
    with app.app_context():
        enforce_sqlite_foreign_keys(db.engine)
        check_connections_before_use(db.engine, app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])
        if app.config["DATABASE_PREPARED_STATEMENTS"]:
            from app.prepared import use_prepared_statements

            use_prepared_statements(db.engine)
    migrate.init_app(app, db, render_as_batch=True)
    csrf.init_app(app)
    from app.forms_common import use_fast_html_params

    use_fast_html_params()
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)

    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "strong"
    from flask_babel import lazy_gettext

    login_manager.login_message = lazy_gettext("Please log in to see this page.")
    login_manager.login_message_category = "info"

    from app.accounts.services import load_user

    login_manager.user_loader(load_user)


def register_ops(app: Flask) -> None:
    """Request ids, timing, metrics and (LOG_FORMAT=json) JSON log lines; before the blueprints' own hooks."""
    from app.ops import logs

    logs.register(app)


def register_url_params(app: Flask) -> None:
    """Ids in URLs within the integer range (404 beyond): the `int` converter every route uses."""
    from app import params

    params.register(app)


def register_blueprints(app: Flask) -> None:
    """Attach each domain's blueprint."""
    from app.accounts import bp as accounts_bp
    from app.audit.routes import bp as audit_bp
    from app.complaints.public_routes import bp as transparency_bp
    from app.complaints.routes import bp as complaints_bp
    from app.county.routes import bp as county_bp
    from app.daily.routes import bp as daily_bp
    from app.enrolment import bp as enrolment_bp
    from app.main import bp as main_bp
    from app.myweek import bp as myweek_bp
    from app.notifications import bp as notifications_bp
    from app.notifications import sender as notification_sender
    from app.ops import bp as ops_bp
    from app.privacy import bp as privacy_bp
    from app.programs import bp as programs_bp
    from app.providers import bp as providers_bp
    from app.rosters import bp as rosters_bp
    from app.schools import bp as schools_bp
    from app.staff import bp as staff_bp
    from app.surveys.routes import bp as surveys_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(schools_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(providers_bp)
    app.register_blueprint(programs_bp)
    app.register_blueprint(enrolment_bp)
    app.register_blueprint(rosters_bp)
    app.register_blueprint(myweek_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(daily_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(county_bp)
    app.register_blueprint(complaints_bp)
    app.register_blueprint(transparency_bp)
    app.register_blueprint(surveys_bp)
    notification_sender.init_app(app)
    if app.config["DEV_OUTBOX"] and app.config["SMS_BACKEND"] == "outbox":
        from app.messaging import bp as messaging_bp

        app.register_blueprint(messaging_bp)


def register_error_handlers(app: Flask) -> None:
    """Friendly pages for the errors a user can meet."""
    from flask import render_template
    from flask_wtf.csrf import CSRFError

    def render_error(error, code):
        return render_template("errors/error.html", code=code, error=error), code

    def refused(error):
        from app.audit import services as audit

        db.session.rollback()  # whatever the refused request had begun is not kept
        audit.security("access_denied", subject=f"{request.method} {request.path}"[:200])
        db.session.commit()
        return render_error(error, 403)

    app.register_error_handler(403, refused)
    for code in (400, 404, 405, 413, 429, 500):
        app.register_error_handler(code, lambda e, code=code: render_error(e, code))
    app.register_error_handler(CSRFError, lambda e: render_error(e, 400))
    register_database_outage(app)


def register_database_outage(app: Flask) -> None:
    """The database not answering (restarting, unreachable, a dropped connection) is a 503 that asks to try again
    shortly, not a 500: nothing half-done is kept (the request's transaction never committed, or committed whole),
    and the pool replaces dead connections by itself (check_connections_before_use), so the next try works once it is
    back."""
    from flask import g, make_response, render_template
    from sqlalchemy.exc import DisconnectionError, OperationalError

    def database_unavailable(error):
        logger.warning("database unavailable during %s %s: %s", request.method, request.path,
                       str(getattr(error, "orig", None) or error).strip().splitlines()[0][:200])
        try:
            db.session.rollback()
        except Exception:  # the connection is gone; the session is dropped at the end of the request anyway
            logger.debug("rollback after a database outage failed", exc_info=True)
        g._login_user = login_manager.anonymous_user()  # the page must not ask the database who is logged in
        seconds = app.config["DATABASE_RETRY_AFTER_SECONDS"]
        response = make_response(render_template("errors/503.html", retry_after=seconds), 503)
        response.headers["Retry-After"] = str(seconds)
        response.headers["Cache-Control"] = "no-store"
        return response

    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(DisconnectionError, database_unavailable)

    @app.teardown_appcontext
    def close_session_though_the_database_went_away(_exc) -> None:
        """A response already made is not turned into a 500 because the database went away before the request's
        session could roll back. (Registered after Flask-SQLAlchemy's own teardown, so it runs first.)"""
        try:
            db.session.remove()
        except (OperationalError, DisconnectionError) as error:
            logger.warning("database went away before the end of %s %s: %s", request.method if request else "-",
                           request.path if request else "-", str(getattr(error, "orig", None) or error).strip()
                           .splitlines()[0][:200])
            try:
                db.session().invalidate()
            finally:
                db.session.registry.clear()


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def register_security_headers(app: Flask) -> None:
    """CSP without inline script, no framing, no sniffing, little referrer."""

    @app.after_request
    def set_security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        # A response to a logged-in browser is kept by no cache. Read from the session (Flask-Login's key): the
        # account itself may have been expired by the request's commit, and asking it would cost a statement.
        if "_user_id" in session:
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def register_template_helpers(app: Flask) -> None:
    """Names every template can use."""
    from flask_babel import get_locale, get_translations

    from app.accounts.models import Role
    from app.enrolment import need_to_know
    from app.models_base import local_today
    from app.schools.models import class_label

    need_to_know.register_template_globals(app)

    @app.context_processor
    def inject_globals():
        return {
            "Role": Role,
            "class_label": class_label,
            "current_locale": str(get_locale()),
            "today": local_today(),
            TRANSLATIONS: get_translations(),
        }

    translate_templates_from_their_context(app)


TRANSLATIONS = "_translations"  # the render's translations, in every template's context


def translate_templates_from_their_context(app: Flask) -> None:
    """Templates' _() and ngettext() read the translations given to the render (the context processor's, as
    Flask-Babel would find them for the request) instead of asking Flask-Babel for them at each string: a page has
    dozens, and each asked three times for the request's context and the locale's name. Templates rendered without
    that context (an imported macro file) ask Flask-Babel, as before."""
    from flask_babel import get_translations
    from jinja2 import pass_context

    def translations(context):
        found = context.get(TRANSLATIONS)
        return found if found is not None else get_translations()

    app.jinja_env.install_gettext_callables(
        gettext=pass_context(lambda context, s: translations(context).ugettext(s)),
        ngettext=pass_context(lambda context, s, p, n: translations(context).ungettext(s, p, n)),
        pgettext=pass_context(lambda context, c, s: translations(context).upgettext(c, s)),
        npgettext=pass_context(lambda context, c, s, p, n: translations(context).unpgettext(c, s, p, n)),
        newstyle=True)


def register_commands(app: Flask) -> None:
    """Flask CLI commands (flask demo, ...)."""
    from app.cli import register
    from app.county.plan_cli import register as register_county_plan
    from app.enrolment.cli import cli as enrolment_cli
    from app.notifications.sender import cli as notifications_cli
    from app.rosters.jobs import cli as rosters_cli

    register(app)
    app.cli.add_command(rosters_cli)
    app.cli.add_command(enrolment_cli)
    app.cli.add_command(notifications_cli)
    register_county_plan(app)  # after every other command: it joins `flask county` if another part made it
