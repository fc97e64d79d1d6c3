"""Generate the four sizes, solve, validate and print a table (run: .venv/bin/python benchmarks/roster_bench.py)."""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scheduling import parse_problem, roster_to_dict, solve, validate  # noqa: E402
from scheduling.generate import generate  # noqa: E402

LIMITS = {"small": 2, "medium": 10, "large": 20, "county": 60}


def run(size: str, seed: int, workers: int) -> dict:
    doc = generate(size, seed)
    problem = parse_problem(doc)
    start = time.monotonic()
    roster = roster_to_dict(solve(problem, time_limit=LIMITS[size], workers=workers))
    wall = time.monotonic() - start
    m = roster["metrics"]
    row = {"size": size, "sessions": len(doc["sessions"]), "staff": len(doc["staff"]), "status": roster["status"],
           "staffed": f"{m['staffed_sessions']}/{m['sessions_needing_staff']}",
           "max_load": f"{m['max_teacher_minutes']} (≥{m['max_teacher_minutes_bound']})",
           "changes": m["changed_vs_previous"], "wall": f"{wall:.1f}",
           "violations": len(validate(problem, roster))}
    if size == "large":  # re-solve with previous = this roster and one busy teacher made unavailable one afternoon
        used = [a["staff"] for a in roster["assignments"] if a["staff"].startswith("t-")]
        teacher = max(set(used), key=used.count)
        doc["previous"] = roster["assignments"]
        day = next(s["date"] for s in doc["sessions"] for a in roster["assignments"]
                   if a["staff"] == teacher and a["session"] == s["id"])
        for person in doc["staff"]:
            if person["id"] == teacher:
                person["unavailable"] = person["unavailable"] + [{"date": day, "start": "07:00", "end": "21:00"}]
        again = roster_to_dict(solve(doc, time_limit=LIMITS[size], workers=workers))
        row["resolve_changes"] = again["metrics"]["changed_vs_previous"]
        row["resolve_violations"] = len(validate(parse_problem(doc), again))
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sizes", nargs="*", default=list(LIMITS))
    args = parser.parse_args()
    print(f"{'size':8}{'sessions':>9}{'staff':>7}  {'status':10}{'staffed':>11}  {'max load (bound)':18}"
          f"{'changes':>8}{'wall s':>8}{'viol':>6}  re-solve")
    for size in args.sizes:
        r = run(size, args.seed, args.workers)
        extra = f"changes={r['resolve_changes']} viol={r['resolve_violations']}" if "resolve_changes" in r else ""
        print(f"{r['size']:8}{r['sessions']:>9}{r['staff']:>7}  {r['status']:10}{r['staffed']:>11}  "
              f"{r['max_load']:18}{r['changes']:>8}{r['wall']:>8}{r['violations']:>6}  {extra}", flush=True)


if __name__ == "__main__":
    main()
