"""What every load benchmark's virtual person shares (the locustfiles import it): cookies over loopback, a failed
journey, and one request checked as a named step."""

from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urlsplit


class LoopbackTLSPolicy(DefaultCookiePolicy):
    """Send Secure cookies to 127.0.0.1 too: production sets them, and TLS ends at a proxy there."""

    def return_ok_secure(self, cookie, request) -> bool:
        return urlsplit(request.get_full_url()).hostname == "127.0.0.1" or super().return_ok_secure(cookie, request)


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
        is raised with it and the sample is marked failed)."""
        with self.client.request(method, path, name=name, catch_response=True, allow_redirects=False,
                                 **kwargs) as response:
            try:
                reason = check(response)
            except Exception as error:  # noqa: BLE001 - a response the check cannot read is a failed step
                reason = f"HTTP {response.status_code}: unreadable response ({type(error).__name__}: {error})"
            if reason:
                response.failure(reason)
                raise failure(f"{name}: {reason}")
            response.success()
            return response
