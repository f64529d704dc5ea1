"""The fixed shape of the marketplace: one portfolio, disciplines, cities and the pairs served.

The shape does not depend on the seed (tests and docs can name an org_market); the seed only
changes volumes, prices and timing. Two org_markets are deliberately tiny so that their
active-student count falls under the cohort floor of 5 in some weeks.
"""

from __future__ import annotations

from dataclasses import dataclass

PORTFOLIO = ("pf_001", "lessons", "Lessons Marketplace")

ORGANIZATIONS = [  # id, slug, discipline, name
    ("org_101", "swim", "swimming", "Swim Academy"),
    ("org_102", "tennis", "tennis", "Tennis Club"),
    ("org_103", "golf", "golf", "Golf School"),
    ("org_104", "piano", "music", "Piano Studio"),
    ("org_105", "climbing", "climbing", "Climbing Gym"),
    ("org_106", "chess", "chess", "Chess Circle"),
]

MARKETS = [  # id, slug, name
    ("mkt_201", "austin", "Austin"),
    ("mkt_202", "denver", "Denver"),
    ("mkt_203", "seattle", "Seattle"),
    ("mkt_204", "boston", "Boston"),
    ("mkt_205", "chicago", "Chicago"),
    ("mkt_206", "miami", "Miami"),
    ("mkt_207", "portland", "Portland"),
    ("mkt_208", "atlanta", "Atlanta"),
]

# (organization slug, market slug, relative size, fixed person count for tiny pairs)
PAIRS: list[tuple[str, str, float, int | None]] = [
    ("swim", "austin", 2.2, None),
    ("swim", "denver", 1.4, None),
    ("swim", "seattle", 1.1, None),
    ("swim", "boston", 1.6, None),
    ("swim", "chicago", 1.9, None),
    ("swim", "miami", 2.5, None),
    ("swim", "atlanta", 1.3, None),
    ("tennis", "austin", 1.2, None),
    ("tennis", "miami", 1.8, None),
    ("tennis", "atlanta", 0.9, None),
    ("tennis", "chicago", 0.7, None),
    ("tennis", "denver", 0.6, None),
    ("golf", "austin", 0.8, None),
    ("golf", "denver", 0.5, None),
    ("golf", "seattle", 0.4, None),
    ("golf", "atlanta", 0.6, None),
    ("piano", "boston", 1.3, None),
    ("piano", "seattle", 1.0, None),
    ("piano", "chicago", 1.1, None),
    ("piano", "portland", 0.7, None),
    ("piano", "austin", 0.9, None),
    ("climbing", "denver", 1.2, None),
    ("climbing", "seattle", 0.9, None),
    ("climbing", "portland", 0.0, 7),
    ("climbing", "boston", 0.5, None),
    ("chess", "boston", 0.4, None),
    ("chess", "miami", 0.0, 4),
    ("chess", "chicago", 0.3, None),
]

PERSONS_PER_SIZE = 55  # persons per unit of relative size at scale 1


@dataclass(frozen=True)
class OrgMarket:
    index: int
    org_market_id: str  # the OrgMarket slug
    organization_id: str
    organization_slug: str
    market_id: str
    market_slug: str
    size: float
    fixed_persons: int | None

    @property
    def tiny(self) -> bool:
        return self.fixed_persons is not None


def org_markets() -> list[OrgMarket]:
    orgs = {slug: oid for oid, slug, _, _ in ORGANIZATIONS}
    mkts = {slug: mid for mid, slug, _ in MARKETS}
    return [
        OrgMarket(i, f"{o}-{m}", orgs[o], o, mkts[m], m, size, fixed) for i, (o, m, size, fixed) in enumerate(PAIRS)
    ]
