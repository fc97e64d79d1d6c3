"""Matrix cases for liveness, readiness and metrics (app/ops): for machines, the same answer whoever asks."""

from tests.authz import EVERYONE, Case

CASES = [
    Case("ops.healthz", EVERYONE),
    # The matrix's database has no roster worker and no scheduler: not ready, whoever asks (tests/test_ops.py).
    Case("ops.readyz", EVERYONE, ok=503),
    # No METRICS_TOKEN in the tests' config: the page does not exist (with a token: tests/test_ops.py).
    Case("ops.metrics_page", EVERYONE, ok=404),
]
