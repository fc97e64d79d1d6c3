"""Whitelist work: applications, vetting decisions with their history, evaluations, staff logins.

Services flush; the request commits once.
"""

import logging
import secrets
from datetime import date

from flask_babel import gettext as _

from app.accounts.models import Role, User
from app.audit import services as audit
from app.extensions import db
from app.models_base import local_today
from app.providers.models import (
    ACTION_TRANSITIONS,
    EvaluationRating,
    Provider,
    ProviderEvaluation,
    ProviderStatus,
    ProviderStatusChange,
    ReasonCategory,
    VettingAction,
    VettingStatus,
)
from app.staff.models import StaffProfile, StaffType

logger = logging.getLogger(__name__)

# Generated passwords avoid characters that are easy to misread when told over the phone.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GENERATED_PASSWORD_LENGTH = 10


class VettingError(Exception):
    """An action that the provider's current status does not allow."""


def county_providers(county_id: int, status: ProviderStatus | None = None) -> list[Provider]:
    """The county's providers, optionally of one status, by name."""
    query = db.select(Provider).filter_by(county_id=county_id).order_by(Provider.name)
    if status is not None:
        query = query.filter_by(status=status)
    return list(db.session.scalars(query))


def public_lists(county_id: int, today: date) -> tuple[list[Provider], list[Provider]]:
    """The public whitelist (vetted today) and blacklist (suspended or exited) of a county."""
    providers = county_providers(county_id)
    whitelist = [p for p in providers if p.is_vetted_on(today)]
    removed = [p for p in providers if p.status in (ProviderStatus.SUSPENDED, ProviderStatus.EXITED)]
    return whitelist, removed


def add_application(county_id: int, *, name: str, credit_code: str, contact_name: str, contact_mobile: str,
                    categories: list[str], by: User) -> Provider:
    """Record an organisation's application (status applied) and its first history entry."""
    provider = Provider(county_id=county_id, name=name, credit_code=credit_code, contact_name=contact_name,
                        contact_mobile=contact_mobile, categories=sorted(set(categories)),
                        status=ProviderStatus.APPLIED)
    db.session.add(provider)
    provider.status_changes.append(
        ProviderStatusChange(action=VettingAction.APPLY, from_status=None, to_status=ProviderStatus.APPLIED,
                             changed_by=by)
    )
    db.session.flush()
    logger.info("provider %s applied in county %s", provider.id, county_id)
    return provider


def _change(provider: Provider, action: VettingAction, by: User, *, vetted_until: date | None = None,
            reason_category: ReasonCategory | None = None, reason: str = "") -> ProviderStatusChange:
    """Move the provider by the action's transition and record who, when and why."""
    allowed_from, to_status = ACTION_TRANSITIONS[action]
    if provider.status not in allowed_from:
        raise VettingError(f"{action.value} not allowed from {provider.status.value}")
    change = ProviderStatusChange(action=action, from_status=provider.status, to_status=to_status,
                                  vetted_until=vetted_until, reason_category=reason_category, reason=reason,
                                  changed_by=by)
    provider.status_changes.insert(0, change)
    provider.status = to_status
    if vetted_until is not None:
        provider.vetted_until = vetted_until
    provider.status_reason = reason
    db.session.flush()
    logger.info("provider %s: %s by user %s", provider.id, action.value, by.id)
    return change


def approve(provider: Provider, vetted_until: date, by: User) -> ProviderStatusChange:
    """Admit (or re-admit) the provider to the whitelist until a date."""
    return _change(provider, VettingAction.APPROVE, by, vetted_until=vetted_until)


def renew(provider: Provider, vetted_until: date, by: User) -> ProviderStatusChange:
    """Extend an active provider's vetting to a later date."""
    return _change(provider, VettingAction.RENEW, by, vetted_until=vetted_until)


def suspend(provider: Provider, reason_category: ReasonCategory, reason: str, by: User) -> ProviderStatusChange:
    """Take the provider off the whitelist for now (it may be re-approved after rectification): its staff's logins,
    feeds and coming sessions end at once (see `_withdraw_staff`)."""
    change = _change(provider, VettingAction.SUSPEND, by, reason_category=reason_category, reason=reason)
    _withdraw_staff(provider)
    audit.security("provider_suspended", by, subject=provider.name, county_id=provider.county_id)
    return change


