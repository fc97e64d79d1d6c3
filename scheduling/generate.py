"""Realistic problem documents for tests and benchmarks (same size and seed → same document)."""

from __future__ import annotations

import datetime as dt
import random

from scheduling import policy
from scheduling.problem import parse_time

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "丽华伟芳娜敏静秀英强磊军洋勇艳杰娟涛明超霞平刚桂兰建国玉珍红梅海燕志文晓东春雪云飞"
GRADE_WORDS = "一二三四五六七八九"
SCHOOL_WEEK = dt.date(2026, 11, 23)  # a Monday in term
HOLIDAY_WEEK = dt.date(2026, 7, 13)  # a Monday in the summer holiday
ACTIVITY_POOL = ("sports", "arts", "science", "reading", "labour", "practice", "club", "games")
TUTORING_SUBJECTS = ("数学", "外语", "语文", "物理")
PROVIDERS = (("星火体育", "sports"), ("墨韵艺术", "arts"), ("创客科技", "science"))

# (campuses, primary classes per grade, junior classes per grade)
SIZES = {
    "small": (1, 2, 0),  # grades 1–5 only: 10 groups
    "medium": (1, 4, 5),
    "large": (1, 10, 10),
    "county": (9, 4, 4),
}


class _Ids:
    def __init__(self):
        self.counts: dict[str, int] = {}

    def next(self, prefix: str) -> str:
        self.counts[prefix] = self.counts.get(prefix, 0) + 1
        return f"{prefix}-{self.counts[prefix]}"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        if name not in used:
            used.add(name)
            return name


