"""The engine side by side with a careful greedy, on term weeks and holiday care, one school to a county.

.venv/bin/python benchmarks/roster_bench.py [--sizes small medium] [--kinds term holiday] [--seed N] [--workers N]
    [--json FILE]

Per row (generate(size, seed, holiday)):
- greedy: the careful greedy alone (scheduling.solver.careful_greedy: greedy, repair, rebalancing): sessions
  staffed, largest in-service teacher weekly minutes, standard deviation of in-service teachers' weekly minutes;
- engine: scheduling.solve within the size's time limit: staffed, largest load (proven bound, gap), sd (its lower
  bound at the roster's teacher total), the spread stage's Σ (load − μ)² against its bound, wall seconds of the
  whole solve call against the limit, validation;
- verdict: "ok" when the engine staffs at least as many sessions, its largest load is at most the greedy's, at an
  equal largest load its sd is at most the greedy's, the wall time is within the limit and validate finds
  nothing; otherwise the failed checks.
The large term row also has a re-solve (previous = its roster, one busy teacher away for a day).
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import scheduling.solver  # noqa: E402  (import OR-Tools once, as a server would: ~1-4 s not counted)
from scheduling import parse_problem, roster_to_dict, solve, validate  # noqa: E402
from scheduling.generate import generate  # noqa: E402

LIMITS = {"small": 2, "medium": 10, "large": 20, "county": 60}
KINDS = ("term", "holiday")


def _greedy(problem) -> dict:
    start = time.monotonic()
    roster = scheduling.solver.careful_greedy(problem)
    wall = time.monotonic() - start
    m = roster.metrics
    return {"staffed": m["staffed_sessions"], "max_load": m["max_teacher_minutes"], "sd": m["teacher_minutes_sd"],
            "wall": round(wall, 2), "violations": len(validate(problem, roster))}


def _engine(problem, limit, workers) -> tuple[dict, dict]:
    start = time.monotonic()
    roster = roster_to_dict(solve(problem, time_limit=limit, workers=workers))
    wall = time.monotonic() - start
    m = roster["metrics"]
    spread = m.get("stages", {}).get("spread", {})
    return {"status": roster["status"], "staffed": m["staffed_sessions"], "needed": m["sessions_needing_staff"],
            "staffed_bound": m["sessions_needing_staff"] - m["best_bound"],
            "max_load": m["max_teacher_minutes"], "max_load_bound": m["max_teacher_minutes_bound"],
            "max_load_gap": m["max_teacher_minutes_gap"], "sd": m["teacher_minutes_sd"],
            "sd_bound": m["teacher_minutes_sd_bound"], "spread": spread.get("value"),
            "spread_bound": spread.get("bound"), "changes": m["changed_vs_previous"], "wall": round(wall, 2),
            "limit": limit, "violations": len(validate(problem, roster)), "stages": m.get("stages", {})}, roster


def _verdict(g: dict, e: dict) -> str:
    failed = []
    if e["staffed"] < g["staffed"]:
        failed.append("coverage")
    if e["max_load"] > g["max_load"]:
        failed.append("largest load")
    if e["max_load"] == g["max_load"] and e["sd"] > g["sd"]:
        failed.append("sd")
    if e["wall"] > e["limit"]:
        failed.append("time")
    if e["violations"]:
        failed.append("rules")
    return "ok" if not failed else "worse: " + ", ".join(failed)


def _row(label, doc, problem, limit, workers):
    g = _greedy(problem)
    e, roster = _engine(problem, limit, workers)
    return {"size": label, "sessions": len(doc["sessions"]), "staff": len(doc["staff"]),
            "previous_pairs": len(doc["previous"]), "greedy": g, "engine": e, "verdict": _verdict(g, e)}, roster


def run(size: str, kind: str, seed: int, workers: int) -> list[dict]:
    doc = generate(size, seed, holiday=kind == "holiday")
    label = size if kind == "term" else f"{size} holiday"
    row, roster = _row(label, doc, parse_problem(doc), LIMITS[size], workers)
    rows = [row]
    if size == "large" and kind == "term":  # re-solve with previous = this roster and one busy teacher away a day
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
        again, _ = _row("large re-solve", doc, parse_problem(doc), LIMITS[size], workers)
        again["forced_changes"] = lost  # pairs of the absent teacher that day: no roster can keep them
        rows.append(again)
    return rows


def _print_row(r: dict) -> None:
    g, e = r["greedy"], r["engine"]
    changes = (f"{e['changes']} (≥{r['forced_changes']} forced)" if "forced_changes" in r else str(e["changes"]))
    g_valid = "" if g["violations"] == 0 else f" ({g['violations']} violations)"
    spread = "–" if e["spread"] is None else f"{e['spread'] / 1e3:.0f}k (≥{e['spread_bound'] / 1e3:.0f}k)"
    print(f"| {r['size']} | {r['sessions']} | {g['staffed']}{g_valid} | {g['max_load']} | {g['sd']:.2f} "
          f"| {e['status']} | {e['staffed']}/{e['needed']} | {e['max_load']} (≥{e['max_load_bound']}, "
          f"gap {e['max_load_gap']}) | {e['sd']:.2f} (≥{e['sd_bound']:.2f}) | {spread} | {changes} "
          f"| {e['wall']:.1f} / {e['limit']} | {'ok' if e['violations'] == 0 else e['violations']} "
          f"| {r['verdict']} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sizes", nargs="*", default=list(LIMITS))
    parser.add_argument("--kinds", nargs="*", default=list(KINDS), choices=KINDS)
    parser.add_argument("--json", metavar="FILE", help="save the rows (and the commit) as JSON")
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parent).stdout.strip()
    print(f"seed {args.seed}, {args.workers} workers, commit {commit}")
    print("| size | sessions | greedy staffed | greedy max min | greedy sd | status | staffed | max teacher min "
          "(proven bound, gap) | sd (bound) | spread Σ(load−μ)² (bound) | changes | wall s / limit | validation "
          "| verdict |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for size in args.sizes:
        for kind in args.kinds:
            for r in run(size, kind, args.seed, args.workers):
                rows.append(r)
                _print_row(r)
    if args.json:
        Path(args.json).write_text(json.dumps({"seed": args.seed, "workers": args.workers, "commit": commit,
                                               "rows": rows}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
