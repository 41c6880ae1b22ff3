"""Scenario files: the pydantic schema, loading, ``--set`` overrides and validation.

A scenario is a YAML file with the top-level sections ``name``, ``description``,
``simulation``, ``market``, ``vendor``, ``rivals``, ``partners`` and ``program``.
Everything is validated before anything runs; defaults for every partner type come
from :mod:`sim.partner_types` and are filled in, so the resolved scenario written to a
run's manifest says exactly what ran.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from sim.common import NAME_PATTERN, Strict, content_hash, read_mapping, read_yaml_mapping
from sim.errors import ScenarioError, format_validation_error
from sim.partner_types import PARTNER_TYPES, TYPE_DEFAULTS
from sim.presets import PRESET_SECTIONS, PRESETS, apply_preset

__all__ = [
    "Scenario",
    "load_scenario",
    "parse_overrides",
    "apply_overrides",
    "scenario_hash",
    "json_schema",
    "read_yaml_mapping",
]

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Rate = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegInt = Annotated[int, Field(ge=0)]
Money = Annotated[float, Field(ge=0.0)]


def _check_shares_sum_to_one(shares: dict[str, float], what: str) -> None:
    total = sum(shares.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"{what} must sum to 1, got {total:g} ({shares})")


# --------------------------------------------------------------------------- simulation
class Simulation(Strict):
    """How long to run, how many replications, and the root seed."""

    quarters: int = Field(20, ge=1, le=400, description="Quarters to simulate (one step = one quarter).")
    replications: int = Field(10, ge=1, le=100_000, description="Independent replications.")
    seed: int = Field(0, ge=0, description="Root seed; replication seeds come from SeedSequence(seed).spawn(n).")


# --------------------------------------------------------------------------- market
class Segment(Strict):
    """One customer segment: its share of the market and how its deals behave.

    Deal sizes follow the playbook's partner-type table (seed 002): SMB and long tail
    $10K-$100K, mid-market and upper SMB $100K-$1M, large enterprise $1M+. Sales
    cycles, win rates and churn are typical B2B SaaS figures (assumption).
    """

    share: Share = Field(description="Share of all customers in this segment.")
    annual_contract_value: Money = Field(description="Mean first-year contract value in currency units.")
    sales_cycle_quarters: int = Field(ge=0, le=12, description="Quarters from opportunity to close (0 = same quarter).")
    win_rate: Rate = Field(description="Base probability that an opportunity is won.")
    annual_churn: Rate = Field(description="Probability a customer does not renew at an annual renewal.")


def _default_segments() -> dict[str, Segment]:
    return {
        # seed 002 table: resellers & distributors serve SMB and long tail ($10K-$100K)
        "smb": Segment(share=0.70, annual_contract_value=30_000, sales_cycle_quarters=0,
                       win_rate=0.30, annual_churn=0.25),
        # seed 002 table: VARs and regional SIs, mid-market and upper SMB ($100K-$1M)
        "mid_market": Segment(share=0.25, annual_contract_value=150_000, sales_cycle_quarters=1,
                              win_rate=0.25, annual_churn=0.12),
        # seed 002 table: GSIs and large SIs, large enterprises ($1M+)
        "enterprise": Segment(share=0.05, annual_contract_value=1_000_000, sales_cycle_quarters=2,
                              win_rate=0.20, annual_churn=0.07),
    }


class Adoption(Strict):
    """Per-quarter Bass coefficients for the focal vendor's category.

    ``innovation`` (p) is the hazard from the vendor's own marketing; ``imitation`` (q)
    multiplies the share of a customer's peers who already use the product (Bass 1969).
    Defaults are the mean annual coefficients of Sultan, Farley & Lehmann's (1990)
    meta-analysis of 213 Bass applications (p = 0.03, q = 0.38) divided by four.
    """

    innovation: Rate = Field(0.0075, description="Bass p per quarter: hazard from vendor marketing.")
    imitation: Rate = Field(0.095, description="Bass q per quarter: hazard per unit share of adopted peers.")


class WordOfMouth(Strict):
    """The customer-customer peer graph that carries word of mouth."""

    graph: Literal["complete", "small_world", "scale_free", "random", "none"] = Field(
        "small_world", description="complete = fully mixed (Bass); none = no word of mouth.")
    mean_degree: int = Field(10, ge=2, le=200, description="Mean peers per customer (not used by complete/none).")
    rewiring: Rate = Field(0.1, description="Watts-Strogatz rewiring probability (small_world only).")


class Market(Strict):
    """The customer population."""

    customers: int = Field(20_000, ge=10, le=5_000_000, description="Potential customers (graph nodes).")
    segments: dict[Literal["smb", "mid_market", "enterprise"], Segment] = Field(
        default_factory=_default_segments)
    adoption: Adoption = Field(default_factory=Adoption)
    word_of_mouth: WordOfMouth = Field(default_factory=WordOfMouth)
    churn: bool = Field(True, description="Whether customers churn at renewal (false for the Bass limit).")
    services_ratio: float = Field(0.5, ge=0, le=10, description="Partner services revenue per unit of contract "
                                                                 "value on services-attached deals (seed 002 "
                                                                 "'services wraps'; assumption for the size).")
    services_expansion: Share = Field(
        0.10, description="Contract value growth at renewal for services-attached customers (seed 002: services "
                          "wraps increase stickiness and long-term revenue; assumption for the size).")

    @model_validator(mode="before")
    @classmethod
    def _fill_segments(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("segments"), dict):
            defaults = {k: v.model_dump() for k, v in _default_segments().items()}
            merged = {}
            for name, seg in data["segments"].items():
                base = defaults.get(name, {})
                merged[name] = {**base, **seg} if isinstance(seg, dict) else seg
            data = {**data, "segments": merged}
        return data

    @model_validator(mode="after")
    def _shares(self) -> "Market":
        _check_shares_sum_to_one({k: v.share for k, v in self.segments.items()}, "market.segments.*.share")
        return self


# --------------------------------------------------------------------------- vendor
class Vendor(Strict):
    """The focal startup: its stage, sales capacity and partner-management capacity."""

    age_quarters: int = Field(8, ge=0, le=400, description="Company age at the start (quarters).")
    stage: int | None = Field(None, ge=1, le=3, description="Partner Maturity Index stage at the start "
                                                            "(1 validation, 2 expansion, 3 ecosystem); "
                                                            "default: derived from age.")
    product_readiness: Share = Field(
        1.0, description="How production-ready the product is; scales win rates (seed 002 stage 1: "
                         "'new and untested' products win pilots, not revenue).")
    readiness_gain_per_quarter: Share = Field(
        0.0, description="Readiness gained per quarter (design partners' feedback matures the product).")
    partner_managers: NonNegInt = Field(2, description="Partner managers (seed 002: under-resourced teams are "
                                                      "the bottleneck).")
    onboardings_per_manager: NonNegInt = Field(3, description="Partners one manager can take into onboarding "
                                                             "per quarter (assumption).")
    outreach_per_manager: NonNegInt = Field(4, description="Prospective partners one manager approaches per "
                                                          "quarter (assumption: about what one manager can "
                                                          "then onboard).")
    route_capacity: float = Field(2.5, ge=0.5, le=10, description="Routes to market the team can run at full "
                                                                  "quality (seed 002: 'no more than 2-3').")
    enforce_stage_gates: bool = Field(True, description="Recruit a type only once the vendor reaches its "
                                                        "Partner Maturity Index stage (seed 002 PMI table).")
    direct_coverage: dict[Literal["smb", "mid_market", "enterprise"], Share] = Field(
        default_factory=lambda: {"smb": 0.0, "mid_market": 0.2, "enterprise": 0.5},
        description="Share of each segment's accounts owned by direct reps (named accounts): a partner deal "
                    "there is a direct-vs-partner claim (seed 002 'Roles and Ownership').")
    stage2_customers: NonNegInt = Field(10, description="Customers needed for stage 2 (seed 002: 'a handful of "
                                                        "paying customers' before commercial partnering).")
    stage3_arr: Money = Field(5_000_000, description="ARR needed for stage 3 (assumption).")
    credibility: dict[Literal["1", "2", "3"], Share] = Field(
        default_factory=lambda: {"1": 0.4, "2": 0.7, "3": 1.0},
        description="Credibility by stage; scales recruitment acceptance (seed 002: partners assess "
                    "'credibility and financial stability').")


# --------------------------------------------------------------------------- rivals
class Rivals(Strict):
    """Rival vendors that the same partners also carry and split effort with."""

    count: int = Field(2, ge=0, le=50, description="Rival vendors each partner carries.")
    margin_ratio: float = Field(1.0, ge=0, le=5, description="Rivals pay each partner type its usual margin "
                                                            "(sim.partner_types) times this.")
    win_rate: Rate = Field(0.28, description="Win rate partners expect on a rival's deals (established brands).")
    services_attach: Share = Field(0.3, description="Services attach partners expect on rivals' deals.")
    installed_share: Share = Field(0.05, description="Share of a partner's accounts already using a rival "
                                                     "(established vendors' customer pull).")


# --------------------------------------------------------------------------- partners
class PartnerType(Strict):
    """One partner type: how many exist and how they sell (defaults: sim.partner_types)."""

    count: NonNegInt = Field(description="Partners of this type in the market (the recruitable pool).")
    initial: NonNegInt = Field(0, description="Of those, how many are already partners at the start.")
    commercial_model: Literal["resell", "referral", "marketplace", "distribution"]
    margin: Share = Field(description="Resale discount, referral fee (of first-year value), marketplace fee or "
                                      "distribution margin, by commercial model.")
    sellers: NonNegInt = Field(description="Sellers the partner has for this product category.")
    accounts_per_seller: NonNegInt = Field(description="Customer accounts each seller covers.")
    segment_fit: dict[Literal["smb", "mid_market", "enterprise"], Share]
    deal_size_multiplier: float = Field(gt=0, le=10)
    sales_cycle_extra: int = Field(ge=-4, le=8, description="Quarters added to the segment's sales cycle.")
    win_rate_lift: float = Field(ge=0, le=2, description="Relative win-rate lift when this partner sells.")
    services_attach: Share = Field(description="Probability a deal this partner touches carries services.")
    retention_effect: Share = Field(description="Relative churn reduction for customers this partner serves.")
    reach: Rate = Field(description="Per-quarter adoption hazard a fully engaged partner adds in an account.")
    ramp_quarters: int = Field(ge=0, le=12, description="Quarters of onboarding before the partner can sell.")
    certification_quarters: int = Field(ge=0, le=12, description="Quarters from enabled to certified.")
    enablement_cost: Money = Field(description="Vendor cost to onboard and enable one partner.")
    resellers_recruited_per_quarter: NonNegInt = Field(0, description="Distributors only: resellers the "
                                                                      "distributor approaches per quarter for the "
                                                                      "vendor (its recruiting plan).")
    cascade_cost_share: Share = Field(0.25, description="Distributors only: share of a reseller's enablement "
                                                        "cost the vendor pays when a distributor cascades it.")

    @model_validator(mode="after")
    def _consistent(self) -> "PartnerType":
        if self.initial > self.count:
            raise ValueError(f"initial ({self.initial}) cannot exceed count ({self.count})")
        if self.sellers and self.accounts_per_seller or self.commercial_model == "marketplace":
            _check_shares_sum_to_one(self.segment_fit, "segment_fit")
        return self


class PartnerBehavior(Strict):
    """How partners decide: effort split, recruitment acceptance, lifecycle timing."""

    effort_sensitivity: float = Field(
        20.0, ge=0, le=200, description="Logit scale of the effort split on expected profit per unit of deal "
                                        "value (seed 002: partners maximise their own profitability).")
    demand_weight: float = Field(3.0, ge=0, le=50, description="Weight of installed base in the partner's "
                                                               "accounts in effort and acceptance (seed 002: "
                                                               "customer pull).")
    alignment_weight: float = Field(1.0, ge=0, le=20, description="Weight of alignment in the effort split.")
    acceptance_base: float = Field(-1.0, ge=-20, le=20, description="Logit intercept of recruitment acceptance.")
    acceptance_margin_weight: float = Field(3.0, ge=0, le=100, description="Acceptance logit per unit of "
                                                                           "relative margin above the type's "
                                                                           "usual margin.")
    acceptance_services_weight: float = Field(1.0, ge=0, le=20, description="Acceptance logit per unit "
                                                                            "services attach.")
    acceptance_credibility_weight: float = Field(2.0, ge=0, le=20, description="Acceptance logit per unit "
                                                                               "vendor credibility.")
    dormant_after_quarters: int = Field(2, ge=1, le=20, description="Quarters without an opportunity before an "
                                                                    "active partner is dormant.")
    exit_after_quarters: int = Field(4, ge=1, le=40, description="Quarters dormant before a partner leaves.")
    conflict_alignment_penalty: Share = Field(0.15, description="Alignment a partner loses when it loses a "
                                                                "contested deal.")
    alignment_recovery: Share = Field(0.05, description="Per-quarter recovery of alignment toward 0.5 (plus "
                                                        "the program's non-monetary boost).")
    pay_discount_rate: float = Field(0.03, ge=0, le=1, description="Per-quarter rate at which partners discount "
                                                                   "later pay (assumption: small firms' cost of "
                                                                   "capital; seed 002: partners want "
                                                                   "predictable margins).")
    poor_fit_share: float = Field(0.3, ge=0, le=0.9, description="Share of the prospects a partner could push "
                                                                 "that are poor fits; it screens them out as "
                                                                 "hard as its pay depends on renewals "
                                                                 "(assumption; seed 001 on front-loaded pay).")
    poor_fit_churn: float = Field(2.0, ge=1, le=10, description="Churn of a poor-fit customer relative to the "
                                                                "segment average (assumption).")

    @model_validator(mode="after")
    def _fits(self) -> "PartnerBehavior":
        if self.poor_fit_share * self.poor_fit_churn > 1:
            raise ValueError(f"poor_fit_share x poor_fit_churn must be at most 1 (the segment's churn is the "
                             f"average over good and poor fits), got {self.poor_fit_share} x "
                             f"{self.poor_fit_churn}")
        return self


def _default_partners() -> dict:
    return {t: dict(TYPE_DEFAULTS[t]) for t in PARTNER_TYPES}


class Partners(Strict):
    """Partner types (``partners.<type>``) and shared partner behaviour."""

    behavior: PartnerBehavior = Field(default_factory=PartnerBehavior)
    distributor: PartnerType
    reseller: PartnerType
    var: PartnerType
    regional_si: PartnerType
    gsi: PartnerType
    msp: PartnerType
    marketplace: PartnerType
    influencer: PartnerType

    @model_validator(mode="before")
    @classmethod
    def _fill_type_defaults(cls, data: Any) -> Any:
        """Merge each type's user keys over its defaults from ``sim.partner_types``."""
        if data is None:
            data = {}
        if not isinstance(data, dict):
            return data
        merged = dict(data)
        for ptype in PARTNER_TYPES:
            user = data.get(ptype, {})
            if user is None:
                user = {}
            merged[ptype] = {**TYPE_DEFAULTS[ptype], **user} if isinstance(user, dict) else user
        return merged

    def by_type(self) -> dict[str, PartnerType]:
        """Return the partner types as a dict keyed by type name."""
        return {t: getattr(self, t) for t in PARTNER_TYPES}


