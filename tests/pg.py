"""A throwaway PostgreSQL server for the tests: Debian's binaries, initdb in a temporary directory, loopback only.

Each pytest process (each xdist worker) starts its own server on a free port, so workers never share a database.
As root, the server runs as the unprivileged `postgres` user that Debian's package creates (PostgreSQL refuses
to run as root).
"""

import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

SERVER_USER = "postgres"
SUPERUSER = "kehou"


class PostgresUnavailable(RuntimeError):
    """PostgreSQL's server binaries (or a user to run them as) are missing on this machine."""


def find_bin_dir() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin that has initdb, pg_ctl and postgres."""
    candidates = []
    for initdb in glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        bin_dir = Path(initdb).parent
        version = bin_dir.parent.name
        if (bin_dir / "pg_ctl").exists() and (bin_dir / "postgres").exists() and version.split(".")[0].isdigit():
            candidates.append((int(version.split(".")[0]), bin_dir))
    if not candidates:
        raise PostgresUnavailable(
            "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin "
            "(install Debian's package: apt-get install postgresql, or run scripts/setup.sh --test)"
        )
    return max(candidates)[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """One temporary cluster: start(), create_database(), url(), stop()."""

    def __init__(self) -> None:
        self.bin_dir = find_bin_dir()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            try:
                self.owner = pwd.getpwnam(SERVER_USER)
            except KeyError as error:
                raise PostgresUnavailable(
                    f"running as root, and there is no '{SERVER_USER}' user to run PostgreSQL as"
                ) from error
        self.base_dir = Path(tempfile.mkdtemp(prefix="kehou-pg-"))
        self.data_dir = self.base_dir / "data"
        self.socket_dir = self.base_dir / "sock"
        self.log_file = self.base_dir / "server.log"
        self.port: int | None = None
        self.watchdog: subprocess.Popen | None = None

    def _command(self, *args: str) -> list[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        return ["runuser", "-u", SERVER_USER, "--", *command] if self.as_root else command

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = self._command(*args)
        result = subprocess.run(command, capture_output=True, text=True, cwd=self.base_dir, timeout=120)
        if result.returncode != 0:
            log = self.log_file.read_text() if self.log_file.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n{log}")
        return result

    def start(self) -> "PostgresServer":
        """initdb and start the server; retry on another port if the chosen one was taken meanwhile."""
        self.socket_dir.mkdir()
        if self.as_root:
            self.base_dir.chmod(0o700)
            for path in (self.base_dir, self.socket_dir):
                os.chown(path, self.owner.pw_uid, self.owner.pw_gid)
        self._run("initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8",
                  "--locale=C", "--no-sync")
        for attempt in range(3):
            self.port = free_port()
            # Durability is pointless for a throwaway test database; turning it off makes commits cheap.
            try:
                self.start_server()
                self._start_watchdog()
                return self
            except RuntimeError:
                if attempt == 2:
                    raise
        return self

    def start_server(self) -> None:
        """Start the server on this cluster's data directory and port (again, after stop_server)."""
        # Durability is pointless for a throwaway test database; turning it off makes commits cheap.
        options = (f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data_dir), "-l", str(self.log_file),
                  "-o", options)

    def stop_server(self, mode: str = "fast") -> None:
        """Stop the server but keep its data (start_server brings the same databases back on the same port): an
        outage. 'fast' ends every session as a restart does; 'immediate' is a crash."""
        self._run("pg_ctl", "stop", "-w", "-t", "60", "-m", mode, "-D", str(self.data_dir))

    def _start_watchdog(self) -> None:
        """A detached shell that stops the server if this process dies without its teardown (killed, timed out)."""
        stop = shlex.join(self._command("pg_ctl", "stop", "-m", "immediate", "-D", str(self.data_dir)))
        script = (f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 2; done; "
                  f"{stop} >/dev/null 2>&1; rm -rf {shlex.quote(str(self.base_dir))}")
        self.watchdog = subprocess.Popen(["sh", "-c", script], start_new_session=True, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its directory."""
        if self.watchdog is not None:
            self.watchdog.terminate()
            self.watchdog.wait()
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data_dir))
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def url(self, database: str) -> str:
        """SQLAlchemy URL of a database on this server."""
        return f"postgresql+psycopg2://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True)

    def create_database(self, name: str) -> str:
        """Create an empty database (dropping one of that name first); return its URL."""
        with self._admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, ending any connection still open to it."""
        with self._admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
