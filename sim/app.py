"""The interactive page: ``ecosim app [SCENARIO]`` (Mesa's SolaraViz).

The page builds an :class:`AppModel` from a scenario file and the knobs in its side
bar (partner counts and margins by type, the incentive preset, the deal-registration
rule, adoption p and q, market size, seed),
steps it quarter by quarter with SolaraViz's Step / play controls, and redraws the
ecosystem network, revenue by source and the partner funnel from the live model's
recorded tables with the same figures as ``ecosim report``.

The model does not import this module: the page reads the model's public
attributes (``config``, ``recorder``). The page works offline: solara serves its
front end from the ``solara-assets`` package (``pip install 'ecosim[app]'``).

Run it with ``ecosim app scenarios/baseline.yaml`` or ``solara run sim/app.py``
(the scenario is then taken from ``$ECOSIM_APP_SCENARIO``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import get_args

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from sim.formatting import money
from sim.model import EcosystemModel
from sim.partner_types import PARTNER_TYPES
from sim.plots import network_picture, partner_funnel, revenue_by_source
from sim.plots.style import new_figure, no_data
from sim.scenario import Program, Scenario, load_scenario

__all__ = ["AppModel", "knobs", "incentive_presets", "Page", "SCENARIO_ENV"]

SCENARIO_ENV = "ECOSIM_APP_SCENARIO"
DEFAULT_SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
PRESET_KEY = "program.preset"
NO_PRESET = "none"
LABELS = {"distributor": "distributors", "reseller": "resellers", "var": "VARs", "regional_si": "regional SIs",
          "gsi": "GSIs", "msp": "MSPs", "marketplace": "marketplaces", "influencer": "influencers"}


class AppModel(EcosystemModel):
    """The ecosystem model built from a scenario file plus the page's knobs.

    Args:
        scenario_file: the scenario YAML the knobs start from.
        rng: seed or generator (default: the scenario's ``simulation.seed``).
        **knobs: scenario key paths and values (``partners.var.count=40``), applied as
            ``--set`` overrides are.

    The model stops (``running`` is False) at the scenario's horizon, where its
    recorded tables end.
    """

    def __init__(self, scenario_file: str | Path = DEFAULT_SCENARIO, rng=None, **knobs):
        if knobs.get(PRESET_KEY) == NO_PRESET:
            del knobs[PRESET_KEY]  # keep the scenario file's own program
        scenario = load_scenario(scenario_file, knobs)
        super().__init__(scenario, rng=scenario.simulation.seed if rng is None else rng)

    def step(self) -> None:
        """Advance one quarter; stop at the scenario's last quarter."""
        super().step()
        self.running = self.steps < self.config.simulation.quarters


def incentive_presets() -> list[str]:
    """The incentive presets a scenario's ``program.preset`` accepts, after ``none``."""
    return [NO_PRESET] + [str(name) for arg in get_args(Program.model_fields["preset"].annotation)
                          for name in get_args(arg)]


def _slider(label: str, value, low, high, step) -> dict:
    kind = "SliderInt" if isinstance(value, int) else "SliderFloat"
    return {"type": kind, "label": label, "value": value, "min": low, "max": high, "step": step}


def knobs(scenario: Scenario) -> dict[str, dict]:
    """The page's controls for a scenario, keyed by scenario key path, starting at its values."""
    market = scenario.market
    controls = {
        "market.customers": _slider("potential customers", market.customers, 1_000,
                                    max(50_000, market.customers), 1_000),
        "market.adoption.innovation": _slider("adoption p (innovation)", market.adoption.innovation, 0.0,
                                              0.05, 0.0005),
        "market.adoption.imitation": _slider("adoption q (imitation)", market.adoption.imitation, 0.0, 0.6, 0.005),
    }
    controls[PRESET_KEY] = {"type": "Select", "label": "incentive preset", "values": incentive_presets(),
                            "value": scenario.program.preset or NO_PRESET}
    rules = list(get_args(Program.model_fields["deal_registration"].annotation))
    controls["program.deal_registration"] = {"type": "Select", "label": "deal registration", "values": rules,
                                             "value": scenario.program.deal_registration}
    types = scenario.partners.by_type()
    for ptype in PARTNER_TYPES:
        spec = types[ptype]
        controls[f"partners.{ptype}.count"] = _slider(f"{LABELS[ptype]} (count)", spec.count, 0,
                                                      max(50, 2 * spec.count), 1)
    for ptype in PARTNER_TYPES:
        controls[f"partners.{ptype}.margin"] = _slider(f"{LABELS[ptype]}: {types[ptype].commercial_model} margin",
                                                       float(types[ptype].margin), 0.0, 0.6, 0.01)
    controls["simulation.seed"] = _slider("seed", scenario.simulation.seed, 0, 10_000, 1)
    return controls


def _figure_card(figure) -> None:
    solara.FigureMatplotlib(figure, format="png", dpi=80)


def NetworkView(model: AppModel):
    """The ecosystem network at the model's current quarter."""
    update_counter.get()
    _figure_card(network_picture(model.recorder.partner_frame()) if model.steps else _not_started())


def RevenueView(model: AppModel):
    """Revenue by source over the quarters run so far."""
    update_counter.get()
    _figure_card(revenue_by_source(model.recorder.quarterly_frame()) if model.steps else _not_started())


def FunnelView(model: AppModel):
    """The partner funnel over the quarters run so far."""
    update_counter.get()
    _figure_card(partner_funnel(model.recorder.quarterly_frame()) if model.steps else _not_started())


def StatusView(model: AppModel):
    """The current quarter's headline numbers (plain text: Markdown would fetch KaTeX from a CDN)."""
    update_counter.get()
    rows = model.recorder.rows
    horizon = model.config.simulation.quarters
    if not rows:
        solara.Text(f"{model.config.name}: quarter 0 of {horizon}. Press Step or ▶ to simulate.")
        return
    last = rows[-1]
    with solara.Column():
        solara.Text(f"{model.config.name}: Q{last['quarter']} of {horizon}")
        solara.Text(f"revenue {money(last['revenue'])} in the quarter (partner-sourced "
                    f"{money(last['revenue_partner_sourced'])}), ARR {money(last['arr'])}")
        solara.Text(f"{last['customers']:,} customers; {last['partners_active']} active partners of "
                    f"{last['partners_partnered']} in the program")


def _not_started():
    fig, (ax,) = new_figure(width=6, height=3)
    no_data(ax, "No quarter simulated yet: press Step or ▶.")
    return fig


def scenario_file() -> Path:
    """The scenario the page starts from: ``$ECOSIM_APP_SCENARIO`` or ``scenarios/baseline.yaml``."""
    return Path(os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO)


@solara.component
def Page():
    """The page: one model per browser session, SolaraViz controls, four live views."""
    path = scenario_file()
    model = solara.use_memo(lambda: AppModel(path), [])
    params = {"scenario_file": str(path), **knobs(model.config)}
    SolaraViz(model, components=[StatusView, NetworkView, RevenueView, FunnelView], model_params=params,
              name=f"ecosim: {model.config.name}", play_interval=300)