# --------------------------------------------------------------------------- program
class Tier(Strict):
    """A partner tier: its entry threshold and its benefits (sources: :mod:`sim.tiers`)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    min_score: Share = Field(0.0, description="Scorecard score needed to qualify (the first tier: 0).")
    requires_certification: bool = Field(False, description="Only certified partners qualify (seed 002: tiers "
                                                            "'based on volume or certification level').")
    margin_bonus: float = Field(0.0, ge=0, le=0.5, description="Added to the partner's margin or fee rate.")
    mdf_bonus: Share = Field(0.0, description="Added to the MDF accrual rate (needs program.incentives.mdf).")
    lead_priority: float = Field(1.0, ge=0, le=20, description="Weight when the vendor shares leads with "
                                                               "covering partners (seed 001: 'priority deal "
                                                               "access').")
    support: float = Field(0.0, ge=0, le=1, description="Relative win-rate lift from vendor pre-sales support "
                                                        "(seed 001: 'access to exclusive support').")


class ScoreWeights(Strict):
    """Weights of the scorecard's three sections (seed 000: 'weight each section')."""

    reach: Share = 0.3
    alignment: Share = 0.3
    performance: Share = 0.4

    @model_validator(mode="after")
    def _sum(self) -> "ScoreWeights":
        _check_shares_sum_to_one(self.model_dump(), "scorecard weights")
        return self


