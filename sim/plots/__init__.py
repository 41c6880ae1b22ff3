"""Figures of ecosim results (matplotlib), drawn from the result tables only.

``import sim`` does not import this package; it is loaded by ``ecosim report``,
the interactive page and notebooks that ask for a picture::

    from sim.plots import revenue_by_source
    revenue_by_source(result.quarterly).savefig("revenue.png")

Every function returns a :class:`matplotlib.figure.Figure`.
"""

from sim.plots.calibration import calibration_fit, calibration_progress, posterior_marginal
from sim.plots.compare import arm_timeseries, flywheel_by_arm, forest_plot
from sim.plots.competition import market_share, partner_overlap, vendor_growth
from sim.plots.network import graph_at_quarter, network_picture
from sim.plots.run import (
    arr_and_customers,
    customer_flows,
    flywheel,
    lorenz_curve,
    partner_funnel,
    revenue_by_source,
    revenue_concentration,
    scorecard_heatmap,
    tiers_and_rag,
)
from sim.plots.sweep import grid_heatmap, response, sensitivity_indices

__all__ = [
    "arm_timeseries",
    "arr_and_customers",
    "calibration_fit",
    "calibration_progress",
    "customer_flows",
    "flywheel",
    "flywheel_by_arm",
    "forest_plot",
    "graph_at_quarter",
    "grid_heatmap",
    "lorenz_curve",
    "market_share",
    "network_picture",
    "partner_funnel",
    "partner_overlap",
    "posterior_marginal",
    "response",
    "revenue_by_source",
    "revenue_concentration",
    "scorecard_heatmap",
    "sensitivity_indices",
    "tiers_and_rag",
    "vendor_growth",
]
