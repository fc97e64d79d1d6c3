"""A throwaway Redis server for the tests: Debian's redis-server, loopback only, no persistence, in a temp dir.

Each pytest process (each xdist worker) starts its own server on a free port when a test asks for it.
"""

import shlex
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.pg import free_port


class RedisUnavailable(RuntimeError):
    """redis-server is not installed on this machine."""


class RedisServer:
    """One temporary server: start(), url, stop()."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RedisUnavailable(
                "redis-server not found (install Debian's package: apt-get install redis-server, "
                "or run scripts/setup.sh --test)")
        self.binary = binary
        self.base_dir = Path(tempfile.mkdtemp(prefix="kehou-redis-"))
        self.log_file = self.base_dir / "server.log"
        self.port: int | None = None
        self.process: subprocess.Popen | None = None
        self.watchdog: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20.0) -> "RedisServer":
        """Start the server and wait until it answers PING; retry on another port if the chosen one was taken."""
        from redis import Redis
        from redis.exceptions import ConnectionError as RedisConnectionError

        for attempt in range(3):
            self.port = free_port()
            self.process = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(self.base_dir), "--logfile", str(self.log_file), "--daemonize", "no"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + timeout
            while self.process.poll() is None and time.monotonic() < deadline:
                try:
                    with Redis(host="127.0.0.1", port=self.port, socket_timeout=1) as client:
                        if client.ping():
                            self._start_watchdog()
                            return self
                except RedisConnectionError:
                    time.sleep(0.05)
            log = self.log_file.read_text() if self.log_file.exists() else ""
            self._kill()
            if attempt == 2:
                raise RuntimeError(f"redis-server did not answer PING on port {self.port}:\n{log}")
        return self

    def _start_watchdog(self) -> None:
        """A detached shell that stops the server if this process dies without its teardown (killed, timed out)."""
        import os

        script = (f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 2; done; "
                  f"kill {self.process.pid} 2>/dev/null; rm -rf {shlex.quote(str(self.base_dir))}")
        self.watchdog = subprocess.Popen(["sh", "-c", script], start_new_session=True, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def stop(self) -> None:
        """Stop the server and delete its directory."""
        if self.watchdog is not None:
            self.watchdog.terminate()
            self.watchdog.wait()
        try:
            self._kill()
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=True)