class Scorecard(Strict):
    """Scorecard, reviews and exit policy (sources: :mod:`sim.tiers`; sizes are assumptions)."""

    weights: ScoreWeights = Field(default_factory=ScoreWeights)
    green: Share = Field(0.6, description="Score at or above which a partner is green.")
    red: Share = Field(0.3, description="Score below which a partner is red (amber between).")
    review_every_quarters: int = Field(1, ge=1, le=8, description="Review cadence (seed 003: quarterly).")
    window_quarters: int = Field(4, ge=1, le=12, description="Trailing quarters of revenue, wins and renewals "
                                                             "a review looks at.")
    promote_after_reviews: int = Field(2, ge=1, le=12, description="Consecutive qualifying reviews before a "
                                                                   "promotion (hysteresis k).")
    demote_after_reviews: int = Field(2, ge=1, le=12, description="Consecutive failing reviews before a "
                                                                  "demotion (hysteresis k).")
    exit_after_red_reviews: int | None = Field(None, ge=1, le=40, description="Exit partners red this many "
                                                                              "reviews in a row (null: never).")
    exit_grace_quarters: int = Field(4, ge=0, le=40, description="Quarters of selling before red reviews count "
                                                                 "toward an exit.")

    @model_validator(mode="after")
    def _cutoffs(self) -> "Scorecard":
        if self.red > self.green:
            raise ValueError(f"red cut-off ({self.red}) must not exceed green cut-off ({self.green})")
        return self


