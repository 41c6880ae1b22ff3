"""The text ``ecosim sweep`` prints: what ran, how fast, what failed, what matters.

Sobol' and Morris sweeps print their indices per metric, most influential parameter
first; other designs print each point's mean and 95% interval per metric.
"""

from __future__ import annotations

from functools import partial

import pandas as pd

from sim.formatting import compact, format_metric

__all__ = ["format_report"]

MAX_POINTS = 40


def _header(m: dict) -> list[str]:
    d = m["design"]
    points = f"{len(m['cases'])} cases x {d['design_points']} = {m['points']}" if m["cases"] else m["points"]
    size = f"{points} points x {m['replications']} replications = {m['runs']} runs"
    lines = [f"{m['name']}: {d['method']} design over {len(m['parameters'])} parameter(s), {size}"]
    for s in m["sessions"]:
        rate = f", {s['runs_per_minute']:,.0f} runs/min" if s.get("runs_per_minute") else ""
        workers = s.get("workers", 0)
        lines.append(f"  {s['status']}: {s['runs_done']} runs in {s['wall_seconds']:.1f} s on {s['executor']} "
                     f"({workers} worker{'s' * (workers != 1)}, {s.get('batch_size')} runs per task){rate}")
    if m["runs_failed"]:
        lines.append(f"  {m['runs_failed']} of {m['runs']} runs failed:")
        lines += [f"    {f['runs']} x {f['error']}" for f in m["failures"][:5]]
    return lines


def _sensitivity(indices: pd.DataFrame, method: str, horizon: int) -> list[str]:
    lines = []
    by = ["case", "metric"] if "case" in indices else ["metric"]
    for key, group in indices.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        title = " / ".join(str(k) for k in key)
        if group["note"].iloc[0]:
            lines.append(f"\n{title}: {group['note'].iloc[0]}")
            continue
        censored = f"; never reached counts as Q{horizon + 1}" if key[-1] == "flywheel_quarter" else ""
        if method == "sobol":
            lines.append(f"\n{title}: Sobol' indices (S1 first order, ST total; +- 95% interval{censored})")
            main = group[group["S1"].notna()].sort_values("ST", ascending=False)
            lines += [f"  {r.parameter:<44} S1 {r.S1:6.3f} +- {r.S1_conf:5.3f}   ST {r.ST:6.3f} +- {r.ST_conf:5.3f}"
                      for r in main.itertuples()]
            if "S2" in group:
                pairs = group[group["S2"].notna()].sort_values("S2", ascending=False).head(5)
                lines += [f"  {r.parameter:<44} S2 {r.S2:6.3f} +- {r.S2_conf:5.3f}" for r in pairs.itertuples()]
        else:
            lines.append(f"\n{title}: Morris elementary effects over each parameter's range{censored}")
            value = partial(format_metric, key[-1])
            lines += [f"  {r.parameter:<44} mu* {value(r.mu_star):>8} +- {value(r.mu_star_conf):<8} "
                      f"mu {value(r.mu):>8}   sigma {value(r.sigma):>8}"
                      for r in group.sort_values("mu_star", ascending=False).itertuples()]
    return lines


def _points(points: pd.DataFrame) -> list[str]:
    keys = [c for c in points.columns if c not in ("point_id", "metric", "mean", "ci_low", "ci_high", "n",
                                                    "failed")]
    widths = [max(len(k), 8, *(len(_cell(v)) for v in points[k])) for k in keys]
    lines = []
    for metric, group in points.groupby("metric", sort=False):
        lines.append(f"\n{metric}: mean and 95% interval per point (n = replications with a value)")
        header = "  ".join(f"{k:>{w}}" for k, w in zip(keys, widths, strict=True))
        lines.append(f"  {header}  {'mean':>8}  interval")
        for r in group.head(MAX_POINTS).to_dict("records"):
            ident = "  ".join(f"{_cell(r[k]):>{w}}" for k, w in zip(keys, widths, strict=True))
            mean, low, high = (format_metric(metric, r[k]) for k in ("mean", "ci_low", "ci_high"))
            lines.append(f"  {ident}  {mean:>8}  [{low}, {high}]  "
                         f"n={r['n']}" + (f", {r['failed']} failed" if r["failed"] else ""))
        if len(group) > MAX_POINTS:
            lines.append(f"  ... {len(group) - MAX_POINTS} more points in points.csv")
    return lines


def _cell(value) -> str:
    return compact(value) if isinstance(value, float) else str(value)


def format_report(manifest: dict, points: pd.DataFrame, indices: pd.DataFrame | None) -> str:
    """The report of a finished sweep."""
    lines = _header(manifest)
    if indices is not None:
        lines += _sensitivity(indices, manifest["design"]["method"], manifest["quarters"])
    else:
        lines += _points(points)
    return "\n".join(lines)
