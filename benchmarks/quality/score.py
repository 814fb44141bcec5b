"""Score the cleaner on a generated corpus against its labels.

    python benchmarks/quality/score.py CORPUS [--json FILE] [--examples N]

Runs ``dedup.clean([CORPUS], Config())`` (the defaults) and compares every change with
``CORPUS/labels.jsonl``, line by line:

* **Boilerplate**, over the documents that were not dropped whole: a line is removed as boilerplate
  when a change of kind ``boilerplate`` overlaps it. Precision = labelled boilerplate among the
  removed lines; recall = removed among the labelled boilerplate lines, overall and per family.
  Documents dropped as ``document-duplicate`` made no line-level decision and are left out (counted).
* **Duplicates**: a planted copy (label ``duplicate``) is found when, among the copies of its
  passage that survive, it is not the odd one out: it was removed as ``duplicate`` or with its whole
  document (``document-duplicate``) while a copy of the passage is kept, or it is the copy that was
  kept while the original was removed as a duplicate. For a pair this is "removed in exactly one of
  the two copies". Recall is reported per nominal edit rate; precision counts lines removed as
  duplicates that are copies of a passage with a surviving copy (boilerplate removed as a
  duplicate is reported apart: it is repeated site furniture, not content).
* **Unique content lost**: content lines with no planted copy anywhere that any change removed.
  It must be 0.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dedup import Config, clean

# The rule categories of dedup's catalogue that correspond to each labelled family.
FAMILY_CATEGORIES = {
    "navigation": {"navigation", "stray"}, "cookie": {"legal"}, "copyright": {"legal"}, "byline": {"byline"},
    "share": {"share"}, "photo-credit": {"credits"}, "toc": {"toc"}, "ad": {"ads"}, "related": {"related"},
    "tags": {"tags"}, "newsletter": {"newsletter"}, "comments": {"comments"}, "repeated-title": {"title"},
}


def rule_categories() -> dict[str, str]:
    from dedup.rules import CATALOGUE

    return {r.name: r.category for r in CATALOGUE}


@dataclass
class Member:
    doc: str
    line: int
    label: dict[str, Any]
    text: str


@dataclass
class Outcome:
    """What the cleaner did to each line of one document."""

    doc: str
    lines: list[str]
    dropped: bool = False
    boilerplate: dict[int, str] = field(default_factory=dict)  # line -> rule
    duplicate: dict[int, str] = field(default_factory=dict)  # line -> doc holding the kept copy

    def removed_dup(self, line: int) -> bool:
        return self.dropped or line in self.duplicate

    def removed(self, line: int) -> bool:
        return self.dropped or line in self.duplicate or line in self.boilerplate


def outcomes(root: Path, config: Config | None = None) -> dict[str, Outcome]:
    result = clean([root], config or Config())
    out: dict[str, Outcome] = {}
    for dr in result.documents:
        text = dr.document.text
        starts = [0] + [m.end() for m in re.finditer("\n", text)]
        lines = text.split("\n")
        o = Outcome(dr.document.doc, lines)

        def line_of(offset: int, starts: list[int] = starts) -> int:
            lo, hi = 0, len(starts) - 1
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if starts[mid] <= offset:
                    lo = mid
                else:
                    hi = mid - 1
            return lo + 1

        for c in dr.changes:
            if c.kind == "document-duplicate":
                o.dropped = True
                continue
            if c.kind == "repair" or c.end <= c.start:
                continue
            for n in range(line_of(c.start), line_of(c.end - 1) + 1):
                if c.kind == "boilerplate":
                    o.boilerplate[n] = c.rule
                else:
                    o.duplicate[n] = c.duplicate_of or ""
        out[o.doc] = o
    return out


def ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def squash(text: str, limit: int = 110) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit - 1] + "…"


def score(root: Path, config: Config | None = None, examples: int = 5) -> dict[str, Any]:
    records = [json.loads(line) for line in (root / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
    started = time.perf_counter()
    got = outcomes(root, config)
    seconds = time.perf_counter() - started
    categories = rule_categories()
    missing = sorted({r["doc"] for r in records} - set(got))
    if missing:
        raise SystemExit(f"{root}: the cleaner read no document {missing[0]} (and {len(missing) - 1} more)")

    # ---- boilerplate -------------------------------------------------------------------------------
    bp = Counter()
    fam_total, fam_hit, fam_any = Counter(), Counter(), Counter()
    rule_removed, rule_fp = Counter(), Counter()
    miss_by_variant: dict[str, list[str]] = defaultdict(list)
    fp_by_rule: dict[str, list[str]] = defaultdict(list)
    dropped_docs = 0
    for r in records:
        o = got[r["doc"]]
        if o.dropped:
            dropped_docs += 1
            continue
        for lab in r["lines"]:
            n, kind = lab["line"], lab["label"]
            if kind == "blank":
                continue
            text = o.lines[n - 1]
            rule = o.boilerplate.get(n)
            if rule:
                rule_removed[rule] += 1
            if kind == "boilerplate":
                fam = lab["family"]
                fam_total[fam] += 1
                if rule:
                    bp["tp"] += 1
                    fam_hit[fam] += 1
                else:
                    bp["fn"] += 1
                    if not o.removed(n):  # examples: lines left in the output
                        miss_by_variant[lab["variant"]].append(text)
                if o.removed(n):
                    fam_any[fam] += 1
            elif rule:
                bp["fp"] += 1
                rule_fp[rule] += 1
                fp_by_rule[rule].append(f"{r['doc']}:{n} [{kind}] {text}")
    families = {}
    for fam in sorted(fam_total, key=lambda f: -fam_total[f]):
        cats = FAMILY_CATEGORIES.get(fam, set())
        removed = sum(v for k, v in rule_removed.items() if categories.get(k) in cats)
        wrong = sum(v for k, v in rule_fp.items() if categories.get(k) in cats)
        families[fam] = {"lines": fam_total[fam], "removed": fam_hit[fam],
                         "recall": ratio(fam_hit[fam], fam_total[fam]),
                         "recall_any_kind": ratio(fam_any[fam], fam_total[fam]),
                         "precision_of_rules": ratio(removed - wrong, removed), "rule_removals": removed}
    rules = {k: {"removed": v, "false_positives": rule_fp[k], "precision": ratio(v - rule_fp[k], v)}
             for k, v in sorted(rule_removed.items(), key=lambda kv: (-kv[1], kv[0]))}

    # ---- duplicates ------------------------------------------------------------------------------
    groups: dict[str, list[Member]] = defaultdict(list)
    originals: dict[str, Member] = {}
    for r in records:
        o = got[r["doc"]]
        for lab in r["lines"]:
            if lab["label"] == "content":
                m = Member(r["doc"], lab["line"], lab, o.lines[lab["line"] - 1])
                originals[lab["passage"]] = m
                groups[lab["passage"]].append(m)
            elif lab["label"] == "duplicate":
                groups[lab["of"]].append(Member(r["doc"], lab["line"], lab, o.lines[lab["line"] - 1]))
    planted: Counter[tuple[str, str, float]] = Counter()
    found: Counter[tuple[str, str, float]] = Counter()
    dropped_planted, dropped_found = Counter(), Counter()
    lost_groups: list[str] = []
    dup_misses: list[tuple[float, str]] = []
    ok_groups: set[str] = set()
    for pid, members in groups.items():
        if len(members) < 2:
            continue
        orig = originals[pid]
        kept = [m for m in members if not got[m.doc].removed(m.line)]
        if kept:
            ok_groups.add(pid)
        else:
            lost_groups.append(f"{orig.doc}:{orig.line} ({len(members)} copies) {squash(orig.text)}")
        rep = None
        if kept:
            rep = orig if orig in kept else min(kept, key=lambda m: (m.label.get("edit_rate", 0), m.doc, m.line))
        orig_dup = got[orig.doc].removed_dup(orig.line)
        for m in members:
            if m is orig:
                continue
            hit = rep is not None and (got[m.doc].removed_dup(m.line) or (m is rep and orig_dup))
            if m.label.get("dropped_sentences"):
                dropped_planted[m.label["edit_rate"]] += 1
                dropped_found[m.label["edit_rate"]] += hit
            else:
                key = (m.label["part"], m.label["how"], m.label["edit_rate"])
                planted[key] += 1
                found[key] += hit
            if not hit and m.label["part"] == "paragraph":
                if m.line in got[m.doc].boilerplate:
                    why = f"removed as boilerplate ({got[m.doc].boilerplate[m.line]})"
                elif rep is None:
                    why = "every copy removed"
                else:
                    why = f"kept beside the kept copy in {rep.doc}:{rep.line}"
                dropped = ", a sentence dropped" if m.label.get("dropped_sentences") else ""
                dup_misses.append((m.label["edit_rate"], f"{m.doc}:{m.line} rate {m.label['edit_rate']:.0%} "
                                   f"({m.label['how']}, {m.label['edits']} words changed{dropped}; {why}) "
                                   f"{squash(m.text, 90)}"))
    rates = sorted({k[2] for k in planted} | set(dropped_planted))
    recall_rows = []
    for rate in rates:
        row: dict[str, Any] = {"edit_rate": rate}
        for part, how, name in (("paragraph", "syndicated", "syndicated"), ("paragraph", "quote", "quoted"),
                                ("title", "syndicated", "titles")):
            p, f = planted[(part, how, rate)], found[(part, how, rate)]
            row[name] = {"planted": p, "found": f, "recall": ratio(f, p)}
        p = planted[("paragraph", "syndicated", rate)] + planted[("paragraph", "quote", rate)] + dropped_planted[rate]
        f = found[("paragraph", "syndicated", rate)] + found[("paragraph", "quote", rate)] + dropped_found[rate]
        row["paragraphs"] = {"planted": p, "found": f, "recall": ratio(f, p)}
        row["sentence_dropped"] = {"planted": dropped_planted[rate], "found": dropped_found[rate],
                                   "recall": ratio(dropped_found[rate], dropped_planted[rate])}
        recall_rows.append(row)

    dup = Counter()
    dup_fp: list[str] = []
    unique_lost: list[str] = []
    for r in records:
        o = got[r["doc"]]
        for lab in r["lines"]:
            n, kind = lab["line"], lab["label"]
            if kind == "blank":
                continue
            text = o.lines[n - 1]
            if kind == "content" and lab.get("unique") and o.removed(n):
                how = "document-duplicate" if o.dropped else ("boilerplate:" + o.boilerplate[n]
                                                              if n in o.boilerplate else "duplicate")
                unique_lost.append(f"{r['doc']}:{n} [{how}] {squash(text)}")
            if not o.removed_dup(n):
                continue
            if kind == "boilerplate":
                dup["boilerplate"] += 1
                continue
            pid = lab["passage"] if kind == "content" else lab["of"]
            if kind == "content" and lab.get("unique"):
                dup["fp"] += 1
                dup["fp_unique_" + lab["part"]] += 1
                dup_fp.append(f"{r['doc']}:{n} [unique {lab['part']}] duplicate of "
                              f"{o.duplicate.get(n, 'dropped doc')} {squash(text)}")
            elif pid in ok_groups:
                dup["tp"] += 1
            else:
                dup["fp"] += 1
                dup["fp_every_copy_removed"] += 1
    para_p = sum(v for k, v in planted.items() if k[0] == "paragraph") + sum(dropped_planted.values())
    para_f = sum(v for k, v in found.items() if k[0] == "paragraph") + sum(dropped_found.values())

    def worst(items: dict[str, list[str]], n: int) -> list[dict[str, Any]]:
        ordered = sorted(items.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        return [{"key": k, "count": len(v), "examples": [squash(x) for x in list(dict.fromkeys(v))[:3]]}
                for k, v in ordered[:n]]

    return {
        "corpus": str(root), "template_set": meta["template_set"], "size": meta["size"], "seed": meta["seed"],
        "documents": len(records), "seconds": round(seconds, 1), "dropped_documents": dropped_docs,
        "boilerplate": {"tp": bp["tp"], "fp": bp["fp"], "fn": bp["fn"],
                        "precision": ratio(bp["tp"], bp["tp"] + bp["fp"]),
                        "recall": ratio(bp["tp"], bp["tp"] + bp["fn"]),
                        "recall_any_kind": ratio(sum(fam_any.values()), sum(fam_total.values())),
                        "families": families, "rules": rules},
        "duplicates": {"recall_paragraphs": ratio(para_f, para_p), "planted_paragraphs": para_p,
                       "found_paragraphs": para_f,
                       "precision": ratio(dup["tp"], dup["tp"] + dup["fp"]), "tp": dup["tp"], "fp": dup["fp"],
                       "false_positives": {"unique_titles": dup["fp_unique_title"],
                                           "unique_paragraphs": dup["fp_unique_paragraph"],
                                           "every_copy_removed": dup["fp_every_copy_removed"]},
                       "boilerplate_removed_as_duplicate": dup["boilerplate"], "by_edit_rate": recall_rows,
                       "passages_lost": len(lost_groups)},
        "unique_content_lost": len(unique_lost),
        "examples": {
            "boilerplate_missed": worst(miss_by_variant, examples),
            "boilerplate_false_positives": worst(fp_by_rule, examples),
            "duplicates_missed": [x for _, x in sorted(dup_misses, key=lambda t: t[0])][:examples],
            "duplicate_false_positives": dup_fp[:examples],
            "unique_content_lost": unique_lost[:examples],
            "passages_lost": lost_groups[:examples],
        },
    }


def pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def frac(d: dict[str, Any]) -> str:
    return f"{pct(d['recall'])} ({d['found']}/{d['planted']})" if d["planted"] else "–"


def markdown(s: dict[str, Any]) -> str:
    b, d = s["boilerplate"], s["duplicates"]
    wrong = d["false_positives"]
    out = [f"### {s['template_set']} templates ({s['size']}, seed {s['seed']}): {s['documents']} documents, "
           f"cleaned in {s['seconds']} s", ""]
    out += ["| metric | value |", "|---|---|",
            f"| boilerplate precision (lines) | {pct(b['precision'])} ({b['tp']} of {b['tp'] + b['fp']} removed) |",
            f"| boilerplate recall (lines) | {pct(b['recall'])} ({b['tp']} of {b['tp'] + b['fn']}) |",
            f"| boilerplate lines removed by any change | {pct(b['recall_any_kind'])} |",
            f"| duplicate paragraphs found (all rates) | {pct(d['recall_paragraphs'])} "
            f"({d['found_paragraphs']}/{d['planted_paragraphs']}) |",
            f"| duplicate precision (lines) | {pct(d['precision'])} ({d['tp']} of {d['tp'] + d['fp']}; wrong: "
            f"{wrong['unique_titles']} unique titles, {wrong['unique_paragraphs']} unique paragraphs, "
            f"{wrong['every_copy_removed']} last copies) |",
            f"| boilerplate lines removed as duplicates | {d['boilerplate_removed_as_duplicate']} |",
            f"| documents dropped whole | {s['dropped_documents']} |",
            f"| passages with every copy removed | {d['passages_lost']} |",
            f"| **unique content lines lost** | **{s['unique_content_lost']}** |", ""]
    out += ["| family | lines | recall (boilerplate rules) | removed by any change | precision of its rules |",
            "|---|---:|---:|---:|---:|"]
    for fam, f in b["families"].items():
        out.append(f"| {fam} | {f['lines']} | {pct(f['recall'])} | {pct(f['recall_any_kind'])} | "
                   f"{pct(f['precision_of_rules'])} ({f['rule_removals']}) |")
    out += ["", "Duplicate recall by nominal edit rate (words substituted); a sentence dropped is counted apart:", "",
            "| edit rate | syndicated paragraphs | quoted paragraphs | syndicated, a sentence dropped "
            "| all paragraphs | titles |", "|---:|---:|---:|---:|---:|---:|"]
    for row in d["by_edit_rate"]:
        out.append(f"| {row['edit_rate']:.0%} | {frac(row['syndicated'])} | {frac(row['quoted'])} | "
                   f"{frac(row['sentence_dropped'])} | {frac(row['paragraphs'])} | {frac(row['titles'])} |")
    return "\n".join(out) + "\n"


def examples_markdown(s: dict[str, Any]) -> str:
    e = s["examples"]
    out = [f"#### Examples ({s['template_set']})", ""]
    out.append("Boilerplate missed (by template variant):")
    for w in e["boilerplate_missed"]:
        out.append(f"- `{w['key']}` ×{w['count']}: " + " / ".join(f"“{x}”" for x in w["examples"]))
    out.append("")
    out.append("Boilerplate false positives (by rule):")
    for w in e["boilerplate_false_positives"]:
        out.append(f"- `{w['key']}` ×{w['count']}: " + " / ".join(f"“{x}”" for x in w["examples"]))
    for title, key in (("Duplicates missed", "duplicates_missed"),
                       ("Duplicate false positives", "duplicate_false_positives"),
                       ("Unique content lost", "unique_content_lost"), ("Passages with every copy removed",
                                                                         "passages_lost")):
        out += ["", f"{title}:"] + [f"- {x}" for x in e[key]] + ([] if e[key] else ["- none"])
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="a folder written by generate.py")
    parser.add_argument("--json", type=Path, help="also write the full scores as JSON here")
    parser.add_argument("--examples", type=int, default=5, help="examples per list (default 5)")
    args = parser.parse_args(argv)
    s = score(args.corpus, examples=args.examples)
    sys.stdout.write(markdown(s) + "\n" + examples_markdown(s))
    if args.json:
        args.json.write_text(json.dumps(s, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