class Referral(Strict):
    """Referral fees (seed 002 'Influence & Referral')."""

    fee_scale: float = Field(1.0, ge=0, le=5, description="Multiplies referral partners' fee "
                                                          "(partners.<type>.margin).")
    resell_as_referral: bool = Field(False, description="Pay resell partners a one-time referral fee instead "
                                                        "of a recurring margin.")
    resell_fee: Share = Field(0.10, description="That fee, as a share of first-year value (assumption).")


class RegistrationBonus(Strict):
    """Bonus on registered net-new deals, and the registration's protection window."""

    bonus: Share = Field(0.05, description="Share of first-year value (assumption).")
    protection_quarters: int = Field(2, ge=0, le=12, description="A registration protects the partner's claim "
                                                                 "on deals that close within this many quarters "
                                                                 "(assumption).")


class Milestones(Strict):
    """First-win and certification bonuses (seed 002; seed 001)."""

    first_win: Money = Field(5_000, description="Paid once, on a partner's first won deal (assumption).")
    certification: Money = Field(2_500, description="Paid once, when a partner certifies (assumption).")


class MDF(Strict):
    """Market development funds: accrued on partner revenue, spent on demand generation."""

    accrual: Share = Field(0.03, description="Share of the partner's revenue accrued to its fund (assumption).")
    spend_share: Share = Field(0.5, description="Share of its fund a selling partner spends per quarter.")
    cost_per_opportunity: float = Field(4_000, gt=0, description="Campaign spend per opportunity created in "
                                                                 "the partner's accounts (assumption).")


