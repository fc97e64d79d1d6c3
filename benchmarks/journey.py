"""What every load benchmark's virtual person shares (the locustfiles import it): cookies over loopback, a failed
journey, and one request checked as a named step."""

import time
import traceback
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from urllib.parse import urlsplit

import gevent
from gevent import GreenletExit


class LoopbackTLSPolicy(DefaultCookiePolicy):
    """Send Secure cookies to 127.0.0.1 too: production sets them, and TLS ends at a proxy there."""

    def return_ok_secure(self, cookie, request) -> bool:
        return urlsplit(request.get_full_url()).hostname == "127.0.0.1" or super().return_ok_secure(cookie, request)


OUTAGE_RETRIES = 20  # a person sends a request answered 503 again this many times before giving up
OUTAGE_WAIT_S = 2.0  # and waits this long at most in between (less than the page's Retry-After: a load test)


class JourneyFailed(Exception):
    """A page did not do what the person expected (the request is marked failed in the samples)."""


def location_path(response) -> str:
    """Where a redirect points ("" when the request got no answer: timeout, connection refused)."""
    headers = response.headers or {}
    return urlsplit(headers.get("Location") or headers.get("location") or "").path


class Steps:
    """A locust user's checked requests: mix into a FastHttpUser."""

    def step(self, name: str, method: str, path: str, check, failure=JourneyFailed, **kwargs):
        """One request named after its step; check(response) returns a failure reason or None (then `failure`
        is raised with it and the sample is marked failed). A 503 (the database away a moment) is sent again after a
        short wait, as its page asks, up to OUTAGE_RETRIES times; each 503 is a failed sample."""
        for attempt in range(OUTAGE_RETRIES + 1):
            with self.client.request(method, path, name=name, catch_response=True, allow_redirects=False,
                                     **kwargs) as response:
                if response.status_code == 503 and attempt < OUTAGE_RETRIES:
                    response.failure("HTTP 503: sent again after a wait")
                    self.outage_retries = getattr(self, "outage_retries", 0) + 1
                    wait = min(float((response.headers or {}).get("Retry-After") or 1), OUTAGE_WAIT_S)
                else:
                    try:
                        reason = check(response)
                    except Exception as error:  # noqa: BLE001 - a response the check cannot read is a failed step
                        reason = f"HTTP {response.status_code}: unreadable response ({type(error).__name__}: {error})"
                    if reason:
                        response.failure(reason)
                        raise failure(f"{name}: {reason}")
                    response.success()
                    return response
            gevent.sleep(wait)
        raise failure(f"{name}: HTTP 503 {OUTAGE_RETRIES + 1} times")  # not reached: the last try is checked

    def run_journey(self, person: dict, outcome: dict, outcomes: list[dict], everyone: int) -> None:
        """Run self.journey(person, outcome) once and record how it ended in `outcomes`; the run quits when all
        `everyone` journeys have ended."""
        try:
            self.journey(person, outcome)
        except JourneyFailed as failure:
            outcome["failed"] = str(failure)
        except GreenletExit:
            outcome["failed"] = "unfinished: the run ended first"
            raise
        except Exception as error:  # noqa: BLE001 - a journey's crash is a failure to report, not to hide
            where = traceback.extract_tb(error.__traceback__)[-1]
            outcome["failed"] = f"{type(error).__name__}: {error} ({Path(where.filename).name}:{where.lineno})"
        finally:
            outcome["ended"] = time.time()
            outcomes.append(outcome)
            self.finished = True
            self.client.client.close()  # its keep-alive connections are not needed any more
            if len(outcomes) == everyone:
                gevent.spawn_later(0.5, self.environment.runner.quit)
