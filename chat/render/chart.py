"""The monthly bill chart: money in and out over the last months (bars) and the month's
spending by kind (a ring), as PNG bytes.

matplotlib through its object API only (``Figure`` on an Agg canvas, no pyplot and its global
figure state, so concurrent renders in threads do not meet), with the CJK font of
``fonts.cjk_font_path`` given to every text, so Chinese renders."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg", force=False)  # never a GUI backend, even if something imports pyplot

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402

from chat.i18n import t  # noqa: E402
from chat.render.fonts import cjk_font_path  # noqa: E402
from chat.render.labels import group_name, lang_code  # noqa: E402

IN_COLOR, OUT_COLOR = "#07c160", "#fa5151"  # WeChat's green and red
RING_COLORS = ("#fa5151", "#ff9f43", "#feca57", "#1dd1a1", "#54a0ff", "#5f27cd", "#c8d6e5", "#576574", "#222f3e")
WIDTH_IN, HEIGHT_IN, DPI = 10, 4.8, 110


def _font(size: float) -> FontProperties:
    return FontProperties(fname=str(cjk_font_path()), size=size)


def _yuan(fen: int) -> float:
    return fen / 100  # display only: the figures in the caption are exact


def monthly_chart(data: dict, lang: str | None) -> bytes:
    """``data`` is ``statements.chart_data``: ``series`` [{month, in, out}], ``spending``
    {group: fen} and ``month``. Returns PNG bytes."""
    lang = lang_code(lang)
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(fig)
    bars, ring = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})

    series = data["series"]
    xs = list(range(len(series)))
    width = 0.38
    bars.bar([x - width / 2 for x in xs], [_yuan(s["in"]) for s in series], width, color=IN_COLOR,
             label=t(lang, "chart.in"))
    bars.bar([x + width / 2 for x in xs], [_yuan(s["out"]) for s in series], width, color=OUT_COLOR,
             label=t(lang, "chart.out"))
    bars.set_xticks(xs, [s["month"][2:].replace("-", "/") for s in series])
    for label in bars.get_xticklabels() + bars.get_yticklabels():
        label.set_fontproperties(_font(9))
    bars.set_ylabel("¥", fontproperties=_font(10), rotation=0, labelpad=10)
    bars.set_title(t(lang, "chart.title_months", n=len(series)), fontproperties=_font(13))
    bars.legend(prop=_font(9), frameon=False)
    bars.spines[["top", "right"]].set_visible(False)
    bars.grid(axis="y", alpha=0.3)

    spending = {g: v for g, v in data["spending"].items() if v > 0}
    ring.set_title(t(lang, "chart.title_kinds", month=data["month"]), fontproperties=_font(13))
    if spending:
        total = sum(spending.values())
        labels = [f"{group_name(lang, g)} {v * 100 / total:.0f}%" for g, v in spending.items()]
        wedges, _ = ring.pie([_yuan(v) for v in spending.values()], colors=RING_COLORS[:len(spending)],
                             startangle=90, counterclock=False, wedgeprops={"width": 0.42})
        ring.legend(wedges, labels, prop=_font(9), loc="center left", bbox_to_anchor=(0.92, 0.5), frameon=False)
        ring.set_aspect("equal")
    else:
        ring.text(0.5, 0.5, t(lang, "chart.no_spending"), ha="center", va="center", fontproperties=_font(12),
                  transform=ring.transAxes)
        ring.set_axis_off()

    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def caption(data: dict, lang: str | None) -> str:
    """The figures of the chart's month, exact, for the photo's caption."""
    from wallet.money import format_amount

    return t(lang_code(lang), "chart.caption", month=data["month"], total_in=format_amount(data["total_in"]),
             total_out=format_amount(data["total_out"]), net=format_amount(data["net"]))
