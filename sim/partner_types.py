"""Partner types and their defaults, traced to the domain sources.

Every default below is annotated with where it comes from:

* ``seed 002 table`` is the playbook's partner-type table ("Partner Type | Primary
  Play | Engagement Depth | Core Customer Segments"): segments, engagement depth and
  deal-size bands per type.
* ``seed 002 commercial model`` is the playbook's three-lens segmentation ("By
  Commercial Model"): resell & margin, influence & referral, service & managed
  revenue.
* ``seed 002 case study N`` are the playbook's three case studies.
* ``reach`` is the per-quarter hazard a fully engaged partner adds in each account it
  covers. Seed 002: partners "already have established customer relationships ...
  enabling faster entry and lower acquisition costs", so reach in a partner's own
  accounts is set at four to seven times the vendor's own marketing hazard (the
  default Bass p of 0.0075 per quarter); the multiple is an assumption.
* ``assumption`` marks a number the sources do not give; it is a typical value for
  B2B SaaS channels, stated so a user can change it in a scenario file.

The model reads these values only through the validated scenario, so a scenario file
can override any of them per type (``partners.<type>.<field>``).
"""

from __future__ import annotations

PARTNER_TYPES: tuple[str, ...] = (
    "distributor",
    "reseller",
    "var",
    "regional_si",
    "gsi",
    "msp",
    "marketplace",
    "influencer",
)

SEGMENTS: tuple[str, ...] = ("smb", "mid_market", "enterprise")

# Route to market each type belongs to (seed 002 "Structuring Routes to Market":
# distribution, system integrators, resellers, marketplaces; MSP and influencer
# motions are named separately in "Stage 2" and "Stage 3"). A reseller recruited by
# a distributor runs on the distribution route; one recruited directly on "resell".
ROUTE_OF_TYPE: dict[str, str] = {
    "distributor": "distribution",
    "reseller": "resell",
    "var": "resell",
    "regional_si": "si",
    "gsi": "gsi",
    "msp": "msp",
    "marketplace": "marketplace",
    "influencer": "influence",
}

# Commercial model (seed 002 "By Commercial Model").
#   resell: the partner buys at a discount (``margin``) and keeps it on every
#           quarter's subscription revenue of the customers it sold.
#   referral: the partner earns ``margin`` of first-year contract value once, at close.
#   marketplace: the marketplace keeps ``margin`` (its listing fee) of every
#           transaction it carries.
#   distribution: the distributor keeps ``margin`` on two-tier deals of its resellers.
COMMERCIAL_MODELS: tuple[str, ...] = ("resell", "referral", "marketplace", "distribution")

# Minimum vendor stage (Partner Maturity Index, seed 002) at which a type is recruited
# when ``vendor.enforce_stage_gates`` is on. Stage 1: design partners, select
# resellers/VARs for pilots; stage 2: VARs, regional SIs, resellers; stage 3:
# hyperscalers/marketplaces, distributors, GSIs, influencer partners.
MIN_STAGE_OF_TYPE: dict[str, int] = {
    "distributor": 3,
    "reseller": 1,
    "var": 1,
    "regional_si": 2,
    "gsi": 3,
    "msp": 2,
    "marketplace": 3,
    "influencer": 3,
}

