"""One rule, one place: no module of app/ or scheduling/ other than scheduling/policy.py carries a policy number.

The scan reads every module's syntax tree (not its text, so comments and prose do not count) for
- a "HH:MM" or "MM-DD" string equal to one of the policy's times (20:30, 17:30, 05-01, ...), or a `time(H, M)` call
  equal to one beside a name that says what it is (a work end, a latest end, quiet hours: a demo session that
  happens to end at 17:30 is not a policy);
- a whole number equal to one of the policy's minutes, limits or grade thresholds, in a context that names what
  that number is about: the name it is compared with, assigned to, passed as or used as a dict key in carries one
  of the words of that policy value (e.g. 360 next to "weekly_minutes", 7 next to "grade", 30 next to "ratio").
A module that needs the number reads it from scheduling.policy (or from a school setting whose default lives there).
"""

import ast
import re
from pathlib import Path

import pytest

from scheduling import policy

ROOT = Path(__file__).resolve().parent.parent
POLICY_MODULE = ROOT / "scheduling" / "policy.py"

# The policy's numbers and the words of the names a copy of each would stand beside (case-insensitive).
NUMBERS = {
    "MIN_DAILY_MINUTES": r"min_daily|daily_min|min_minutes|two_hour",
    "TEACHER_MAX_WEEKLY_MINUTES": r"weekly_minutes|week_minutes|minutes_week|weekly_cap|weekly_limit",
    "TEACHER_MAX_DAYS": r"max_days|days_cap|days_limit",
    "TEACHER_MAX_DAILY_MINUTES": r"daily_minutes|daily_cap|daily_limit|minutes_day",
    "FEE_SPAN_MONTHS": r"fee_span|span_months|months_ahead|max_months",
    "PERSONAL_DATA_RETENTION_DAYS": r"retention",
    "LOG_RETENTION_DAYS": r"retention",
    "CHILDREN_PER_STAFF": r"ratio|per_staff|children_per",
    "REST_THRESHOLD_MINUTES": r"rest_threshold|threshold_minutes",
    "REST_EARNED_MINUTES": r"rest_earned|earned_minutes|rest_minutes",
    "OFFER_HOURS": r"offer_hours|offer_expires|offer_ttl",
    "PROVIDER_PASS_SCORE": r"score|passing|pass_mark",
    "NOTIFY_MAX_ATTEMPTS": r"attempts",
    "REGISTER_ALERT_MINUTES": r"alert_minutes|alert_after",
    "PICKUP_GRACE_MINUTES": r"grace",
    "PICKUP_CODE_DIGITS": r"pickup_code|code_digits",
    "PICKUP_CODE_TRIES_PER_DAY": r"tries",
    "ADVANCE_ABSENCE_MAX_DAYS": r"absence_max|absence_days",
    "ADVANCE_ABSENCE_MAX_AHEAD_DAYS": r"ahead_days|max_ahead",
    "COMPLAINT_RESPONSE_DAYS": r"response_days|answer_within|respond_within",
    "EXCEPTION_REASON_MAX": r"exception_reason|reason_max",
}
GRADE_WORDS = r"grade"  # a threshold: an order comparison (grade < 7) or a range's bound, not a grade's own number
TIME_WORDS = re.compile(r"work_end|latest|evening_end|quiet", re.I)
GRADE_THRESHOLDS = {policy.JUNIOR_GRADES.start, policy.PRIMARY_GRADES.stop - 1, policy.JUNIOR_GRADES.stop - 1}

# Genuine non-policy uses of one of the policy's values (module, line text fragment): the reason is the comment.
ALLOWED = {
    # An SMS verification code's length, not the pickup code's (a login secret, not a policy of the service).
    ("app/accounts/verification.py", "CODE_DIGITS = 6"),
}


def policy_times() -> set[str]:
    texts = set()
    for name, value in vars(policy).items():
        values = value if isinstance(value, tuple) else (value,)
        texts |= {v for v in values if name.isupper() and isinstance(v, str) and re.fullmatch(r"\d\d[:-]\d\d", v)}
    return texts


def policy_numbers() -> dict[int, list[tuple[str, re.Pattern]]]:
    numbers: dict[int, list[tuple[str, re.Pattern]]] = {}
    for name, words in NUMBERS.items():
        numbers.setdefault(getattr(policy, name), []).append((name, re.compile(words, re.I)))
    for grade in GRADE_THRESHOLDS:
        numbers.setdefault(grade, []).append(("JUNIOR_GRADES / PRIMARY_GRADES", re.compile(GRADE_WORDS, re.I)))
    return numbers


def _name(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Subscript):
        return f"{_name(node.value)}[{_name(node.slice)}]"
    if isinstance(node, ast.Call):
        return _name(node.func)
    return ""


