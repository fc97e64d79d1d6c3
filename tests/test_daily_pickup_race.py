"""Pickup under load, on real connections and both databases: parallel wrong codes never go past the day's limit,
and staff signing the same child out at the same moment make one sign-out and one message."""

import threading

from app.daily import codes
from app.daily.models import PickupAdult, PickupCodeAttempt, SignOut
from app.extensions import db
from scheduling.policy import PICKUP_CODE_TRIES_PER_DAY
from tests import factories
from tests.daily_world import inbox, school_day
from tests.racing import run_together

THREADS = PICKUP_CODE_TRIES_PER_DAY + 7
POOL_SIZE = THREADS + 2


def _race(racing_app, teacher_mobile: str, url: str, forms: list[dict]) -> list:
    answers, lock = [], threading.Lock()

    def attempt(release, form) -> None:
        client = racing_app.test_client()
        assert client.post("/account/login", data={"mobile": teacher_mobile,
                                                   "password": factories.PASSWORD}).status_code == 302
        release()
        response = client.post(url, data=form, headers={"Accept": "application/json"})
        with lock:
            answers.append((response.status_code, response.get_json()))

    errors = run_together(attempt, [(form,) for form in forms])
    assert not errors, errors
    return answers


def test_parallel_wrong_codes_stop_at_the_limit(racing_app):
    with racing_app.app_context():
        day = school_day(1)
        adult = PickupAdult(student_id=day.children[0].id, name="王奶奶", relation="奶奶", mobile="13800138000")
        db.session.add(adult)
        db.session.commit()
        right = codes.code_for(adult, day.session.on_date)
        wrong = "000000" if right != "000000" else "111111"
        url = f"/day/sessions/{day.session.id}/pickup/{day.children[0].id}"
        mobile, student_id = day.teacher.mobile, day.children[0].id
    answers = _race(racing_app, mobile, url, [{"method": "code", "code": wrong}] * THREADS)
    assert [status for status, _ in answers] == [422] * THREADS
    assert sorted(body["tries_left"] for _, body in answers) == (
        [0] * (THREADS - PICKUP_CODE_TRIES_PER_DAY + 1) + list(range(1, PICKUP_CODE_TRIES_PER_DAY)))
    with racing_app.app_context():
        counted = db.session.scalars(db.select(PickupCodeAttempt).filter_by(student_id=student_id)).all()
        assert len(counted) == PICKUP_CODE_TRIES_PER_DAY


def test_parallel_sign_outs_of_one_child_make_one_record_and_one_message(racing_app):
    with racing_app.app_context():
        day = school_day(1)
        adults = [PickupAdult(student_id=day.children[0].id, name=f"家人{n}", relation="亲属", mobile=f"1380013800{n}")
                  for n in range(4)]
        db.session.add_all(adults)
        db.session.commit()
        forms = ([{"method": "code", "code": codes.code_for(a, day.session.on_date)} for a in adults]
                 + [{"method": "adult", "adult_id": str(a.id)} for a in adults])
        url = f"/day/sessions/{day.session.id}/pickup/{day.children[0].id}"
        mobile, guardian_id = day.teacher.mobile, day.guardians[0].id
    answers = _race(racing_app, mobile, url, forms)
    assert [status for status, _ in answers] == [200] * len(forms)
    assert sum(1 for _, body in answers if not body.get("already")) == 1
    with racing_app.app_context():
        assert len(db.session.scalars(db.select(SignOut)).all()) == 1
        assert len(inbox(db.session.get(type(day.guardians[0]), guardian_id))) == 1
