"""The roster engine's codes in the user's words: job statuses and rule codes (the one place that words them).

scheduling/ stays free of Flask: it names rules by code and writes its explanations as one "中文 / English" sentence.
Pages show the words for the chosen language here, with the rule code small beside them for whoever wants it.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.forms_common import chinese_page
from app.rosters.models import RosterJobStatus

JOB_STATUS_LABELS = {
    RosterJobStatus.QUEUED: _l("waiting to start"),
    RosterJobStatus.RUNNING: _l("working"),
    RosterJobStatus.DONE: _l("done"),
    RosterJobStatus.FAILED: _l("failed"),
}

# What each rule means, for the coordinator (the rules themselves live in scheduling/; codes in ROSTER_FORMAT.md).
RULE_MEANINGS = {
    # Assignment rules: who may take which session.
    "COVERAGE": _l("not enough people could be assigned"),
    "PINNED": _l("a pinned person could not be kept in the session"),
    "NO_OVERLAP": _l("this person is already in another session at that time"),
    "AVAILABILITY": _l("this person said they are unavailable at that time"),
    "OPT_IN": _l("this person has not opted in, or is exempt"),
    "QUALIFICATION": _l("nobody left in the session is qualified for its activity"),
    "SCHOOL_STAFF_ONLY": _l("homework help, tutoring and self-study are for teachers and retired teachers only"),
    "PROVIDER_VETTED": _l("the provider is not vetted for that date"),
    "PROVIDER_NON_SUBJECT": _l("provider staff may not take care, homework or subject sessions"),
    "PROVIDER_NEEDS_SCHOOL_STAFF": _l("a session with provider staff needs a teacher in it too"),
    "PROVIDER_WEEKLY_SESSIONS": _l("the provider has reached its sessions for the week"),
    "TEACHER_WEEKLY_LIMIT": _l("this person would go over their weekly minutes"),
    "TEACHER_DAYS_LIMIT": _l("this person would serve on more days than their limit"),
    "TEACHER_DAILY_LIMIT": _l("teaching plus service would go over the daily limit"),
    "REST_AFTER_EVENING": _l("this person rests the morning after an evening session"),
    "CAMPUS": _l("this person serves another campus"),
    # Plan rules: which sessions may be held at all.
    "NO_NEW_LESSONS": _l("no new lessons may be taught in after-school time"),
    "HOLIDAY_ACTIVITY": _l("holiday care is supervision and activities, not subject teaching"),
    "HOLIDAY_WEEKEND": _l("holiday care is not held at weekends or on public holidays"),
    "SCHOOL_DAY": _l("this kind of session runs only on school days"),
    "EVENING_END": _l("evening self-study ends too late"),
    "EVENING_JUNIOR_ONLY": _l("evening self-study is for junior-high classes only"),
    "TWO_HOUR_MINIMUM": _l("the class does not get two continuous hours of service"),
    "END_BEFORE_WORK_END": _l("the service ends before the local end of work"),
    "EVERY_SCHOOL_DAY": _l("the class has no after-school service on a school day that is not a declared exception"),
}


def job_status_label(status: RosterJobStatus) -> str:
    return str(JOB_STATUS_LABELS.get(status, status.value))


def rule_meaning(code: str) -> str:
    return str(RULE_MEANINGS.get(code, code))


def english() -> bool:
    return not chinese_page()


def in_language(sentence: str) -> str:
    """The half of the engine's "中文 / English" sentence (or "zh / en; zh / en" list) for the user's language. One
    " / " splits the whole sentence, whose English half may itself hold "; " (scheduling/explain.py)."""
    sentence = sentence or ""
    if sentence.count(" / ") == 1:
        zh, _sep, en = sentence.partition(" / ")
        return en if english() else zh
    parts = []
    for piece in sentence.split("; "):
        zh, sep, en = piece.partition(" / ")
        parts.append((en if english() else zh) if sep else piece)
    return ("; " if english() else "；").join(parts)


def rule_codes(codes) -> Markup:
    """Rule codes, small, for those who want them (the words are shown beside)."""
    codes = [c for c in codes or [] if c]
    if not codes:
        return Markup("")
    return Markup('<small class="rule-code" translate="no">{}</small>').format(", ".join(codes))


def rules_in_words(codes) -> Markup:
    """Each rule's meaning with its code small beside it."""
    return Markup("；" if not english() else "; ").join(
        Markup("{} {}").format(rule_meaning(code), rule_codes([code])) for code in codes or [] if code)


def explained(entry: dict) -> Markup:
    """An unstaffed, rejected or pin-conflict entry of a roster: the engine's reason in the user's language (or the
    rules' meanings when it gave none), its rule codes small beside."""
    reason = in_language(entry.get("reason", ""))
    if not reason:
        return rules_in_words(entry.get("rules"))
    return Markup("{} {}").format(reason, rule_codes(entry.get("rules")))


def job_error(error: str) -> str:
    """Why a job failed, in words: a lost worker in the user's language, an engine error as the engine said it."""
    if (error or "").startswith("WorkerLost"):
        return _("The worker running this job stopped (it was restarted or killed) without a result. "
                 "Start the roster run again.")
    if (error or "").startswith("QueueUnavailable"):
        return _("The roster run could not be started: the site's job queue is not answering. Nothing was "
                 "changed. Try again in a few minutes; if it keeps happening, tell whoever runs the site.")
    return error or ""


def register(app_or_bp) -> None:
    """Make the helpers available to every template."""
    for helper in (job_status_label, rule_meaning, in_language, rule_codes, rules_in_words, explained, job_error):
        app_or_bp.add_app_template_global(helper, helper.__name__)