class RetentionRebate(Strict):
    """Rebate on renewals of partner-acquired customers (seed 002)."""

    rate: Share = Field(0.05, description="Share of the renewed contract value (assumption).")


class DoubleBubble(Strict):
    """Direct reps are also paid on partner deals in their named accounts (seed 002)."""

    commission: Share = Field(0.08, description="Direct rep's commission, share of first-year value "
                                                "(assumption).")


class NonMonetary(Strict):
    """Early product access and roadmap previews (seed 002 mature stage; seed 003)."""

    alignment_boost: Share = Field(0.1, description="Raises the alignment partners settle at (assumption).")


class Incentives(Strict):
    """Composable incentive components (sources: :mod:`sim.incentives`); null turns one off."""

    margin_scale: float = Field(1.0, ge=0, le=5, description="Multiplies every resale, distribution and "
                                                             "marketplace margin.")
    referral: Referral = Field(default_factory=Referral)
    registration_bonus: RegistrationBonus | None = None
    milestones: Milestones | None = None
    mdf: MDF | None = None
    retention_rebate: RetentionRebate | None = None
    double_bubble: DoubleBubble | None = None
    non_monetary: NonMonetary | None = None
    payout_timing: Literal["on_booking", "on_collection", "spread"] = Field(
        "on_collection", description="When first-year pay is paid (seed 001: avoid front-loaded incentives).")
    spread_quarters: int = Field(8, ge=2, le=12, description="Quarters first-year pay is spread over (spread).")


