"""The roster document: what the solver returns and the web app stores."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

STATUSES = ("optimal", "feasible", "infeasible_plan", "no_solution")


@dataclass
class Roster:
    """A solved week: every session once in assignments, unstaffed or rejected."""

    status: str
    assignments: list[dict] = field(default_factory=list)  # {"session", "staff"}
    unstaffed: list[dict] = field(default_factory=list)  # {"session", "rules", "reason", ...}
    rejected: list[dict] = field(default_factory=list)  # {"session", "rules", "reason"}
    plan_errors: list[dict] = field(default_factory=list)  # {"rule", "group", "date", "reason"}
    pin_conflicts: list[dict] = field(default_factory=list)  # {"session", "staff", "rules", "reason"}
    metrics: dict = field(default_factory=dict)

    def staff_of(self) -> dict[str, list[str]]:
        """Session id → the staff ids assigned to it."""
        out: dict[str, list[str]] = {}
        for a in self.assignments:
            out.setdefault(a["session"], []).append(a["staff"])
        return out


def roster_to_dict(roster: Roster) -> dict:
    """The roster as the JSON-ready dict of the contract (plus pin_conflicts)."""
    return {
        "status": roster.status,
        "assignments": [dict(a) for a in roster.assignments],
        "unstaffed": [dict(u) for u in roster.unstaffed],
        "rejected": [dict(r) for r in roster.rejected],
        "plan_errors": [dict(e) for e in roster.plan_errors],
        "pin_conflicts": [dict(c) for c in roster.pin_conflicts],
        "metrics": dict(roster.metrics),
    }


def roster_to_json(roster: Roster) -> str:
    """The roster as UTF-8 JSON text with Chinese left readable."""
    return json.dumps(roster_to_dict(roster), ensure_ascii=False, indent=2)


def roster_from_dict(data: dict) -> Roster:
    """A roster read back from its dict (no checking: that is validate's job)."""
    return Roster(
        status=data.get("status"),
        assignments=list(data.get("assignments") or []),
        unstaffed=list(data.get("unstaffed") or []),
        rejected=list(data.get("rejected") or []),
        plan_errors=list(data.get("plan_errors") or []),
        pin_conflicts=list(data.get("pin_conflicts") or []),
        metrics=dict(data.get("metrics") or {}),
    )
