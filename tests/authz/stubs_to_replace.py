"""Matrix cases for pages whose domains are being built; each domain moves its cases to its own module."""

from tests.authz import Case

CASES = [
]
