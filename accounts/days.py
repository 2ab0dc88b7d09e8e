"""The learner's local days: the one place that turns a moment into a learner's date and back.

Every rule that speaks of "today" (levels' spacing, streaks, recall days, what is due,
digests, the Review tally) asks here, with the learner's time zone (Profile.tz), so two
answers ten minutes apart across midnight UTC fall on one day for a learner in Tokyo or
New York, and on two days only when the learner's own clock says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, tzinfo

from django.db.models.functions import TruncDate


def local_date(moment: datetime, tz: tzinfo) -> date:
    """The learner's calendar date at `moment` (an aware datetime)."""
    return moment.astimezone(tz).date()


def local_date_expr(field: str, tz: tzinfo) -> TruncDate:
    """local_date in SQL: the learner's date of a datetime column, for grouping rows by day."""
    return TruncDate(field, tzinfo=tz)


def day_start(day: date, tz: tzinfo) -> datetime:
    """The first moment of a local date (zoneinfo resolves a DST gap to the real instant)."""
    return datetime.combine(day, time.min, tzinfo=tz)


def day_end(day: date, tz: tzinfo) -> datetime:
    """The first moment of the local date after `day`: "by the end of the day" means before this."""
    return day_start(day + timedelta(days=1), tz)


def learner_tz(learner_id: int) -> tzinfo:
    """A learner's time zone by id (one query; UTC when they have no profile yet)."""
    return learner_tzs([learner_id])[learner_id]


def learner_tzs(learner_ids: Iterable[int]) -> dict[int, tzinfo]:
    """Learner id → time zone, for many learners in one query (UTC without a profile yet)."""
    from accounts.models import Profile  # models import this module for their day rules

    ids = list(learner_ids)
    names = dict(Profile.objects.filter(user_id__in=ids).values_list("user_id", "time_zone"))
    return {pk: Profile(time_zone=names.get(pk) or "UTC").tz for pk in ids}