class Program(Strict):
    """The partner program: deal registration, incentives, tiers and scorecard."""

    preset: Literal[tuple(PRESETS)] | None = Field(  # type: ignore[valid-type]
        None, description="Named incentives and tiers to start from (sim.presets.PRESETS); keys set here "
                          "override it; setting it with --set replaces the incentives and tiers.")
    deal_registration: Literal["first_registered", "partner_preferred", "direct_preferred"] = Field(
        "first_registered", description="Who wins a contested opportunity (seed 002 'deal-registration "
                                        "overlaps').")
    co_sell_fee: Share = Field(0.05, description="Fee (share of first-year value) paid to a partner on a deal "
                                                 "it influenced but did not source (seed 002 'co-sell "
                                                 "incentives'; assumption for the size).")
    direct_resistance: Share = Field(0.2, description="Relative win-rate loss on a partner deal taken from a "
                                                     "direct rep's named account (seed 002: direct teams see "
                                                     "partners as a drag and resist; assumption for the size).")
    incentives: Incentives = Field(default_factory=Incentives)
    tiers: list[Tier] = Field(default_factory=lambda: [Tier(name="registered")], min_length=1,
                              description="Tiers from entry to top, by rising min_score (seed 002: a single "
                                          "tier early on, formal tiers after product-market fit).")
    scorecard: Scorecard = Field(default_factory=Scorecard)

    @model_validator(mode="before")
    @classmethod
    def _fill_preset(cls, data: Any) -> Any:
        return apply_preset(data) if isinstance(data, dict) else data

    @model_validator(mode="after")
    def _consistent(self) -> "Program":
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            raise ValueError(f"tier names must be unique, got {names}")
        if self.tiers[0].min_score != 0 or self.tiers[0].requires_certification:
            raise ValueError(f"the first tier ('{names[0]}') is the entry tier: min_score 0, no certification "
                             "requirement")
        scores = [t.min_score for t in self.tiers]
        if any(b <= a for a, b in zip(scores, scores[1:], strict=False)):
            raise ValueError(f"tiers must be listed by strictly rising min_score, got {scores}")
        if self.incentives.mdf is None and any(t.mdf_bonus > 0 for t in self.tiers):
            raise ValueError("a tier has mdf_bonus but program.incentives.mdf is not set")
        return self


# --------------------------------------------------------------------------- scenario
class Scenario(Strict):
    """A complete, validated scenario."""

    name: str = Field(pattern=NAME_PATTERN, description="Short name; used in result paths.")
    description: str = ""
    simulation: Simulation = Field(default_factory=Simulation)
    market: Market = Field(default_factory=Market)
    vendor: Vendor = Field(default_factory=Vendor)
    rivals: Rivals = Field(default_factory=Rivals)
    partners: Partners = Field(default_factory=lambda: Partners.model_validate({}))
    program: Program = Field(default_factory=Program)

    def resolved(self) -> dict:
        """Return the fully resolved scenario (every default filled) as plain data."""
        return self.model_dump(mode="json")


# --------------------------------------------------------------------------- loading
def parse_overrides(pairs: list[str] | None) -> dict[str, Any]:
    """Parse ``key.path=value`` strings; values are read as YAML scalars/lists."""
    overrides: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"--set {pair!r}: expected key.path=value")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            raise ScenarioError(f"--set {pair!r}: cannot read value {raw!r}") from None
        overrides[key.strip()] = value
    return overrides


def apply_overrides(data: dict, overrides: dict[str, Any], source: str = "--set") -> dict:
    """Return a copy of ``data`` with each dotted key path set to its value.

    Setting ``program.preset`` replaces the program's incentives and tiers with the
    preset's (``PRESET_SECTIONS``), so a preset chosen over a resolved scenario takes
    effect; other overrides of the same call then apply on top.

    Unknown paths are not guessed here: they become unknown keys that validation
    rejects with a did-you-mean.
    """
    data = copy.deepcopy(data)
    if "program.preset" in overrides and isinstance(data.get("program"), dict):
        for section in PRESET_SECTIONS:
            data["program"].pop(section, None)
    for path, value in overrides.items():
        node = data
        parts = path.split(".")
        for i, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise ScenarioError(f"{source} {path}: {'.'.join(parts[: i + 1])} is a value, not a section")
            node = child
        node[parts[-1]] = value
    return data


def load_scenario(
    source: str | Path | dict,
    overrides: dict[str, Any] | None = None,
) -> Scenario:
    """Load and validate a scenario from a YAML path or a dict, applying overrides.

    Raises:
        ScenarioError: naming the file, key path, bad value and what is allowed.
    """
    data, label, _ = read_mapping(source, "scenario")
    if overrides:
        data = apply_overrides(data, overrides)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc, label, Scenario, overrides or {})) from None


def scenario_hash(scenario: Scenario) -> str:
    """Return the sha256 of the resolved scenario's canonical JSON."""
    return content_hash(scenario.resolved())


def json_schema() -> dict:
    """Return the JSON Schema of scenario files (for editors' autocompletion)."""
    return Scenario.model_json_schema()
