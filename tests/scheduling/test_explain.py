"""Explanations name the rules and say, in Chinese and English, what a coordinator can change."""

from tests.scheduling.conftest import MON, TUE, WED, make_problem, make_session, make_staff, solve_checked


def test_weekly_cap_and_unavailability_counted():
    # Wednesday science: four qualified; three used up their week on Mon/Tue, one is away on Wednesday.
    sessions = [make_session(f"m{i}", date=MON, activity="science", groups=[f"g-{i}"]) for i in range(3)]
    sessions += [make_session(f"t{i}", date=TUE, activity="science", groups=[f"g-{i}"]) for i in range(3)]
    sessions.append(make_session("w", date=WED, start="16:00", end="18:00", activity="science", groups=["g-9"]))
    groups = [{"id": f"g-{i}", "label": f"{i}班", "grade": 3} for i in (0, 1, 2, 9)]
    staff = [make_staff(f"t-{i}", skills=["science"], max_weekly_minutes=240) for i in range(3)]
    staff.append(make_staff("t-9", skills=["science"],
                            unavailable=[{"date": d, "start": "15:00" if d != WED else "16:00", "end": "18:00"}
                                         for d in (MON, TUE, WED)]))
    pinned = [{"session": f"{d}{i}", "staff": f"t-{i}"} for d in "mt" for i in range(3)]  # w is the one left over
    roster = solve_checked(make_problem(sessions, staff, groups=groups, pinned=pinned), time_limit=10.0)
    unstaffed = [u for u in roster["unstaffed"] if u["session"] == "w"][0]
    assert set(unstaffed["rules"]) == {"TEACHER_WEEKLY_LIMIT", "AVAILABILITY"}
    assert "4名具备科学资质的人员：3名已达每周上限，1名周三16:00–18:00不可用" in unstaffed["reason"]
    assert "4 staff qualified for science: 3 at their weekly cap, 1 unavailable Wednesday 16:00–18:00" in (
        unstaffed["reason"])


def test_nobody_qualified():
    roster = solve_checked(make_problem([make_session("x", activity="arts")], [make_staff("t-1")]))
    reason = roster["unstaffed"][0]["reason"]
    assert roster["unstaffed"][0]["rules"] == ["QUALIFICATION"]
    assert "没有具备艺术资质的人员" in reason and "no staff member is qualified for arts" in reason


def test_opted_out_explained():
    roster = solve_checked(make_problem([make_session("x")], [make_staff("t-1", opted_in=False)]))
    assert "1名未报名或已免除" in roster["unstaffed"][0]["reason"]
    assert "1 not opted in or exempt" in roster["unstaffed"][0]["reason"]


def test_too_few_people_explained():
    roster = solve_checked(make_problem([make_session("x", staff_needed=3)], [make_staff("t-1"), make_staff("t-2")]))
    assert roster["unstaffed"][0]["rules"] == ["COVERAGE"]
    assert "需要3人，只有2人有空" in roster["unstaffed"][0]["reason"]


def test_rejected_reason_is_bilingual():
    roster = solve_checked(make_problem([make_session("x", activity="new_lesson")], [make_staff("t-1")]))
    assert "不得讲授新课" in roster["rejected"][0]["reason"]
    assert "new lessons" in roster["rejected"][0]["reason"]
