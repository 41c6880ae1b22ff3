"""How much common random numbers shrink the variance of paired differences.

For a few mechanisms the paired difference per replication (treatment minus reference)
is computed twice: with both arms on the same seed, as ``sim.compare`` runs them, and
with the treatment arm on another seed, as two independent runs would be. The ratio of
the two variances is how many more replications independent runs would need for the
same interval (Law & Kelton, *Simulation Modeling and Analysis*, on common random
numbers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from core import HOLDS, WEAK, Section, Settings, Verdict, new_figure, number, progress, save_figure, table
from mechanisms import SEED, mechanisms, run_mechanism

import sim

TITLE = "Common random numbers"
CHECKED = ("margin", "registration_bonus", "payout_timing", "word_of_mouth")
OTHER_SEED = SEED + 1


def _arm_values(comparison: sim.Comparison, arm: str) -> pd.DataFrame:
    """One arm's values: a row per replication, a column per metric."""
    values = comparison.values
    return values[values["arm"] == arm].pivot(index="replication", columns="metric", values="value")


def variance_ratios(shared: sim.Comparison, other: sim.Comparison, reference: str, treatment: str) -> pd.DataFrame:
    """Per metric: variance of paired differences with shared seeds, with independent seeds, and their ratio.

    Args:
        shared: the experiment with both arms on the same seed.
        other: the same experiment on another seed (its treatment arm is paired with
            ``shared``'s reference arm).
        reference: the reference arm's name.
        treatment: the treatment arm's name.
    """
    base = _arm_values(shared, reference)
    same = _arm_values(shared, treatment) - base
    independent = _arm_values(other, treatment) - base
    frame = pd.DataFrame({"shared": same.var(ddof=1), "independent": independent.var(ddof=1)})
    return frame.assign(ratio=frame["independent"] / frame["shared"].where(frame["shared"] > 0))


def common_random_numbers_section(settings: Settings, results: dict[str, sim.Comparison]) -> Section:
    """The variance-reduction section: reuses the mechanisms' shared-seed runs, reruns on another seed."""
    section = Section(TITLE)
    rows, ratios = [], {}
    for mechanism in mechanisms():
        if mechanism.key not in CHECKED:
            continue
        table_ = variance_ratios(results[mechanism.key], run_mechanism(mechanism, settings, OTHER_SEED),
                                 mechanism.reference["name"], mechanism.treatment["name"])
        progress(f"common random numbers: {mechanism.key}")
        for metric, r in table_.iterrows():
            ratios[f"{mechanism.key}: {metric}"] = r["ratio"]
            rows.append([mechanism.key, f"`{metric}`", f"{r['shared']:.3g}", f"{r['independent']:.3g}",
                         "∞ (no variance when paired)" if not np.isfinite(r["ratio"]) else number(r["ratio"], 1)])
    section.add(
        f"Variance of the per-replication difference (treatment minus reference, {settings.replications} "
        f"replications) when both arms share seed {SEED}, and when the treatment runs on seed {OTHER_SEED} instead. "
        "The ratio is the factor of replications that independent runs would need for the same interval.",
        table(["mechanism", "metric", "variance, shared seeds", "variance, independent seeds", "ratio"], rows))
    finite = {k: v for k, v in ratios.items() if np.isfinite(v)}
    fig, axes = new_figure(6.0, 0.3 * len(ratios) + 0.8)
    axes[0].barh(list(finite), list(finite.values()), color="C2")
    axes[0].set(xscale="log", xlabel="variance ratio, independent / shared seeds")
    axes[0].axvline(1, color="black", linewidth=0.8)
    axes[0].tick_params(axis="y", labelsize=7)
    section.add(save_figure(fig, settings, "common_random_numbers", "How many times smaller the variance of paired "
                                                                    "differences is on common random numbers."))
    spread = np.array(list(finite.values()))
    exact = len(ratios) - len(finite)
    section.judge(Verdict("common random numbers reduce the variance of paired differences",
                          HOLDS if (spread > 1).all() else WEAK,
                          f"variance {number(spread.min(), 1)}-{number(spread.max(), 1)}× smaller over "
                          f"{len(finite)} metrics" + (f"; {exact} more with no variance at all when paired" if exact
                                                      else "") + "."))
    return section
