"""Server-side prepared statements for the busiest pages' reads on PostgreSQL.

A statement marked `.execution_options(prepare=True)` is prepared on each database connection the first time it runs
there (PREPARE, sent with that first EXECUTE in one round trip), and from then on only `EXECUTE name(values)` goes to
the server. PostgreSQL then plans it once per connection instead of at every request: for the account with its family
(seven tables joined, read on every guardian page) planning was four fifths of the server's work, 1.4 of 1.8 ms.
psycopg2 sends every statement as text, and psycopg 3, which prepares by itself, cost more CPU per journey overall
(config.DATABASE_DRIVER), hence this.

Marked statements are the hot, simple reads looked up by ids; a statement whose placeholders PostgreSQL cannot type
(`$1 IS NULL`) fails at its first run, so a new mark is tested on PostgreSQL (tests/test_prepared.py). The names live
as long as the connection: a connection the pool replaces (a database restart) starts with none. Behind a pooler that
hands each transaction another server connection (PgBouncer in transaction mode), set DATABASE_PREPARED_STATEMENTS=0.
"""

import re

from sqlalchemy import event

PLACEHOLDER = re.compile(r"%%|%\((\w+)\)s")  # psycopg2's pyformat: %(name)s, and %% for a literal percent sign
MAX_PER_CONNECTION = 64  # distinct marked statements; beyond, a statement is sent as text (no error, no growth)


def _as_prepared(statement: str) -> tuple[str, tuple[str, ...]] | None:
    """The statement's body for PREPARE ($1, $2... for its placeholders) and the parameters' names in that order;
    None when it has no parameter (EXECUTE needs none; psycopg2 would not read the %% either)."""
    order: list[str] = []

    def number(match: re.Match) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)  # stays %%: the whole text goes through psycopg2's formatting with the values
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    body = PLACEHOLDER.sub(number, statement)
    return (body, tuple(order)) if order else None


def use_prepared_statements(engine) -> None:
    """Send statements marked prepare=True as EXECUTEs of statements prepared once per connection (psycopg2 only)."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg2":
        return

    @event.listens_for(engine, "do_connect")
    def plan_once(_dialect, _record, _cargs, cparams) -> None:
        # A prepared statement gets its generic plan at once, not after five planned like text (PostgreSQL's default):
        # the marked reads look rows up by their ids, where one plan serves every value. Only prepared statements
        # have plans to keep; everything else is planned as before. Set as the connection opens: no round trip.
        cparams["options"] = f"{cparams.get('options', '')} -c plan_cache_mode=force_generic_plan".strip()

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def execute_prepared(conn, _cursor, statement, parameters, context, executemany):
        if (executemany or context is None or not isinstance(parameters, dict)
                or not context.execution_options.get("prepare")):
            return statement, parameters
        info = conn.connection.info  # emptied when the connection is new
        prepared = info.setdefault("prepared_statements", {})  # statement -> its EXECUTE text
        execute = prepared.get(statement)
        if execute is not None:
            return execute, parameters
        shape = _as_prepared(statement)
        if shape is None or len(prepared) >= MAX_PER_CONNECTION:
            return statement, parameters
        body, order = shape
        # A new name at every try: a PREPARE the server took whose EXECUTE then failed is not reused by mistake.
        info["prepared_names"] = info.get("prepared_names", 0) + 1
        name = f"kehou_{info['prepared_names']}"
        execute = f"EXECUTE {name}({', '.join(f'%({p})s' for p in order)})"
        context.prepared_now = (statement, execute)  # known once the server has taken it (after_cursor_execute)
        return f"PREPARE {name} AS {body}; {execute}", parameters

    @event.listens_for(engine, "after_cursor_execute")
    def remember_prepared(conn, _cursor, _statement, _parameters, context, _executemany):
        made = getattr(context, "prepared_now", None)
        if made is not None:
            statement, execute = made
            conn.connection.info.setdefault("prepared_statements", {})[statement] = execute
