"""The board's charts as plain geometry for server-rendered SVG (templates/county/_charts.html): no script, no
inline style, so the site's Content-Security-Policy stays as it is."""

from dataclasses import dataclass

BAR_HEIGHT = 22  # px per bar, label above it
LABEL_HEIGHT = 16
CHART_WIDTH = 320  # the SVG's viewBox width; it scales to the screen
TREND_HEIGHT = 160
TREND_PAD = 28


@dataclass(frozen=True)
class Bar:
    label: str
    share: float | None  # 0..1, None: no figure
    y: int
    width: float

    @property
    def percent(self) -> str:
        return "—" if self.share is None else f"{round(self.share * 100)}%"


def bars(items: list[tuple[str, float | None]]) -> tuple[list[Bar], int]:
    """One horizontal bar per (label, share 0..1); the SVG's height."""
    found = []
    for index, (label, share) in enumerate(items):
        y = index * (BAR_HEIGHT + LABEL_HEIGHT)
        width = 0.0 if share is None else round(max(0.0, min(1.0, share)) * (CHART_WIDTH - 50), 1)
        found.append(Bar(label, share, y, width))
    return found, max(1, len(items) * (BAR_HEIGHT + LABEL_HEIGHT))


@dataclass(frozen=True)
class Line:
    name: str
    points: str  # "x,y x,y …" for <polyline points>
    dots: list[tuple[float, float, str]]  # x, y, the value as text


def trend_lines(labels: list[str], series: list[tuple[str, list[float | None]]]) -> tuple[list[Line], list]:
    """Lines of shares (0..1) across terms; the x positions with their term labels."""
    count = max(1, len(labels))
    step = (CHART_WIDTH - 2 * TREND_PAD) / max(1, count - 1)
    xs = [TREND_PAD + (step * i if count > 1 else (CHART_WIDTH - 2 * TREND_PAD) / 2) for i in range(count)]
    lines = []
    for name, values in series:
        dots = [(round(x, 1), round(TREND_PAD / 2 + (1 - v) * (TREND_HEIGHT - 2 * TREND_PAD), 1),
                 f"{round(v * 100)}%") for x, v in zip(xs, values, strict=True) if v is not None]
        lines.append(Line(name, " ".join(f"{x},{y}" for x, y, _ in dots), dots))
    return lines, [(round(x, 1), label) for x, label in zip(xs, labels, strict=True)]
