"""The draw that shares out over-subscribed activities: a pure function of recorded inputs and a seed.

Anyone holding a draw's record (seed + inputs) can run `allocate` again and must get the same result. The record
names applicants by opaque tickets, never by child or application. Rules (record version 2):
- families are drawn, not applications: a child alone is a unit, and so are siblings their guardian linked (when
  the school keeps siblings together); a unit's draw is the SHA-256 of "seed:ticket" (of "seed:group" for siblings);
- units go in order of priority tier (the school's priority groups, in the school's order; others last), then of
  their draw; the position in that order is the unit's lottery number;
- in that order, a child gets the best-ranked choice that still has a free place (one activity each); linked
  siblings first try the activities all of them ranked (best summed rank first), all together or none, and only
  then each their own best choice among the others;
- a child waits, in the same order, on every choice ranked above the one placed (on all of them when not placed).
`allocate` also says, per ticket and choice, why it came out as it did (codes in REASONS), and per activity how
many places and applicants there were. Version 1 records (before tickets) re-run with the rules they were made with.
No Flask and no database here; `python -m app.enrolment.lottery record.json` re-runs a downloaded record.
"""

import hashlib
import json
import sys
from dataclasses import dataclass

VERSION = 2
REASONS = (
    "priority",  # placed: the unit was in a priority group
    "lottery",  # placed: there was still room at the unit's lottery number
    "sibling",  # placed together with linked siblings
    "higher_choice",  # not needed: placed in a choice ranked higher
    "siblings_first",  # not tried: the linked siblings were placed together in a shared choice first
    "full",  # no room left at the unit's lottery number
    "no_room_together",  # a shared choice had room for some of the siblings but not all
)


@dataclass(frozen=True)
class Applicant:
    ticket: str
    choices: tuple[int, ...]  # activity ids, best first
    groups: tuple[str, ...] = ()
    siblings: str | None = None  # a sibling group's opaque token


def lottery_number(seed: str, key: str | int) -> str:
    """A draw: a hex digest that only the seed and the ticket (or sibling group) decide."""
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def make_inputs(applicants: list[Applicant], free_seats: dict[int, int], priority_groups: list[str],
                siblings_together: bool = True) -> dict:
    """The JSON-able record of what the draw shares out."""
    return {
        "version": VERSION,
        "priority_groups": list(priority_groups),
        "siblings_together": siblings_together,
        "free_seats": {str(activity): seats for activity, seats in sorted(free_seats.items())},
        "applicants": [
            {"ticket": a.ticket, "choices": list(a.choices), "groups": sorted(a.groups), "siblings": a.siblings}
            for a in sorted(applicants, key=lambda a: a.ticket)
        ],
    }


def _units(inputs: dict, seed: str) -> list[list[dict]]:
    """Applicants grouped into draw units (linked siblings together), in draw order."""
    groups = inputs["priority_groups"]

    def tier(applicant: dict) -> int:
        tiers = [groups.index(g) for g in applicant["groups"] if g in groups]
        return min(tiers) if tiers else len(groups)

    units: dict[str, list[dict]] = {}
    for applicant in map(dict, inputs["applicants"]):  # copies: the record itself is never written to
        linked = inputs["siblings_together"] and applicant.get("siblings")
        key = f"group:{applicant['siblings']}" if linked else applicant["ticket"]
        units.setdefault(key, []).append(applicant)

    def order(item: tuple[str, list[dict]]) -> tuple:
        key, members = item
        draw_key = key.removeprefix("group:")
        return (min(tier(m) for m in members), lottery_number(seed, draw_key), key)

    ordered = sorted(units.items(), key=order)
    for _key, members in ordered:
        members.sort(key=lambda m: m["ticket"])
        for member in members:
            member["_tier"] = min(tier(m) for m in members)
    return [members for _key, members in ordered]