def exit_whitelist(provider: Provider, reason_category: ReasonCategory, reason: str, by: User) -> ProviderStatusChange:
    """Remove the provider for good (退出): its staff's logins, feeds and coming sessions end at once."""
    change = _change(provider, VettingAction.EXIT, by, reason_category=reason_category, reason=reason)
    _withdraw_staff(provider)
    audit.security("provider_exited", by, subject=provider.name, county_id=provider.county_id)
    return change


def _withdraw_staff(provider: Provider) -> None:
    """The provider may no longer work: its staff's sessions end (User.is_active asks Provider.is_vetted_on), and
    their assignments from today on leave the schools' working rosters, whose coordinators are asked to re-plan."""
    from app.rosters.services import withdraw_from_rosters

    for user in provider.staff_users:
        user.rotate_session_token()
        audit.security("forced_logout", user, subject=provider.name)
    withdraw_from_rosters([user.staff_profile for user in provider.staff_users if user.staff_profile is not None],
                          local_today(), provider.name)


def login_refusal(provider: Provider | None) -> str:
    """Why a provider's staff cannot log in now, in plain words (the provider may not work today)."""
    if provider is None:
        return _("This login belongs to no organisation.")
    status = provider.vetting_status(local_today())  # the one rule the badges on every page show
    if status in (VettingStatus.SUSPENDED, VettingStatus.EXITED):
        change = provider.last_status_change
        category = change.reason_category if change is not None else None
        from app.providers.forms import REASON_LABELS

        why = "; ".join(part for part in (str(REASON_LABELS[category]) if category else "", provider.status_reason)
                        if part)
        if status is VettingStatus.SUSPENDED:
            return _("%(name)s is suspended from the county whitelist (%(why)s), so its staff cannot log in or "
                     "work in schools now. Ask the county education department when it may return.",
                     name=provider.name, why=why or "—")
        return _("%(name)s has left the county whitelist (%(why)s), so its staff cannot log in or work in schools.",
                 name=provider.name, why=why or "—")
    if status is VettingStatus.APPLIED:
        return _("%(name)s is not yet on the county whitelist, so its staff cannot log in until the county education "
                 "department approves it.", name=provider.name)
    return _("The vetting of %(name)s ended on %(day)s, so its staff cannot log in or work in schools until the county "
             "education department renews it.", name=provider.name,
             day=provider.vetted_until.isoformat() if provider.vetted_until else "—")


def evaluate(provider: Provider, *, term_name: str, rating: EvaluationRating | None, score: int | None,
             comment: str, by: User) -> ProviderEvaluation:
    """Record the county's evaluation of a provider for a term."""
    evaluation = ProviderEvaluation(term_name=term_name, rating=rating, score=score, comment=comment,
                                    evaluated_by=by)
    provider.evaluations.insert(0, evaluation)
    db.session.flush()
    logger.info("provider %s evaluated for %s by user %s", provider.id, term_name, by.id)
    return evaluation


def generate_password() -> str:
    """A random initial password, shown once to the officer."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(GENERATED_PASSWORD_LENGTH))


def create_staff_login(provider: Provider, *, name: str, mobile: str, password: str) -> User:
    """A provider staff account with a roster profile for the provider's activities (opted in: they work for it)."""
    user = User(role=Role.PROVIDER_STAFF, provider=provider, name=name, mobile=mobile)
    user.set_password(password, by_administrator=True)
    user.staff_profile = StaffProfile(staff_type=StaffType.PROVIDER, skills=list(provider.categories), opted_in=True)
    db.session.add(user)
    db.session.flush()
    logger.info("provider %s: staff login %s created", provider.id, user.id)
    return user


def deactivate_staff_login(user: User) -> None:
    """Stop a provider staff account from logging in, and end its sessions."""
    user.is_active_account = False
    user.rotate_session_token()
    if user.staff_profile is not None:
        user.staff_profile.opted_in = False
    db.session.flush()
    logger.info("staff login %s deactivated", user.id)
