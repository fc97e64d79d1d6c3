"""Command line: solve, validate, generate (python -m scheduling ...)."""

from __future__ import annotations

import argparse
import json
import sys

from scheduling.problem import ProblemError, parse_problem
from scheduling.roster import roster_to_json

EXIT_OK, EXIT_BROKEN, EXIT_INVALID = 0, 1, 2


def _read(path: str, what: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise ProblemError(what, f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ProblemError(what, f"{path} is not UTF-8 text") from None


def _write(text: str, out: str | None) -> None:
    if out:
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    else:
        sys.stdout.buffer.write((text + "\n").encode("utf-8"))
        sys.stdout.flush()


def _solve(args) -> int:
    from scheduling.solver import solve

    problem = parse_problem(_read(args.problem, "problem"))
    roster = solve(problem, time_limit=args.time_limit, workers=args.workers)
    _write(roster_to_json(roster), args.out)
    return EXIT_OK


def _validate(args) -> int:
    from scheduling.validate import validate

    problem = parse_problem(_read(args.problem, "problem"))
    try:
        roster = json.loads(_read(args.roster, "roster"))
    except json.JSONDecodeError as exc:
        raise ProblemError("roster", f"bad JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(roster, dict):
        raise ProblemError("roster", "must be a JSON object")
    violations = validate(problem, roster)
    for v in violations:
        where = " ".join(f"{k}={v[k]}" for k in ("session", "staff") if v.get(k))
        print(f"{v['rule']}: {v['message']} {where}".rstrip(), file=sys.stderr)
    if violations:
        print(f"{len(violations)} violation(s)", file=sys.stderr)
        return EXIT_BROKEN
    print("ok: no hard rule broken", file=sys.stderr)
    return EXIT_OK


def _generate(args) -> int:
    from scheduling.generate import generate

    problem = generate(args.size, args.seed, holiday=args.holiday)
    _write(json.dumps(problem, ensure_ascii=False, indent=1), args.out)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the three commands."""
    parser = argparse.ArgumentParser(prog="python -m scheduling", description="Weekly roster engine.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_solve = sub.add_parser("solve", help="solve a problem into a roster")
    p_solve.add_argument("problem")
    p_solve.add_argument("--out")
    p_solve.add_argument("--time-limit", type=float, default=10.0)
    p_solve.add_argument("--workers", type=int, default=2)
    p_solve.set_defaults(func=_solve)
    p_val = sub.add_parser("validate", help="check a roster against every hard rule")
    p_val.add_argument("problem")
    p_val.add_argument("roster")
    p_val.set_defaults(func=_validate)
    p_gen = sub.add_parser("generate", help="write a realistic problem")
    p_gen.add_argument("--size", choices=("small", "medium", "large", "county"), required=True)
    p_gen.add_argument("--seed", type=int, required=True)
    p_gen.add_argument("--holiday", action="store_true", help="a holiday-care week instead of a school week")
    p_gen.add_argument("--out")
    p_gen.set_defaults(func=_generate)
    return parser


def main(argv=None) -> int:
    """Run one command; exit 2 with the faulty field on standard error for an invalid problem."""
    args = build_parser().parse_args(argv)
    if getattr(args, "time_limit", 1) <= 0:
        print("error: --time-limit must be positive", file=sys.stderr)
        return EXIT_INVALID
    if getattr(args, "workers", 1) < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return EXIT_INVALID
    try:
        return args.func(args)
    except ProblemError as exc:
        print(f"invalid problem: {exc}", file=sys.stderr)
        return EXIT_INVALID
