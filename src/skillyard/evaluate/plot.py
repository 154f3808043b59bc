"""PNG charts (matplotlib, Agg, no global pyplot state): per-arm pass rates with Wilson
intervals, paired differences with bootstrap intervals, and tournament scores."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Any) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", bbox_inches="tight", metadata={"Software": None})
    return out.getvalue()


def _errorbars(ax: Any, labels: Sequence[str], values: Sequence[float],
               los: Sequence[float], his: Sequence[float], color: str) -> None:
    ys = list(range(len(labels)))
    vals = [0.0 if math.isnan(v) else v for v in values]
    low = [max(v - lo, 0.0) if not math.isnan(lo) else 0.0 for v, lo in zip(vals, los,
                                                                             strict=True)]
    high = [max(hi - v, 0.0) if not math.isnan(hi) else 0.0 for v, hi in zip(vals, his,
                                                                              strict=True)]
    ax.barh(ys, vals, color=color, alpha=0.75, height=0.6)
    ax.errorbar(vals, ys, xerr=[low, high], fmt="none", ecolor="black", capsize=4, lw=1.2)
    ax.set_yticks(ys)
    ax.set_yticklabels(labels)
    ax.invert_yaxis()


def experiment_png(arms: Sequence[Any], comparisons: Sequence[Any], title: str = "") -> bytes:
    """Left: task pass rate per arm (Wilson interval). Right: difference vs baseline."""
    panels = 2 if comparisons else 1
    rows = max(len(arms), len(comparisons), 1)
    fig = _figure(5.0 * panels, max(2.4, 1.2 + 0.45 * rows))
    ax = fig.add_subplot(1, panels, 1)
    _errorbars(ax, [a.arm for a in arms], [a.rate for a in arms], [a.rate_lo for a in arms],
               [a.rate_hi for a in arms], "#4C78A8")
    ax.set_xlim(0, 1)
    ax.set_xlabel("tasks passed (share, 95% Wilson interval)")
    ax.set_title("pass rate per arm")
    if comparisons:
        ax2 = fig.add_subplot(1, panels, 2)
        labels = [(f"{c.label}: " if c.label else "") + f"{c.arm} − {c.baseline}"
                  for c in comparisons]
        colors = {"helps": "#54A24B", "hurts": "#E45756"}
        _errorbars(ax2, labels, [c.diff for c in comparisons], [c.diff_lo for c in comparisons],
                   [c.diff_hi for c in comparisons], "#9D9D9D")
        for patch, c in zip(ax2.patches, comparisons, strict=False):
            patch.set_color(colors.get(c.verdict, "#9D9D9D"))
        ax2.axvline(0.0, color="black", lw=0.8)
        ax2.set_xlim(-1, 1)
        ax2.set_xlabel("pass-rate difference (paired bootstrap by task)")
        ax2.set_title("effect vs baseline")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return _png(fig)


def tournament_png(standings: Sequence[Any], title: str = "") -> bytes:
    fig = _figure(6.0, 1.2 + 0.45 * max(len(standings), 1))
    ax = fig.add_subplot(1, 1, 1)
    ys = list(range(len(standings)))
    scores = [s.score for s in standings]
    low = [max(s.score - s.lo, 0.0) for s in standings]
    high = [max(s.hi - s.score, 0.0) for s in standings]
    ax.errorbar(scores, ys, xerr=[low, high], fmt="o", color="#4C78A8", capsize=4)
    ax.set_yticks(ys)
    ax.set_yticklabels([f"{s.rank}. {s.player}" for s in standings])
    ax.invert_yaxis()
    ax.axvline(0.0, color="black", lw=0.8)
    ax.set_xlabel("Bradley-Terry score (log strength, 95% bootstrap interval)")
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return _png(fig)