def _context(node, parents) -> list[str]:
    """The names a number stands beside: what it is compared with, assigned to, passed as, or the key it is under."""
    names, child, parent = [], node, parents.get(node)
    while isinstance(parent, (ast.UnaryOp, ast.BinOp, ast.Tuple, ast.List)) and parent in parents:
        if isinstance(parent, ast.BinOp):
            names += [_name(parent.left), _name(parent.right)]
        child, parent = parent, parents.get(parent)
    if isinstance(parent, ast.Compare):
        names += [_name(side) for side in [parent.left, *parent.comparators]]
    elif isinstance(parent, ast.keyword):
        names.append(parent.arg or "")
        call = parents.get(parent)
        if parent.arg in ("default", "server_default", "insert_default") and call is not None:
            names += _assigned_to(call, parents)
    elif isinstance(parent, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        names += _assigned_to(child, parents)
    elif isinstance(parent, ast.Dict):
        names += [_name(k) for k, v in zip(parent.keys, parent.values, strict=True) if v is child and k is not None]
    elif isinstance(parent, ast.arguments):
        args = parent.posonlyargs + parent.args
        defaults = dict(zip(args[len(args) - len(parent.defaults):], parent.defaults, strict=True))
        defaults |= {a: d for a, d in zip(parent.kwonlyargs, parent.kw_defaults, strict=True) if d is not None}
        names += [a.arg for a, d in defaults.items() if d is child]
    elif isinstance(parent, ast.Call) and _name(parent.func).endswith("range"):
        names += _assigned_to(parent, parents)
    return [n for n in names if n]


def _threshold(node, parents) -> bool:
    """Whether a number is a bound: compared by order (<, <=, >, >=) or a range's bound."""
    parent = parents.get(node)
    while isinstance(parent, (ast.UnaryOp, ast.BinOp)):
        parent = parents.get(parent)
    if isinstance(parent, ast.Compare):
        return all(isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)) for op in parent.ops)
    return isinstance(parent, ast.Call) and _name(parent.func).endswith("range")


def _assigned_to(node, parents) -> list[str]:
    parent = parents.get(node)
    if isinstance(parent, ast.Assign):
        return [_name(t) for t in parent.targets]
    if isinstance(parent, (ast.AnnAssign, ast.AugAssign)):
        return [_name(parent.target)]
    return []


def _is_time_call(node) -> bool:
    return (isinstance(node, ast.Call) and _name(node.func) in ("time", "datetime.time", "dt.time")
            and len(node.args) == 2 and all(isinstance(a, ast.Constant) and type(a.value) is int for a in node.args))


def findings(path: Path, times: set[str], numbers) -> list[str]:
    """Every policy number a module carries, as "module:line: value (POLICY_NAME) beside names"."""
    rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    out = []
    for node in ast.walk(tree):
        found = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in times:
            found = f"{node.value!r} (a policy time)"
        elif (_is_time_call(node) and f"{node.args[0].value:02d}:{node.args[1].value:02d}" in times
              and any(TIME_WORDS.search(c) for c in _context(node, parents))):
            found = f"time({node.args[0].value}, {node.args[1].value}) (a policy time)"
        elif isinstance(node, ast.Constant) and type(node.value) is int and node.value in numbers:
            context = _context(node, parents)
            names = [name for name, words in numbers[node.value] if any(words.search(c) for c in context)
                     and (words.pattern != GRADE_WORDS or _threshold(node, parents))]
            if names:
                found = f"{node.value} ({' or '.join(names)}) beside {', '.join(context)}"
        if found and not any(rel == module and fragment in lines[node.lineno - 1] for module, fragment in ALLOWED):
            out.append(f"{rel}:{node.lineno}: {found}")
    return out


def modules() -> list[Path]:
    paths = sorted((ROOT / "app").rglob("*.py")) + sorted((ROOT / "scheduling").rglob("*.py"))
    return [p for p in paths if p != POLICY_MODULE and "migrations" not in p.parts]


def test_no_module_outside_the_policy_module_carries_a_policy_number():
    times, numbers = policy_times(), policy_numbers()
    found = [line for path in modules() for line in findings(path, times, numbers)]
    assert found == [], "policy numbers outside scheduling/policy.py (read them from the policy module):\n" + "\n".join(
        found)


@pytest.mark.parametrize("copy", [
    'EVENING_END = "20:30"\n',
    "evening_end_latest = time(20, 30)\n",
    'placeholder = {"summer_starts": "05-01"}\n',
    "JUNIOR = school.grades[0].number >= 7\n",
    "if grade < 7:\n    pass\n",
    "def cap(max_weekly_minutes=360):\n    return max_weekly_minutes\n",
    'DEFAULTS = {"min_daily_minutes": 120}\n',
    "default_ratio = Column(Integer, default=30)\n",
    "if evaluation.score < 60:\n    pass\n",
])
def test_the_scan_finds_a_copied_number(tmp_path, copy):
    # Outside the tree: the whole-tree scan, or the same test with another copy on another worker, must not meet it.
    module = tmp_path / "_one_place_probe.py"
    module.write_text(copy, encoding="utf-8")
    assert findings(module, policy_times(), policy_numbers())


OTHER_NUMBERS = """PER_PAGE = 30
abort(404)
if len(rows) > 7:
    pass
starts = "08:00"
ends_at = time(17, 30)  # a demo session that ends then
if grade.number == 9:
    pass
"""


def test_the_scan_leaves_other_numbers_alone(tmp_path):
    module = tmp_path / "_one_place_probe.py"
    module.write_text(OTHER_NUMBERS, encoding="utf-8")
    assert findings(module, policy_times(), policy_numbers()) == []
