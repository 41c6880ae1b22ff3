"""The benchmark sizes as scenario dicts (DESIGN.md "Performance": M, L, XL).

Each size starts from ``scenarios/baseline.yaml`` (its market, adoption, vendor and
rival settings, so timings follow the calibrated model) and changes only what a
benchmark must fix: the number of customers and quarters, word of mouth
(``small_world``, mean degree 10), and a partner mix over every type scaled to the
size's partner count. The mix keeps the baseline's proportions of resellers, VARs and
regional SIs and adds the other routes (two-tier distribution, GSIs, MSPs,
influencers, and two marketplaces at every size) so every partner rule is exercised.
A fifth of each type is partnered at the start and the partner team grows with the
partner pool, so recruitment, onboarding and the lifecycle keep running for the whole
run. Per customer, every size is the same market: adoption, opportunities and
customers per head come out alike, so timings across sizes compare like with like.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from sim.scenario import apply_overrides

__all__ = [
    "SIZES",
    "PARTNER_MIX",
    "MARKETPLACES",
    "QUARTERS",
    "BASE_SCENARIO",
    "scaled_scenario",
    "size_scenario",
]

BASE_SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
QUARTERS = 40

# Customers and partners per reference size (DESIGN.md "Performance").
SIZES: dict[str, tuple[int, int]] = {
    "M": (50_000, 500),
    "L": (200_000, 2_000),
    "XL": (1_000_000, 10_000),
    "XXL": (10_000_000, 100_000),
}

# Partners of each type per 498 partners, scaled with the size.
PARTNER_MIX: dict[str, int] = {
    "reseller": 250,
    "var": 100,
    "regional_si": 40,
    "msp": 50,
    "influencer": 44,
    "gsi": 10,
    "distributor": 4,
}
# Cloud marketplaces are a handful whatever the ecosystem's size, and their reach covers
# every customer of their segments: scaling their number would raise every customer's
# adoption hazard with the size and make large sizes a different market. (count, initial)
MARKETPLACES = (2, 1)

INITIAL_SHARE = 0.2  # share of each type already partnered at the start
PARTNERS_PER_MANAGER = 50  # the partner team grows with the partner pool


def scaled_scenario(
    name: str, customers: int, partners: int, quarters: int = QUARTERS, seed: int = 0
) -> dict:
    """The baseline scenario with ``customers`` customers and the mix scaled to ``partners``.

    Two marketplaces (one live from the start); the other types' counts are the mix
    scaled and rounded, the remainder going to resellers so all sum to ``partners``.
    """
    marketplaces, live_marketplaces = MARKETPLACES
    scale = (partners - marketplaces) / sum(PARTNER_MIX.values())
    counts = {t: int(round(n * scale)) for t, n in PARTNER_MIX.items()}
    counts["reseller"] += partners - marketplaces - sum(counts.values())
    overrides = {
        "name": name,
        "description": f"Benchmark: {customers:,} customers, {partners:,} partners, "
        f"{quarters} quarters.",
        "simulation.quarters": quarters,
        "simulation.replications": 1,
        "simulation.seed": seed,
        "market.customers": customers,
        "market.word_of_mouth": {"graph": "small_world", "mean_degree": 10, "rewiring": 0.1},
        "vendor.partner_managers": max(2, partners // PARTNERS_PER_MANAGER),
    }
    for ptype, n in counts.items():
        overrides[f"partners.{ptype}.count"] = n
        overrides[f"partners.{ptype}.initial"] = int(n * INITIAL_SHARE)
    overrides["partners.marketplace.count"] = marketplaces
    overrides["partners.marketplace.initial"] = live_marketplaces
    base = yaml.safe_load(BASE_SCENARIO.read_text(encoding="utf-8"))
    return apply_overrides(base, overrides)


def size_scenario(
    size: str, fraction: float = 1.0, quarters: int = QUARTERS, seed: int = 0
) -> dict:
    """The scenario of a reference size, optionally scaled (customers and partners together)."""
    customers, partners = SIZES[size]
    label = size if fraction == 1.0 else f"{size}_{fraction:g}".replace(".", "_")
    return scaled_scenario(
        f"bench_{label}", int(customers * fraction), int(partners * fraction), quarters, seed
    )
