"""Weekly roster engine: CP-SAT solver, validator and generator (no Flask).

The web app uses parse_problem, solve, validate and roster_to_dict; scheduling.policy holds the
policy numbers for the forms. The solver is imported lazily so that policy and the validator stay OR-Tools-free.
"""

from scheduling.problem import Problem, ProblemError, parse_problem
from scheduling.roster import Roster, roster_from_dict, roster_to_dict

# Imported eagerly (it is pure Python): importing the submodule later would otherwise rebind the package's
# `validate` attribute from this function to the module of the same name.
from scheduling.validate import validate  # noqa: E402


def solve(problem, time_limit: float = 10.0, workers: int = 2, on_progress=None, *,
          wall_clock: bool = False) -> Roster:
    """Solve a problem (Problem, dict or JSON text) into a Roster; see scheduling.solver.solve."""
    from scheduling.solver import solve as _solve

    return _solve(problem, time_limit=time_limit, workers=workers, on_progress=on_progress, wall_clock=wall_clock)


__all__ = ["Problem", "ProblemError", "Roster", "parse_problem", "roster_from_dict", "roster_to_dict", "solve",
           "validate"]
