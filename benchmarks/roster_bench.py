"""Generate the sizes, solve, validate, print the issue's table (.venv/bin/python benchmarks/roster_bench.py).

Columns: sessions, staff, status, staffed/needed, max teacher minutes (proven lower bound, gap), changes vs previous
(only the large re-solve row has a previous roster), wall seconds, validation result. --json FILE saves the rows.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import scheduling.solver  # noqa: E402,F401  (import OR-Tools once, as a server would: ~1-4 s not counted)
from scheduling import parse_problem, roster_to_dict, solve, validate  # noqa: E402
from scheduling.generate import generate  # noqa: E402

LIMITS = {"small": 2, "medium": 10, "large": 20, "county": 60}


def _row(label, doc, problem, roster, wall):
    m = roster["metrics"]
    violations = validate(problem, roster)
    return {"size": label, "sessions": len(doc["sessions"]), "staff": len(doc["staff"]), "status": roster["status"],
            "staffed": m["staffed_sessions"], "needed": m["sessions_needing_staff"],
            "staffed_bound": m["sessions_needing_staff"] - m["best_bound"],
            "max_load": m["max_teacher_minutes"], "max_load_bound": m["max_teacher_minutes_bound"],
            "max_load_gap": m["max_teacher_minutes_gap"], "changes": m["changed_vs_previous"],
            "previous_pairs": len(doc["previous"]), "wall": round(wall, 2), "violations": len(violations),
            "stages": m.get("stages", {})}


def run(size: str, seed: int, workers: int) -> list[dict]:
    doc = generate(size, seed)
    problem = parse_problem(doc)
    start = time.monotonic()
    roster = roster_to_dict(solve(problem, time_limit=LIMITS[size], workers=workers))
    rows = [_row(size, doc, problem, roster, time.monotonic() - start)]
    if size == "large":  # re-solve with previous = this roster and one busy teacher away for one day
        used = [a["staff"] for a in roster["assignments"] if a["staff"].startswith("t-")]
        teacher = max(sorted(set(used)), key=used.count)
        doc["previous"] = roster["assignments"]
        day = next(s["date"] for s in doc["sessions"] for a in roster["assignments"]
                   if a["staff"] == teacher and a["session"] == s["id"])
        for person in doc["staff"]:
            if person["id"] == teacher:
                person["unavailable"] = person["unavailable"] + [{"date": day, "start": "07:00", "end": "21:00"}]
        lost = sum(1 for a in roster["assignments"] for s in doc["sessions"]
                   if a["staff"] == teacher and a["session"] == s["id"] and s["date"] == day)
        again_problem = parse_problem(doc)
        start = time.monotonic()
        again = roster_to_dict(solve(again_problem, time_limit=LIMITS[size], workers=workers))
        row = _row("large re-solve", doc, again_problem, again, time.monotonic() - start)
        row["forced_changes"] = lost  # pairs of the absent teacher that day: no roster can keep them
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sizes", nargs="*", default=list(LIMITS))
    parser.add_argument("--json", metavar="FILE", help="save the rows (and the commit) as JSON")
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parent).stdout.strip()
    print(f"seed {args.seed}, {args.workers} workers, commit {commit}")
    print("| size | sessions | staff | status | staffed | max teacher min (proven bound, gap) | changes | wall s "
          "| validation |")
    print("|---|---|---|---|---|---|---|---|---|")
    rows = []
    for size in args.sizes:
        for r in run(size, args.seed, args.workers):
            rows.append(r)
            changes = (f"{r['changes']} (≥{r['forced_changes']} forced)" if "forced_changes" in r
                       else str(r["changes"]))
            valid = "ok" if r["violations"] == 0 else f"{r['violations']} violations"
            print(f"| {r['size']} | {r['sessions']} | {r['staff']} | {r['status']} | {r['staffed']}/{r['needed']} "
                  f"| {r['max_load']} (≥{r['max_load_bound']}, gap {r['max_load_gap']}) | {changes} "
                  f"| {r['wall']:.1f} | {valid} |", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"seed": args.seed, "workers": args.workers, "commit": commit,
                                               "rows": rows}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
