"""Who may see what: role checks and school-scoped loading (another school's object is a 404)."""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db


def roles_required(*roles: Role, class_teacher: bool = False, principal: bool = False) -> Callable:
    """Allow only logged-in users with one of the roles (or, with class_teacher, teachers who lead a class; with
    principal, school administrators titled principal)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            allowed = (current_user.role in roles or (class_teacher and current_user.is_class_teacher)
                       or (principal and current_user.is_principal))
            if not allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def can_see_school(school_id: int | None, county_id: int | None) -> bool:
    """Whether the current user may see an object of this school (or, for county-level objects, county)."""
    if not current_user.is_authenticated:
        return False
    if current_user.role is Role.COUNTY_OFFICER:
        return county_id is not None and county_id == current_user.county_id
    return school_id is not None and school_id == current_user.school_id


def get_for_school_or_404(model: type, object_id: int):
    """Load a school-owned object by id; 404 when it is missing or belongs to a school the user can't see."""
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    school = getattr(obj, "school", None)
    if school is None or not can_see_school(obj.school_id, school.county_id):
        abort(404)
    return obj


def get_for_county_or_404(model: type, object_id: int):
    """Load a county-owned object by id; 404 unless the user belongs to that county."""
    obj = db.session.get(model, object_id)
    if obj is None or obj.county_id != current_user.effective_county_id:
        abort(404)
    return obj


def chosen_school_or_404(school_id: int | None) -> "School | None":  # noqa: F821
    """The school a page of school figures is asked for (?school_id=): an administrator's own school (another id:
    404); for the county officer, a school of their county (another county's: 404), or None when none was chosen."""
    from app.schools.models import School  # the schools' pages use this module: read at call time

    if current_user.role is Role.SCHOOL_ADMIN:
        if school_id is not None and school_id != current_user.school_id:
            abort(404)
        return db.session.get(School, current_user.school_id)
    if school_id is None:
        return None
    school = db.session.get(School, school_id)
    if school is None or school.county_id != current_user.county_id:
        abort(404)
    return school


def schools_to_choose() -> list["School"]:  # noqa: F821
    """The county officer's schools (an administrator has only their own)."""
    from app.schools.models import School

    if current_user.role is not Role.COUNTY_OFFICER:
        return []
    return list(db.session.scalars(select(School).filter_by(county_id=current_user.county_id).order_by(School.name)))
