"""The allocation of over-subscribed activities: a pure function of recorded inputs and a seed.

Anyone holding a lottery's record (seed + inputs) can run `allocate` again and must get the same result:
- applicants are ordered by priority tier (the school's priority groups, in the school's order; others last),
  then by a lottery number, the SHA-256 of "seed:application id" (no dependence on a random generator);
- in that order, each applicant gets the highest-ranked choice that still has a free seat (one activity each);
- everyone left without a seat waits on each of their choices, in the same order.
No Flask and no database here.
"""

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Applicant:
    application: int
    choices: tuple[int, ...]  # activity ids, best first
    groups: tuple[str, ...] = ()


def lottery_number(seed: str, application: int) -> str:
    """The applicant's draw: a hex digest that only the seed and the application id decide."""
    return hashlib.sha256(f"{seed}:{application}".encode()).hexdigest()


def make_inputs(applicants: list[Applicant], free_seats: dict[int, int], priority_groups: list[str]) -> dict:
    """The JSON-able record of what the lottery allocates."""
    return {
        "priority_groups": list(priority_groups),
        "free_seats": {str(activity): seats for activity, seats in sorted(free_seats.items())},
        "applicants": [
            {"application": a.application, "choices": list(a.choices), "groups": sorted(a.groups)}
            for a in sorted(applicants, key=lambda a: a.application)
        ],
    }


def allocate(inputs: dict, seed: str) -> dict:
    """Allocate seats from recorded inputs; returns the order, the placements and the waiting lists."""
    groups = inputs["priority_groups"]
    free = {int(activity): seats for activity, seats in inputs["free_seats"].items()}

    def tier(applicant: dict) -> int:
        tiers = [groups.index(g) for g in applicant["groups"] if g in groups]
        return min(tiers) if tiers else len(groups)

    order = sorted(inputs["applicants"],
                   key=lambda a: (tier(a), lottery_number(seed, a["application"]), a["application"]))
    placed: dict[str, int] = {}
    waiting: dict[str, list[int]] = {str(activity): [] for activity in free}
    for applicant in order:
        for activity in applicant["choices"]:
            if free.get(activity, 0) > 0:
                free[activity] -= 1
                placed[str(applicant["application"])] = activity
                break
        else:
            for activity in applicant["choices"]:
                waiting.setdefault(str(activity), []).append(applicant["application"])
    return {
        "order": [a["application"] for a in order],
        "tiers": {str(a["application"]): tier(a) for a in order},
        "placed": placed,
        "waiting": {activity: apps for activity, apps in waiting.items() if apps},
    }