def _shared_choices(members: list[dict]) -> list[int]:
    """Activities every sibling ranked, best summed rank first."""
    shared = set(members[0]["choices"]).intersection(*(m["choices"] for m in members[1:]))
    return sorted(shared, key=lambda a: (sum(m["choices"].index(a) for m in members), a))


def allocate(inputs: dict, seed: str) -> dict:
    """Share out the places from recorded inputs; returns order, numbers, placements, waiting lists and reasons."""
    if inputs.get("version") != VERSION:
        return _allocate_v1(inputs, seed)
    free = {int(activity): seats for activity, seats in inputs["free_seats"].items()}
    places = dict(free)
    with_priority = len(inputs["priority_groups"])
    order: list[str] = []
    numbers: dict[str, int] = {}
    tiers: dict[str, int] = {}
    placed: dict[str, int] = {}
    reasons: dict[str, dict[str, str]] = {}
    waiting: dict[str, list[str]] = {str(activity): [] for activity in free}

    def place(member: dict, activity: int, reason: str) -> None:
        free[activity] -= 1
        placed[member["ticket"]] = activity
        reasons[member["ticket"]][str(activity)] = reason

    for number, members in enumerate(_units(inputs, seed), start=1):
        for member in members:
            order.append(member["ticket"])
            numbers[member["ticket"]] = number
            tiers[member["ticket"]] = member["_tier"]
            reasons[member["ticket"]] = {}
        shared = _shared_choices(members) if len(members) > 1 else []
        for activity in shared:
            if free.get(activity, 0) >= len(members):
                for member in members:
                    place(member, activity, "sibling")
                break
            for member in members:
                reasons[member["ticket"]][str(activity)] = "no_room_together" if free.get(activity, 0) else "full"
        for member in members:
            ticket = member["ticket"]
            if ticket not in placed:
                for activity in member["choices"]:
                    if activity in shared:
                        continue
                    if free.get(activity, 0) > 0:
                        place(member, activity, "priority" if member["_tier"] < with_priority else "lottery")
                        break
                    reasons[ticket][str(activity)] = "full"
            got = placed.get(ticket)
            above = member["choices"][:member["choices"].index(got)] if got is not None else member["choices"]
            for activity in member["choices"]:
                key = str(activity)
                if activity in above:
                    waiting.setdefault(key, []).append(ticket)
                    reasons[ticket].setdefault(key, "siblings_first" if got in shared else "full")
                elif activity != got:
                    reasons[ticket][key] = "higher_choice"
    first_choice = {str(a): 0 for a in places}
    applicants = {str(a): 0 for a in places}
    for applicant in inputs["applicants"]:
        for rank, activity in enumerate(applicant["choices"]):
            applicants[str(activity)] = applicants.get(str(activity), 0) + 1
            if rank == 0:
                first_choice[str(activity)] = first_choice.get(str(activity), 0) + 1
    return {
        "order": order,
        "numbers": numbers,
        "tiers": tiers,
        "placed": placed,
        "waiting": {activity: tickets for activity, tickets in waiting.items() if tickets},
        "reasons": reasons,
        "activities": {
            str(a): {"places": places[a], "first_choice": first_choice[str(a)], "applicants": applicants[str(a)],
                     "placed": places[a] - free[a]}
            for a in sorted(places)
        },
    }


def _allocate_v1(inputs: dict, seed: str) -> dict:
    """The rules of version 1 records (applicants named by application id, no siblings), kept so they re-run."""
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


def main(argv: list[str]) -> int:
    """Re-run a downloaded draw record ({"seed", "inputs", "result"}) and say whether it gives the same result."""
    if len(argv) != 1:
        print("usage: python -m app.enrolment.lottery RECORD.json", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as handle:
        record = json.load(handle)
    result = allocate(record["inputs"], record["seed"])
    same = result == record.get("result")
    print(json.dumps({"same_as_recorded": same, "result": result}, ensure_ascii=False, indent=1))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
