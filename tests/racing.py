"""Run a function in many threads released together: the harness of the concurrency tests."""

import threading
from collections.abc import Callable, Iterable


def run_together(target: Callable, arguments: Iterable[tuple]) -> list[BaseException]:
    """Call target(release, *args) once per argument tuple, each in its own thread; target calls release() when it
    is ready, and all go on at once. Returns what the threads raised (reported by the test, not lost in a thread)."""
    calls = list(arguments)
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(*args) -> None:
        try:
            target(barrier.wait, *args)
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=args) for args in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
