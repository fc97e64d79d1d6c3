"""Weekly roster engine: CP-SAT solver, validator and generator (no Flask)."""
