"""What the county's public transparency page shows: each school's published offerings with their fee standards and
the providers that run their activities, and the complaint contacts, each with the date it was last published."""

from dataclasses import dataclass
from datetime import date, datetime

from app.extensions import db
from app.programs.models import NoticeVersion, Offering
from app.schools.models import County, School


@dataclass
class PublishedOffering:
    offering_id: int
    version: int
    content: dict  # the notice as published (programs.services.notice_content)
    published_at: datetime

    @property
    def extra_fees(self) -> list[tuple[str, int]]:
        """The activities that cost more than the basic fee, as published."""
        return [(a["name"], a["fee_cents"]) for a in self.content.get("activities", [])
                if a.get("fee_cents") and not a.get("section_of")]


@dataclass
class ProviderUse:
    name: str
    activities: list[str]
    published_at: datetime  # the newest notice that names the provider


@dataclass
class SchoolFacts:
    school: School
    offerings: list[PublishedOffering]
    providers: list[ProviderUse]


def county_page(county: County, today: date) -> list[SchoolFacts]:
    """Per school of the county, the current published version of every offering not yet over (one query for all
    schools), and the providers those notices name as leading an activity."""
    rows = db.session.execute(
        db.select(Offering.school_id, Offering.id, NoticeVersion.version, NoticeVersion.content,
                  NoticeVersion.published_at)
        .join(NoticeVersion, (NoticeVersion.offering_id == Offering.id)
              & (NoticeVersion.version == Offering.published_version))
        .join(School, School.id == Offering.school_id)
        .where(School.county_id == county.id, Offering.published_version > 0, Offering.ends_on >= today)
        .order_by(Offering.starts_on, Offering.id))
    offerings: dict[int, list[PublishedOffering]] = {}
    for school_id, offering_id, version, content, published_at in rows:
        offerings.setdefault(school_id, []).append(PublishedOffering(offering_id, version, content, published_at))
    facts = []
    for school in county.schools:
        providers: dict[str, ProviderUse] = {}
        for published in offerings.get(school.id, []):
            for activity in published.content.get("activities", []):
                if not activity.get("by_provider") or activity.get("section_of"):
                    continue
                use = providers.setdefault(activity["leader"], ProviderUse(activity["leader"], [],
                                                                          published.published_at))
                use.activities.append(activity["name"])
                use.published_at = max(use.published_at, published.published_at)
        facts.append(SchoolFacts(school, offerings.get(school.id, []), sorted(providers.values(),
                                                                               key=lambda p: p.name)))
    return facts
