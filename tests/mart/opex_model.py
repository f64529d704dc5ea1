"""An independent Python model of the OPEX cascade, written from the contract's description.

native OPEX stays where it was incurred; allocatable portfolio OPEX is shared among
organizations by positive revenue; each organization's pools are shared among its org_markets
by positive revenue; largest remainder with ties to the lower key; a pool with no positive
revenue to share by stays where it was.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping


def allocate(pool: int, revenue: Mapping[str, int]) -> dict[str, int] | None:
    basis = {k: max(v, 0) for k, v in revenue.items()}
    total = sum(basis.values())
    if total <= 0:
        return None
    sign, whole = (-1 if pool < 0 else 1), abs(pool)
    shares = {k: whole * b // total for k, b in basis.items()}
    left = whole - sum(shares.values())
    for k in sorted(basis, key=lambda k: (-(whole * basis[k] % total), k))[:left]:
        shares[k] += 1
    return {k: sign * v for k, v in shares.items()}


def leaf_opex(
    revenue: Mapping[str, int],  # org_market -> net revenue (org_markets with a revenue row)
    org_of: Mapping[str, str],
    native: Mapping[tuple[str, str], int],  # (grain, key) -> allocatable OPEX incurred there
) -> tuple[dict[str, int], dict[str, int], int]:
    """(OPEX per org_market, OPEX held per organization, OPEX held at the portfolio)."""
    org_revenue: dict[str, int] = defaultdict(int)
    for om, r in revenue.items():
        org_revenue[org_of[om]] += r
    pf_pool = sum(v for (g, _), v in native.items() if g == "portfolio")
    pf_share = allocate(pf_pool, dict(org_revenue)) if pf_pool or ("portfolio", "pf") in native else {}
    leaf: dict[str, int] = defaultdict(int)
    held_org: dict[str, int] = defaultdict(int)
    held_pf = 0
    if pf_share is None:
        held_pf = pf_pool
        pf_share = {}
    for (grain, key), amount in native.items():
        if grain == "org_market":
            leaf[key] += amount
    orgs = {org_of[om] for om in revenue} | {k for (g, k) in native if g == "organization"}
    for org in orgs:
        pools = [native.get(("organization", org)), pf_share.get(org)]
        members = {om: r for om, r in revenue.items() if org_of[om] == org}
        for pool in pools:
            if pool is None:
                continue
            split = allocate(pool, members) if members else None
            if split is None:
                held_org[org] += pool
            else:
                for om, v in split.items():
                    leaf[om] += v
    return dict(leaf), dict(held_org), held_pf
