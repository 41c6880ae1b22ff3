"""What a calibration found: the weighted posterior, its summary and correlations, and the generations.

Every statistic is weighted by the particles' importance weights (pyabc's, summing
to 1): medians and 90% intervals are pyabc's weighted quantiles, correlations are
weighted Pearson correlations. The prior's own 90% interval is beside each posterior
interval, so how much the history taught shows as ``narrowing``: the posterior
interval's width over the prior's (below 1: the data narrowed it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyabc
from pyabc.weighted_statistics import effective_sample_size, weighted_quantile

from sim.experiments.calibration_abc import prior_quantiles, scenario_values
from sim.experiments.calibration_spec import Prior

__all__ = ["LEVELS", "posterior_frame", "summarise", "correlations", "generations_frame", "draw_particles"]

LEVELS = (0.05, 0.5, 0.95)  # the 90% interval and the median


def posterior_frame(history: pyabc.History, parameters: dict[str, Prior]) -> pd.DataFrame:
    """The last generation's particles: ``particle``, a column per key path, ``weight``, ``distance``."""
    population = history.get_population(t=history.max_t)
    rows = [{"particle": i, **scenario_values(parameters, p.parameter), "weight": p.weight, "distance": p.distance}
            for i, p in enumerate(population.particles)]
    frame = pd.DataFrame(rows)
    frame["weight"] /= frame["weight"].sum()
    return frame


def summarise(posterior: pd.DataFrame, parameters: dict[str, Prior]) -> pd.DataFrame:
    """Per parameter: its prior and the prior's 90% interval; the posterior median, 90% interval, mean and sd."""
    w = posterior["weight"].to_numpy()
    rows = []
    for key, prior in parameters.items():
        x = posterior[key].to_numpy(dtype=float)
        low, median, high = (float(weighted_quantile(x, w, alpha=q)) for q in LEVELS)
        prior_low, prior_high = prior_quantiles(prior, (LEVELS[0], LEVELS[-1]))
        mean = float(np.sum(w * x))
        prior_width = prior_high - prior_low
        rows.append({"parameter": key, "prior": prior.describe(), "prior_q05": prior_low, "prior_q95": prior_high,
                     "median": median, "q05": low, "q95": high, "mean": mean,
                     "sd": float(np.sqrt(np.sum(w * (x - mean) ** 2))),
                     "narrowing": (high - low) / prior_width if prior_width > 0 else np.nan})
    return pd.DataFrame(rows)


def correlations(posterior: pd.DataFrame, parameters: dict[str, Prior]) -> pd.DataFrame:
    """Weighted Pearson correlations between the parameters (a square table, NaN for a constant parameter)."""
    keys = list(parameters)
    x = posterior[keys].to_numpy(dtype=float)
    w = posterior["weight"].to_numpy()
    centred = x - w @ x
    cov = (centred * w[:, None]).T @ centred
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    return pd.DataFrame(corr, index=pd.Index(keys, name="parameter"), columns=keys)


def generations_frame(history: pyabc.History) -> pd.DataFrame:
    """Per generation: epsilon, accepted particles, evaluations, acceptance rate, effective sample size, seconds."""
    table = history.get_all_populations()
    table = table[table["t"] >= 0].sort_values("t")
    ess = [effective_sample_size(history.get_distribution(m=0, t=int(t))[1]) for t in table["t"]]
    return pd.DataFrame({"generation": table["t"].astype(int).to_numpy(), "epsilon": table["epsilon"].to_numpy(),
                         "accepted": table["particles"].astype(int).to_numpy(),
                         "evaluations": table["samples"].astype(int).to_numpy(),
                         "acceptance_rate": (table["particles"] / table["samples"]).to_numpy(),
                         "effective_sample_size": np.round(ess, 1), "seconds": table["wall_time"].round(3).to_numpy()})


def draw_particles(posterior: pd.DataFrame, draws: int, seed: int) -> np.ndarray:
    """Particles drawn by weight (with replacement) for the fit plot, from ``SeedSequence(seed, spawn_key=(1,))``."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    return rng.choice(len(posterior), size=draws, p=posterior["weight"].to_numpy())