TYPE_DEFAULTS: dict[str, dict] = {
    # Distributors orchestrate downstream resellers (seed 002 case study 1): they hold
    # no end-customer accounts themselves, recruit and enable resellers from their
    # network and keep a distribution margin on two-tier deals.
    "distributor": dict(
        count=0,
        commercial_model="distribution",
        margin=0.08,  # assumption: two-tier distribution margin 5-10%
        sellers=0,  # seed 002 table: fulfilment and volume distribution, no own accounts
        accounts_per_seller=0,
        segment_fit={"smb": 1.0, "mid_market": 0.0, "enterprise": 0.0},  # seed 002 table
        deal_size_multiplier=1.0,
        sales_cycle_extra=0,
        win_rate_lift=0.0,
        services_attach=0.0,
        retention_effect=0.0,
        reach=0.0,
        ramp_quarters=1,  # assumption: distributors onboard fast (established ops)
        certification_quarters=1,
        enablement_cost=40_000.0,  # assumption: vendor trains the distributor's team
        resellers_recruited_per_quarter=12,  # seed 002 case study 1: 0 -> 300 in ~2 years via 2-4 distributors
        cascade_cost_share=0.25,  # seed 002 case study 1: vendor enables distributors, they cascade
        # assumption: the few strategic distributors differ less in their appetite than resellers do
        heterogeneity={"engagement": 0.5},
    ),
    "reseller": dict(
        count=0,
        commercial_model="resell",
        margin=0.15,  # assumption: reseller discount 10-20%
        sellers=2,  # seed 002 "15-20 partners each with two or three salespeople"
        accounts_per_seller=60,  # assumption: transactional book of SMB accounts
        segment_fit={"smb": 1.0, "mid_market": 0.0, "enterprise": 0.0},  # seed 002 table: SMB, long tail
        deal_size_multiplier=1.0,  # seed 002 table: $10K-$100K
        sales_cycle_extra=0,  # seed 002 table: transactional, speed of sale
        win_rate_lift=0.05,  # seed 002: low-touch, low influence
        services_attach=0.05,
        retention_effect=0.0,
        reach=0.030,
        ramp_quarters=1,
        certification_quarters=2,
        enablement_cost=5_000.0,  # assumption
    ),
    "var": dict(
        count=0,
        commercial_model="resell",
        margin=0.20,  # assumption: VAR discount 15-25%
        sellers=3,  # assumption
        accounts_per_seller=25,
        segment_fit={"smb": 0.3, "mid_market": 0.7, "enterprise": 0.0},  # seed 002 table: mid-market, upper SMB
        deal_size_multiplier=1.1,  # seed 002 table: $100K-$1M with configuration bundled
        sales_cycle_extra=0,
        win_rate_lift=0.15,  # seed 002: mid-influence, mid-touch
        services_attach=0.30,  # seed 002: configuration, deployment or integration support
        retention_effect=0.20,
        reach=0.040,
        ramp_quarters=2,
        certification_quarters=2,
        enablement_cost=12_000.0,  # assumption
    ),
    "regional_si": dict(
        count=0,
        commercial_model="referral",
        margin=0.10,  # assumption: referral / co-sell fee 10% of first-year value
        sellers=4,
        accounts_per_seller=15,
        segment_fit={"smb": 0.0, "mid_market": 0.7, "enterprise": 0.3},  # seed 002 table: large ent. and mid-market
        deal_size_multiplier=1.3,  # seed 002: SI-delivered deals are larger
        sales_cycle_extra=1,  # seed 002: consulting-led engagements, longer cycles
        win_rate_lift=0.25,  # seed 002: high influence
        services_attach=0.60,  # seed 002 commercial model: service & managed revenue
        retention_effect=0.40,  # seed 002: services wraps increase stickiness
        reach=0.050,
        ramp_quarters=2,
        certification_quarters=2,
        enablement_cost=25_000.0,  # assumption
    ),
    "gsi": dict(
        count=0,
        commercial_model="referral",
        margin=0.10,  # assumption: co-sell / referral fee
        sellers=10,
        accounts_per_seller=8,
        segment_fit={"smb": 0.0, "mid_market": 0.0, "enterprise": 1.0},  # seed 002 table: Global 1000
        deal_size_multiplier=1.6,  # seed 002 table: transformation-scale programs
        sales_cycle_extra=2,  # seed 002: long-cycle delivery models
        win_rate_lift=0.30,  # seed 002: high-touch, enterprise trust
        services_attach=0.80,
        retention_effect=0.50,
        reach=0.050,
        ramp_quarters=3,  # assumption: GSI practices take longest to stand up
        certification_quarters=2,
        enablement_cost=60_000.0,  # assumption
    ),
    "msp": dict(
        count=0,
        commercial_model="resell",
        margin=0.20,  # assumption
        sellers=3,
        accounts_per_seller=30,
        # seed 002 table: mid-market & SMB recurring base
        segment_fit={"smb": 0.5, "mid_market": 0.5, "enterprise": 0.0},
        deal_size_multiplier=1.0,
        sales_cycle_extra=0,
        win_rate_lift=0.10,
        services_attach=0.70,  # seed 002: ongoing service delivery, managed services
        retention_effect=0.50,  # seed 002: "subscription renewals", recurring revenue
        reach=0.030,
        ramp_quarters=2,
        certification_quarters=2,
        enablement_cost=12_000.0,  # assumption
    ),
    "marketplace": dict(
        count=0,
        commercial_model="marketplace",
        margin=0.03,  # assumption: cloud marketplace listing fee ~3%
        sellers=0,
        accounts_per_seller=0,
        segment_fit={"smb": 0.4, "mid_market": 0.35, "enterprise": 0.25},  # seed 002 case study 3: global customer base
        deal_size_multiplier=1.0,
        sales_cycle_extra=-1,  # seed 002 case study 3: simplified procurement accelerates closure
        win_rate_lift=0.10,
        services_attach=0.0,
        retention_effect=0.0,
        reach=0.008,  # digital, self-service reach over every customer (seed 002 case study 3)
        ramp_quarters=1,
        certification_quarters=1,
        enablement_cost=20_000.0,  # assumption: listing and integration work
    ),
    "influencer": dict(
        count=0,
        commercial_model="referral",
        margin=0.10,  # assumption: referral fee
        sellers=1,
        accounts_per_seller=150,  # an audience rather than a book of accounts
        segment_fit={"smb": 0.4, "mid_market": 0.4, "enterprise": 0.2},  # seed 002 table: cross-segment
        deal_size_multiplier=1.0,
        sales_cycle_extra=0,
        win_rate_lift=0.05,
        services_attach=0.0,
        retention_effect=0.0,
        reach=0.015,
        ramp_quarters=1,
        certification_quarters=1,
        enablement_cost=2_000.0,
    ),
}
