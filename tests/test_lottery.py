"""The recorded lottery: reproducible from its seed and inputs, fair by priority, one place per child."""

from app.enrolment.lottery import Applicant, allocate, lottery_number, make_inputs


def inputs(n=10, seats=3, groups=(), priority=()):
    applicants = [Applicant(i, (100,), tuple(groups) if i in priority else ()) for i in range(1, n + 1)]
    return make_inputs(applicants, {100: seats}, list(groups))


def test_same_seed_same_result_and_another_seed_differs():
    record = inputs()
    first = allocate(record, "seed-a")
    assert allocate(record, "seed-a") == first
    assert len(first["placed"]) == 3 and len(first["waiting"]["100"]) == 7
    assert any(allocate(record, f"seed-{k}")["order"] != first["order"] for k in range(5))


def test_order_is_the_hash_of_seed_and_application():
    result = allocate(inputs(), "abc")
    assert result["order"] == sorted(range(1, 11), key=lambda a: lottery_number("abc", a))


def test_priority_groups_are_placed_first():
    record = inputs(n=10, seats=2, groups=("hardship",), priority=(9, 10))
    for seed in ("x", "y", "z"):
        assert set(allocate(record, seed)["placed"]) == {"9", "10"}


def test_ranked_choice_falls_back_and_no_child_gets_two_places():
    applicants = [Applicant(1, (1, 2)), Applicant(2, (1, 2)), Applicant(3, (1, 2))]
    result = allocate(make_inputs(applicants, {1: 1, 2: 1}, []), "s")
    assert sorted(result["placed"].values()) == [1, 2]
    loser = result["order"][-1]
    assert str(loser) not in result["placed"]
    assert result["waiting"] == {"1": [loser], "2": [loser]}
