"""A roster worker that stops at a named point of its job and waits there to be killed (tests/test_faults_worker.py).

    python tests/fault_worker.py flask --app wsgi rosters worker      (the database worker)
    python tests/fault_worker.py rq worker --url ... rosters          (an RQ worker; its work horse stops)

FAULT_PAUSE_AT: "solve" (the engine has its roster, nothing is stored yet) or "store" (the roster's rows are written
in the job's transaction, not committed). There the process writes its pid to FAULT_SIGNAL_FILE and sleeps.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import scheduling  # noqa: E402
from app.extensions import db  # noqa: E402
from app.rosters import jobs  # noqa: E402


def hold() -> None:
    Path(os.environ["FAULT_SIGNAL_FILE"]).write_text(str(os.getpid()))
    while True:
        time.sleep(1)


real_solve, real_store = scheduling.solve, jobs.store_roster


def solve_then_hold(*args, **kwargs):
    real_solve(*args, **kwargs)
    hold()


def store_then_hold(week, roster):
    real_store(week, roster)
    db.session.flush()
    hold()


if os.environ["FAULT_PAUSE_AT"] == "solve":
    scheduling.solve = solve_then_hold
else:
    jobs.store_roster = store_then_hold

if __name__ == "__main__":
    program, sys.argv = sys.argv[1], sys.argv[1:]
    if program == "flask":
        from flask.cli import main
    else:
        from rq.cli import main
    main()
