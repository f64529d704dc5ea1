"""Students, coaches, lesson schedules and weekly customer snapshots for one org_market.

Lessons are scheduled per coach and day as back-to-back runs with small gaps (0, 5, 10 ...
minutes), so the travel-comp rule (no travel pay when a lesson starts within 5 minutes of the
same coach's previous lesson) has real cases on both sides of the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from canon.examples.lessons import calendar as cal
from canon.examples.lessons.vec import cumsum_within, rank_within
from canon.examples.lessons.world import OrgMarket

DURATIONS = np.array([30, 45, 60, 60, 60, 90], dtype=np.int64)  # minutes, multiples of 15
GAPS = np.array([0, 0, 5, 5, 10, 15, 30, 60], dtype=np.int64)  # minutes before a lesson in a run
PRICES = np.arange(4000, 9001, 500, dtype=np.int64)  # cents per credit
RATES = np.arange(2000, 4501, 250, dtype=np.int64)  # coach lesson_rate, cents per hour
TRAVEL = np.array([0, 400, 800, 1200], dtype=np.int64)  # travel_comp, cents per hour


@dataclass
class People:
    start_day: np.ndarray
    end_day: np.ndarray  # exclusive
    price: np.ndarray  # cents per credit
    coach: np.ndarray  # primary coach index

    @property
    def n(self) -> int:
        return len(self.start_day)


@dataclass
class Coaches:
    lesson_rate: np.ndarray
    travel_comp: np.ndarray
    hired_day: np.ndarray

    @property
    def n(self) -> int:
        return len(self.lesson_rate)


@dataclass
class Lessons:
    """Sorted by (coach, start). `coach == coaches.n` marks the injected unregistered coach."""

    person: np.ndarray
    coach: np.ndarray
    started: np.ndarray  # minutes since START
    duration: np.ndarray  # minutes
    gap: np.ndarray  # minutes since the same coach's previous lesson ended; -1 = none

    @property
    def completed(self) -> np.ndarray:
        return self.started + self.duration

    @property
    def n(self) -> int:
        return len(self.person)


def make_people(om: OrgMarket, n: int, rng: np.random.Generator) -> tuple[People, Coaches]:
    if om.tiny:
        start = rng.integers(7, 30, size=n)
        end = np.full(n, cal.DAYS, dtype=np.int64)
    else:
        start = (7 + (cal.DAYS - 60) * rng.random(n) ** 0.8).astype(np.int64)
        tenure = 28 + rng.exponential(170, size=n).astype(np.int64)
        end = np.minimum(start + tenure, cal.DAYS)
    base = PRICES[rng.integers(0, len(PRICES))]
    price = base - 500 * (rng.random(n) < 0.3)
    n_coaches = max(1, -(-n // 25))
    coaches = Coaches(
        lesson_rate=RATES[rng.integers(0, len(RATES), size=n_coaches)],
        travel_comp=TRAVEL[rng.integers(0, len(TRAVEL), size=n_coaches)],
        hired_day=rng.integers(-400, 30, size=n_coaches),
    )
    people = People(start, end, price.astype(np.int64), rng.integers(0, n_coaches, size=n))
    return people, coaches


def lesson_days(people: People, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(person, day) of every lesson, sorted by person then day."""
    weekly = np.array([0.5, 1.0, 1.5])[rng.choice(3, size=people.n, p=[0.3, 0.5, 0.2])]
    span = people.end_day - people.start_day
    counts = np.maximum(1, rng.poisson(weekly * span / 7.0))
    person = np.repeat(np.arange(people.n), counts)
    day = people.start_day[person] + (rng.random(len(person)) * span[person]).astype(np.int64)
    order = np.lexsort((day, person))
    return person[order], day[order]


def schedule(
    people: People,
    coaches: Coaches,
    person: np.ndarray,
    day: np.ndarray,
    rng: np.random.Generator,
    unregistered: np.ndarray | None = None,
) -> Lessons:
    """Assign coaches and clock times; `unregistered` marks lessons given by an unknown coach."""
    n = len(person)
    coach = people.coach[person].copy()
    substitute = rng.random(n) < 0.1
    coach[substitute] = rng.integers(0, coaches.n, size=int(substitute.sum()))
    if unregistered is not None:
        coach[unregistered] = coaches.n
    tie = rng.random(n)
    order = np.lexsort((tie, day, coach))
    person, coach, day = person[order], coach[order], day[order]
    duration = DURATIONS[rng.integers(0, len(DURATIONS), size=n)]
    gap_before = GAPS[rng.integers(0, len(GAPS), size=n)]
    group = coach.astype(np.int64) * (cal.DAYS + 1) + day
    first = rank_within(group) == 0
    step = np.where(first, 0, gap_before + np.r_[0, duration[:-1]])
    offset = 8 * 60 + 15 * rng.integers(0, 16, size=n)
    group_offset = offset[np.flatnonzero(first)][np.cumsum(first) - 1]
    started = day * cal.MINUTES_PER_DAY + group_offset + cumsum_within(group, step)
    # Runs that spill past midnight could interleave with the next day's run: order by the
    # clock (then by position) so "previous lesson" means the same thing here as in SQL.
    order = np.lexsort((np.arange(n), started, coach))
    person, coach, started, duration = person[order], coach[order], started[order], duration[order]
    completed = started + duration
    same_coach = np.r_[False, coach[1:] == coach[:-1]]
    gap = np.where(same_coach, started - np.r_[0, completed[:-1]], -1)
    return Lessons(person, coach, started, duration, gap)


def snapshots(people: People, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(person, week index, status code) per ISO week: 0 active, 1 paused, 2 churned."""
    first_week = cal.week_index(people.start_day)
    last_week = cal.week_index(people.end_day - 1)
    churned = people.end_day < cal.DAYS
    counts = last_week - first_week + 1 + 2 * churned
    person = np.repeat(np.arange(people.n), counts)
    week = first_week[person] + rank_within(person)
    status = np.where(rng.random(len(person)) < 0.05, 1, 0)
    status = np.where(week > last_week[person], 2, status)
    sunday = cal.week_sunday_day(week)
    keep = (sunday >= 0) & (sunday < cal.DAYS)
    return person[keep], week[keep], status[keep]
