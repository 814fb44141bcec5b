"""``OUT/report.md``: the run in a few lines, for a pull-request description."""

from __future__ import annotations

from .data import ReportData


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(data: ReportData, top: int = 10) -> str:
    s = data.summary
    docs = s.get("documents", {})
    size = s.get("bytes", {})
    kinds = dict(data.by_kind())
    lines = [
        "## dedup: cleaning report",
        "",
        f"- **Documents**: {docs.get('read', 0)} read, {docs.get('changed', 0)} changed, "
        f"{docs.get('dropped', 0)} dropped as duplicates, {docs.get('skipped', 0)} skipped",
        f"- **Bytes**: {size.get('in', 0):,} in, {size.get('out', 0):,} out "
        f"({(1 - size.get('out', 0) / size['in']) * 100 if size.get('in') else 0:.1f} % removed)",
        f"- **Changes**: {len(data.changes)} — " + ", ".join(f"{kinds[k]} {k}" for k in sorted(kinds)),
        f"- **Suspects kept** (rules half-matched, line kept): {s.get('suspects', {}).get('count', 0)}",
        "",
    ]
    rules = data.by_rule()[:top]
    if rules:
        lines += ["| rule | changes |", "|---|---:|", *(f"| `{_cell(r)}` | {n} |" for r, n in rules), ""]
    clusters = data.clusters()[:5]
    if clusters:
        lines += ["Biggest near-duplicate clusters:", ""]
        for members in clusters:
            shown = ", ".join(f"`{_cell(m)}`" for m in members[:4])
            more = f" and {len(members) - 4} more" if len(members) > 4 else ""
            lines.append(f"- {len(members)} passages: {shown}{more}")
        lines.append("")
    lines.append("Full review: open `report.html`; terminal: `dedup diff OUT`.")
    return "\n".join(lines) + "\n"