def generate(size: str, seed: int, holiday: bool = False) -> dict:
    """A problem dict of the given size: 'small', 'medium', 'large' or 'county'."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}")
    rng = random.Random(f"{size}-{seed}-{holiday}")
    campuses, per_primary, per_junior = SIZES[size]
    monday = HOLIDAY_WEEK if holiday else SCHOOL_WEEK
    days = [monday + dt.timedelta(days=k) for k in range(5)]
    doc = {
        "school": {"id": f"s-{seed:02d}", "name": "城关教育集团" if campuses > 1 else "实验学校",
                   "work_end": policy.DEFAULT_WORK_END},
        "calendar": {"school_days": [] if holiday else [d.isoformat() for d in days], "public_holidays": []},
        "policy": dict(policy.DEFAULT_POLICY),
        "groups": [], "sessions": [], "staff": [], "providers": [], "pinned": [], "previous": [],
    }
    ids, names = _Ids(), set()
    for c in range(campuses):
        campus = f"c{c + 1}" if campuses > 1 else None
        grades = [(g, per_primary) for g in range(1, 7)] + [(g, per_junior) for g in range(7, 10)]
        if size == "small":
            grades = [(g, 2) for g in range(1, 6)]
        _campus(rng, doc, ids, names, campus, grades, days, holiday)
    return doc


def _campus(rng, doc, ids, names, campus, grades, days, holiday):
    prefix = f"{campus}-" if campus else ""
    groups = []
    for grade, n in grades:
        for k in range(1, n + 1):
            g = {"id": f"{prefix}g-{grade}-{k}", "label": f"{GRADE_WORDS[grade - 1]}年级{k}班", "grade": grade}
            if campus:
                g["campus"] = campus
            groups.append(g)
    doc["groups"].extend(groups)
    providers = _providers(rng, doc, ids, days[0])
    sessions = _holiday_sessions(rng, groups, days, ids, prefix) if holiday else _school_sessions(
        rng, groups, days, ids, prefix, providers)
    doc["sessions"].extend(sessions)
    staff = _staff(rng, groups, days, ids, names, campus, providers, holiday, sessions)
    doc["staff"].extend(staff)
    _pins(rng, doc, sessions, staff)


def _session(ids, day, start, end, kind, activity, groups, staff_needed, series, subject=None, room=None):
    enrolled = sum(g["_size"] for g in groups)
    return {
        "id": ids.next("x"), "date": day.isoformat(), "start": _hhmm(start), "end": _hhmm(end),
        "kind": kind, "activity": activity, "subject": subject, "groups": [g["id"] for g in groups],
        "enrolled": enrolled, "staff_needed": staff_needed, "room": room, "series": series,
    }


def _school_sessions(rng, groups, days, ids, prefix, providers):
    out = []
    for g in groups:
        g["_size"] = rng.randint(30, 45)
    by_grade: dict[int, list] = {}
    for g in groups:
        by_grade.setdefault(g["grade"], []).append(g)
    active_providers = [p for p in providers if p["status"] == "active"]
    for day in days:
        wd = day.weekday()
        # Basic service 15:40–16:40 per class: homework help (primary) or self-study / tutoring (junior).
        for g in groups:
            if g["grade"] in policy.PRIMARY_GRADES:
                out.append(_session(ids, day, 940, 1000, "after_school", "homework_help", [g], 1, f"{g['id']}-basic",
                                    room=f"{g['grade']}0{g['id'][-1]}"))
            elif wd in (1, 3):
                subject = TUTORING_SUBJECTS[(int(g["id"].rsplit("-", 1)[1]) + wd) % len(TUTORING_SUBJECTS)]
                out.append(_session(ids, day, 940, 1000, "after_school", "tutoring", [g], 1, f"{g['id']}-basic",
                                    subject=subject))
            else:
                out.append(_session(ids, day, 940, 1000, "after_school", "self_study", [g], 1, f"{g['id']}-basic"))
        # Extended service 16:40–17:40, two classes of a grade together.
        for grade, classes in sorted(by_grade.items()):
            for i in range(0, len(classes), 2):
                pair = classes[i:i + 2]
                activity = ACTIVITY_POOL[(grade + i + wd) % len(ACTIVITY_POOL)]
                enrolled = sum(g["_size"] for g in pair)
                needed = 2 if enrolled > 80 else 1
                if any(p["categories"][0] == activity for p in active_providers) and rng.random() < 0.35:
                    needed = 2
                out.append(_session(ids, day, 1000, 1060, "after_school", activity, pair, needed,
                                    f"{pair[0]['id']}-ext-{activity}"))
        # Morning and noon care for the youngest, one hall per grade.
        for grade in (1, 2, 3):
            classes = by_grade.get(grade, [])
            if classes:
                needed = 1 if len(classes) <= 3 else 2
                out.append(_session(ids, day, 440, 480, "morning", "supervision", classes, needed,
                                    f"{prefix}morning-{grade}"))
                out.append(_session(ids, day, 720, 780, "noon", "supervision", classes, needed,
                                    f"{prefix}noon-{grade}"))
        # Late care for children whose parents work late.
        young = [g for g in groups if g["grade"] <= 3][:4]
        if young:
            out.append(_session(ids, day, 1060, 1110, "late_care", "supervision", young, 1, f"{prefix}late"))
        # Junior evening self-study Monday to Thursday, two classes in one room.
        if wd <= 3:
            for grade in (7, 8, 9):
                classes = by_grade.get(grade, [])
                for i in range(0, len(classes), 2):
                    pair = classes[i:i + 2]
                    out.append(_session(ids, day, 1140, parse_time(policy.EVENING_END_LATEST), "evening_study",
                                        "self_study", pair, 1, f"{pair[0]['id']}-evening"))
    return out


def _holiday_sessions(rng, groups, days, ids, prefix):
    out = []
    for g in groups:
        g["_size"] = rng.randint(8, 20)  # fewer children come in the holiday
    halls = [groups[i:i + 3] for i in range(0, len(groups), 3)]
    slots = ((510, 600), (600, 690), (840, 930), (930, 1020))
    activities = ("supervision", "reading", "sports", "arts", "science", "games", "labour", "practice", "club")
    for day in days:
        for h, hall in enumerate(halls):
            for k, (start, end) in enumerate(slots):
                activity = activities[(h + k + day.weekday()) % len(activities)] if k else "supervision"
                needed = 2 if sum(g["_size"] for g in hall) > 40 else 1
                out.append(_session(ids, day, start, end, "holiday_care", activity, hall, needed,
                                    f"{prefix}hall-{h + 1}-{k + 1}"))
    return out


def _providers(rng, doc, ids, monday):
    out = []
    for k, (name, category) in enumerate(PROVIDERS):
        expired = k == 2 and rng.random() < 0.5
        p = {
            "id": ids.next("p"), "name": name, "categories": [category],
            "status": "active" if not expired or rng.random() < 0.5 else "suspended",
            "vetted_until": (monday + dt.timedelta(days=-30 if expired else 220)).isoformat(),
            "max_weekly_sessions": rng.randint(6, 10), "cost_per_session": rng.choice((200, 250, 300, 400)),
        }
        out.append(p)
    doc["providers"].extend(out)
    return out


def _staff(rng, groups, days, ids, names, campus, providers, holiday, sessions):
    out = []
    needed = sum(s["staff_needed"] * _minutes(s) for s in sessions)
    n_teachers = max(6, round(needed / 225))
    junior_share = sum(1 for g in groups if g["grade"] in policy.JUNIOR_GRADES) / max(1, len(groups))
    for _ in range(n_teachers):
        junior = rng.random() < junior_share
        if junior:
            others = ("化学", "生物", "历史", "地理", "道德与法治")
            subject = rng.choice(TUTORING_SUBJECTS if rng.random() < 0.9 else others)
        else:
            subject = rng.choice(("语文", "数学", "外语", "科学", "音乐", "美术", "体育"))
        skills = (["self_study", "tutoring"] if junior else ["homework_help"]) if rng.random() < 0.97 else []
        if rng.random() < 0.3:
            skills.append("homework_help" if junior else "self_study")
        skills += rng.sample(ACTIVITY_POOL, rng.randint(2, 3))  # most teachers lead two or three activities
        person = {
            "id": ids.next("t"), "name": _name(rng, names), "type": "teacher",
            "opted_in": rng.random() > (0.3 if holiday else 0.07), "exempt": rng.random() < 0.03,
            "skills": sorted(set(skills)), "subjects": [subject],
            "max_weekly_minutes": 240 if rng.random() < 0.1 else None,
            "max_days": 3 if rng.random() < 0.05 else None,
            "teaching_minutes": {} if holiday else {
                d.isoformat(): rng.choice((90, 135, 180, 225, 270, 450 if rng.random() < 0.1 else 180)) for d in days},
            "unavailable": [], "avoid_days": [], "provider": None,
        }
        if rng.random() < 0.25:
            d = rng.choice(days)
            start, end = rng.choice(((900, 1020), (990, 1080), (1020, 1260), (420, 540)))
            person["unavailable"].append({"date": d.isoformat(), "start": _hhmm(start), "end": _hhmm(end)})
        if rng.random() < 0.15:
            person["avoid_days"].append(rng.choice(days).isoformat())
        out.append(person)
    for _ in range(max(1, n_teachers // 20)):
        out.append({
            "id": ids.next("r"), "name": _name(rng, names), "type": "retired_teacher", "opted_in": True,
            "exempt": False, "skills": sorted({"homework_help", "reading", rng.choice(ACTIVITY_POOL)}),
            "subjects": [rng.choice(("语文", "数学"))], "max_weekly_minutes": rng.choice((180, 240)),
            "max_days": rng.choice((2, 3)), "teaching_minutes": {}, "unavailable": [], "avoid_days": [],
            "provider": None,
        })
    for _ in range(max(1, n_teachers // 16)):
        out.append({
            "id": ids.next("v"), "name": _name(rng, names), "type": "volunteer", "opted_in": True, "exempt": False,
            "skills": sorted(rng.sample(("sports", "arts", "reading", "games", "science"), 2)), "subjects": [],
            "max_weekly_minutes": rng.choice((120, 180)), "max_days": 2, "teaching_minutes": {},
            "unavailable": [], "avoid_days": [], "provider": None,
        })
    for p in providers:
        for _ in range(2):
            out.append({
                "id": ids.next("ps"), "name": _name(rng, names), "type": "provider", "opted_in": True,
                "exempt": False, "skills": list(p["categories"]), "subjects": [], "max_weekly_minutes": None,
                "max_days": None, "teaching_minutes": {}, "unavailable": [], "avoid_days": [], "provider": p["id"],
            })
    if campus:
        for person in out:
            person["campus"] = campus
    return out


def _minutes(s) -> int:
    h0, m0 = map(int, s["start"].split(":"))
    h1, m1 = map(int, s["end"].split(":"))
    return (h1 * 60 + m1) - (h0 * 60 + m0)


def _pins(rng, doc, sessions, staff):
    basic = [s for s in sessions if s["activity"] in ("homework_help", "self_study")]
    teachers = [p for p in staff if p["type"] == "teacher" and p["opted_in"] and not p["exempt"]
                and not p["unavailable"] and p["max_weekly_minutes"] is None]
    for _ in range(min(3, len(basic) // 20)):
        s = rng.choice(basic)
        fits = [p for p in teachers if s["activity"] in p["skills"]]
        if fits:
            person = rng.choice(fits)
            teachers.remove(person)
            doc["pinned"].append({"session": s["id"], "staff": person["id"]})
