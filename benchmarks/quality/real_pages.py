#!/usr/bin/env python3
"""Evaluate dedup's boilerplate rules on web-articles-dev (read-only data, no network).

Rerun:  /tmp/venv/bin/python /tmp/eval/evaluate.py [--data DIR] [--out /tmp/eval]
Writes: OUT/report.md, OUT/details.json (all per-passage labels), OUT/scores.json

Definitions (as in the brief):
* removed passage = FALSE POSITIVE when it has >= 4 words (\\w+ tokens) and either its
  whitespace-collapsed text is a substring of the whitespace-collapsed gold_body, or more than half
  of its word 4-grams occur in gold_body. Removed passages of < 4 words that are a whole line of
  gold_body are listed separately ("short FP"), not counted as FPs.
* kept passage = MISS when (>= 4 words) none of its word 4-grams occur in gold_body, or (< 4 words)
  its whitespace-collapsed text is not a whole line of gold_body. The first passage of a page is
  never a miss (headline); neither is a passage equal (folded) to the page's headline
  (first line of extracted_text), counted separately.
* label matching is case-sensitive like the metric (whitespace collapsed, NFKC); the SCORE is the benchmark's own
  metric (scrapinghub article-extraction-benchmark evaluate.py): case-sensitive \\w+ tokens,
  4-gram multisets, tp/fp/fn normalised per page, precision/recall averaged over pages
  (pages with tp+fp == 0 skipped for precision, as upstream), F1 from the two averages.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import unicodedata
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

from dedup.config import Config, RulesConfig
from dedup.model import Document
from dedup.pipeline import prepare
from dedup.rules import active_rules, is_prose, matching_text

TOKEN = re.compile(r"\w+")
BULLET = re.compile(r"^\s*(?:[-*•·▪►▸»›–]\s+)+(?=\S)")
WS = re.compile(r"\s+")


# ---------------------------------------------------------------- benchmark metric (upstream)
def _ngrams(text: str, n: int = 4) -> list[tuple[str, ...]]:
    toks = TOKEN.findall(text or "")
    out = []
    for i in range(0, max(1, len(toks) - n + 1)):
        sh = tuple(toks[i : i + n])
        if sh:
            out.append(sh)
    return out


def tp_fp_fn(true: str, pred: str) -> tuple[float, float, float]:
    t, p = Counter(_ngrams(true)), Counter(_ngrams(pred))
    tp = fp = fn = 0.0
    for k in set(t) | set(p):
        tc, pc = t.get(k, 0), p.get(k, 0)
        tp += min(tc, pc)
        fp += max(0, pc - tc)
        fn += max(0, tc - pc)
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s > 0 else (tp, fp, fn)


def _prec(tp, fp, fn):
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def _rec(tp, fp, fn):
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def metrics(triples) -> dict[str, float]:
    p = statistics.mean([_prec(*x) for x in triples if x[0] + x[1] > 0])
    r = statistics.mean([_rec(*x) for x in triples if x[0] + x[2] > 0])
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


# ---------------------------------------------------------------- labelling helpers
def collapse(s: str) -> str:
    return WS.sub(" ", s).strip()


def fold(s: str) -> str:
    return collapse(unicodedata.normalize("NFKC", s)).casefold()


def norm(s: str) -> str:
    """Label matching key: NFKC + whitespace collapsed, case kept."""
    return collapse(unicodedata.normalize("NFKC", s))


def grams4(text: str) -> list[tuple[str, ...]]:
    toks = TOKEN.findall(text)
    return [tuple(toks[i : i + 4]) for i in range(len(toks) - 3)]


def c4_keep(line: str) -> bool:
    s = line.strip()
    return len(s.split()) >= 3 and s.rstrip().endswith((".", "?", "!", '"', "”"))


# Widget families used only to GROUP the miss lines in the report (not a cleaner). First match wins.
FAMILIES: list[tuple[str, re.Pattern[str]]] = [
    (n, re.compile(p, re.I))
    for n, p in [
        (
            "nav/menu word",
            r"^(home|menu|search|log ?in|sign ?in|log ?out|about( us)?|contact( us)?|help|faq|"
            r"sections?|news|sports?|business|politics|entertainment|opinion|world|tech(nology)?|"
            r"health|science|lifestyle|travel|markets?|more|close|open|skip|back to top|video|"
            r"videos|podcasts?|weather|real estate|food|golf|columnists|local|classifieds|cars|"
            r"obituaries|reviews|jobs|tv|books|culture|events|shows|energy|photos|style|"
            r"education|editorials|middle east|[A-Z]{2,4})$",
        ),
        (
            "share bar",
            r"^(share|tweet|facebook|twitter|linkedin|whatsapp|pinterest|reddit|email|print|"
            r"instagram|youtube)\b",
        ),
        ("separator/stray/counter", r"^[\W_]{1,3}$|^\d{1,3}$"),
        (
            "metadata leak (timestamps, URLs, ids)",
            r"^\d{4}-\d\d-\d\dT\d|^https?://\S+$|\.(png|jpe?g|gif)$|"
            r"(?-i:^[A-Z][a-z]+[A-Z][a-z]\w*$)",
        ),
        ("affiliate/disclosure", r"affiliate|commission|share of the sale|may get a share|disclos"),
        (
            "author bio/contact",
            r"\bfollow (him|her|them) on\b|may be reached at|\bhave a tip\b|"
            r"\b(his|her)\s+(new\s+)?book\b|'s book about|\bis (a|an|the) [\w' -]{0,40}"
            r"(writer|reporter|editor|curator|correspondent|columnist|contributor)\b",
        ),
        (
            "app/promo",
            r"\bget the [\w ]{0,30}app\b|\bon the go\b|\bclick(ing)? here\b|\bdownload\b|"
            r"\bdelivered through your letterbox\b|\bquiz\b",
        ),
        (
            "membership/paywall pitch",
            r"\bmembers?\b.{0,40}\b(paywall|content|join)\b|proposition for you|"
            r"\bjoin (nr|our)\w*",
        ),
        (
            "social follow/subscribe-channel",
            r"\bfollow (us|@?\w+) on\b|\bfollow us\b|\b(youtube|instagram) "
            r"channel\b|\bon youtube\b|listen (back|live)",
        ),
        (
            "newsletter/subscribe",
            r"\b(newsletters?|sign ?up|subscri\w*|inbox|unsubscribe|register|your email|"
            r"e-mail address|email address|thanks for signing)\b",
        ),
        (
            "comments/moderation",
            r"\b(comments?|comentários|reply|replies|discussion|conversation|disqus|"
            r"commenting|moderat\w*)\b",
        ),
        (
            "byline/dateline",
            r"^(by|written by|posted by|author|reporter)\b|\bby [A-Z][a-z]+ [A-Z][a-z]+$|"
            r"\b((jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4}|"
            r"\d{1,2}/\d{1,2}/\d{4}|\d{1,2}:\d{2} ?(am|pm|a\.m\.|p\.m\.)|\d+ ?(min|h|hours?|"
            r"days?) ago|(monday|tuesday|wednesday|thursday|friday|saturday|sunday),)\b",
        ),
        (
            "related label / read-more",
            r"^(see more|more|also|read more|related|watch|most read|more from|"
            r"recommended|you may also like|trending|top stories|latest)\b\s*[:\w]?",
        ),
        (
            "photo caption/credit",
            r"\b(photo|image|getty|reuters|ap photo|afp|shutterstock|credit|caption|"
            r"courtesy|illustration|file photo|istock)\b|\.(Reuters|AP|Getty Images)$",
        ),
        ("ads/sponsor", r"\b(advertis\w*|sponsor\w*|promoted|partners?)\b"),
        (
            "legal/copyright",
            r"©|\b(copyright|all rights reserved|terms of (use|service)|privacy|cookies?|"
            r"disclaimer|trademark)\b",
        ),
        ("tags/topics", r"^(tags?|topics?|categor\w*|filed under|posted in|more about)\b"),
        (
            "press-release boilerplate",
            r"\bis headquartered in\b|\bis a (global|leading) \w+ provider\b|"
            r"(?-i:^About (?!(?:us|me)$)[A-Z]\w+$)|\bshares .{0,20}are listed on\b|\bmedia contact\b",
        ),
        (
            "error/js/loading",
            r"^(sorry|error)\b|\bjavascript\b|\bbrowser\b|\bloading\b|please (try|wait|enable)|"
            r"\bnot supported\b|error processing",
        ),
    ]
]


def family(text: str, zone: str = "") -> str:
    text = BULLET.sub("", text)
    for name, pat in FAMILIES:
        if pat.search(text):
            return name
    words = len(TOKEN.findall(text))
    if zone == "tail" and words <= 20 and not re.search(r"[.!?]$", text):
        return "tail headline list (related/recirculation)"
    if (
        words >= 5
        and (text.isupper() or sum(w[:1].isupper() for w in text.split()) >= 0.75 * len(text.split()))
        and not re.search(r"[.!?]$", text)
        and words <= 20
    ):
        return "headline-like short line (related links)"
    words = len(TOKEN.findall(text))
    if words <= 3:
        return "other short line (<=3 words)"
    return "other"


def shape(text: str) -> str:
    """A phrasing key: digits -> #, case folded, whitespace collapsed, trailing punctuation dropped."""
    s = fold(text)
    s = re.sub(r"\d+", "#", s)
    return s.strip(" .:!?-|»›>")


# ---------------------------------------------------------------- main evaluation
def kept_text(text: str, cfg: Config) -> str:
    """The passages ``cfg``'s rules keep, one a line."""
    prep = prepare(Document(doc="page.txt", text=text, encoding="utf-8", size=len(text)), cfg)
    removed = {d.index for d in prep.boilerplate}
    return "\n".join(p.text for p in prep.passages if p.index not in removed)


def evaluate_text(text: str, gold: str, headline: str, cfg: Config, name: str):
    prep = prepare(Document(doc=name, text=text, encoding="utf-8", size=len(text)), cfg)
    removed = {d.index: d for d in prep.boilerplate}
    gold_c = norm(gold)
    gold_lines = {norm(BULLET.sub("", ln)) for ln in gold.splitlines() if ln.strip()}
    gold_grams = set(grams4(gold))
    head_key = fold(headline)
    prose = [is_prose(matching_text(p.text), p.words) for p in prep.passages]
    pidx = [i for i, x in enumerate(prose) if x]
    first, last = (pidx[0], pidx[-1]) if pidx else (None, None)

    def zone(i: int) -> str:
        if first is None:
            return "body"
        return "head" if i < first else "tail" if i > last else "body"

    labels = []
    for p in prep.passages:
        t = collapse(p.text)
        g = grams4(t)
        ntok = len(TOKEN.findall(t))
        share = (sum(1 for x in g if x in gold_grams) / len(g)) if g else 0.0
        in_gold_sub = norm(t) in gold_c
        in_gold_line = norm(BULLET.sub("", t)) in gold_lines
        rec = {
            "index": p.index,
            "line": p.line,
            "text": t,
            "words": ntok,
            "gram_share": round(share, 3),
            "in_gold_substring": in_gold_sub,
            "in_gold_line": in_gold_line,
            "zone": zone(p.index),
            "prose": prose[p.index],
        }
        if p.index in removed:
            d = removed[p.index]
            rec.update(removed=True, rule=d.rule, strong=d.strong, reason=d.reason)
            rec["fp"] = ntok >= 4 and (in_gold_sub or share > 0.5)
            rec["short_fp"] = ntok < 4 and in_gold_line
            rec["copy_kept"] = any(fold(q.text) == fold(p.text) for q in prep.passages if q.index not in removed)
        else:
            rec.update(removed=False)
            if p.index == 0 or fold(t) == head_key:
                rec["miss"] = False
                rec["headline"] = True
            elif ntok >= 4:
                rec["miss"] = share == 0.0 and not in_gold_sub
            else:
                rec["miss"] = not in_gold_line
        labels.append(rec)
    kept_text = "\n".join(p.text for p in prep.passages if p.index not in removed)
    joined_all = "\n".join(p.text for p in prep.passages)
    no_fp_text = "\n".join(
        prep.passages[r["index"]].text for r in labels if not r["removed"] or r.get("fp") or r.get("short_fp")
    )
    return labels, kept_text, joined_all, no_fp_text, len(prep.suspects)


def main() -> None:
    ap = argparse.ArgumentParser()
    here = Path(__file__).resolve().parent
    ap.add_argument("--data", default=str(here.parents[2] / "shared" / "data" / "web-articles-dev"))
    ap.add_argument("--out", default=str(here / "out" / "real-pages"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(Path(args.data) / "pages.jsonl", encoding="utf-8") as fh:
        rows = [json.loads(ln) for ln in fh]
    cfg = Config()
    # Whole pages are what the off-by-default rule page-body is for; it is scored on both inputs.
    page_cfg = replace(cfg, rules=RulesConfig(enable=("page-body",)))

    results = {}
    scores = {}
    for field in ("extracted_text", "page_text"):
        triples = defaultdict(list)
        per_page = []
        suspects = 0
        for r in rows:
            text, gold = r[field], r["gold_body"]
            headline = (r["extracted_text"].strip().splitlines() or [""])[0]
            labels, kept, joined, no_fp, nsus = evaluate_text(text, gold, headline, cfg, f"{r['id']}.txt")
            suspects += nsus
            triples["no cleaning"].append(tp_fp_fn(gold, text))
            triples["passages joined, nothing removed"].append(tp_fp_fn(gold, joined))
            triples["cleaned (dedup rules)"].append(tp_fp_fn(gold, kept))
            triples["cleaned, false positives put back"].append(tp_fp_fn(gold, no_fp))
            triples["cleaned, rule page-body on"].append(tp_fp_fn(gold, kept_text(text, page_cfg)))
            triples["C4 line rule (reference)"].append(
                tp_fp_fn(gold, "\n".join(ln for ln in text.splitlines() if c4_keep(ln)))
            )
            per_page.append({"id": r["id"], "domain": r["domain"], "url": r["url"], "labels": labels, "f1_raw": None})
        scores[field] = {k: metrics(v) for k, v in triples.items()}
        scores[field]["_suspects"] = suspects
        # per-page F1 change
        for pp, c in zip(per_page, triples["cleaned, rule page-body on"], strict=True):
            pc, rc = _prec(*c), _rec(*c)
            pp["f1_page_body"] = 2 * pc * rc / (pc + rc) if pc + rc else 0.0
        for pp, a, b in zip(per_page, triples["no cleaning"], triples["cleaned (dedup rules)"], strict=True):
            pa, ra, pb, rb = _prec(*a), _rec(*a), _prec(*b), _rec(*b)
            pp["f1_raw"] = 2 * pa * ra / (pa + ra) if pa + ra else 0.0
            pp["f1_clean"] = 2 * pb * rb / (pb + rb) if pb + rb else 0.0
        results[field] = per_page

    (out / "scores.json").write_text(json.dumps(scores, indent=2))
    (out / "details.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))
    write_report(out / "report.md", rows, scores, results)
    print((out / "report.md").read_text()[:3000])


def md(s: str, limit: int = 220) -> str:
    s = s.replace("|", "\\|").replace("\n", " ")
    return s if len(s) <= limit else s[:limit] + "…"


def write_report(path: Path, rows, scores, results) -> None:
    L: list[str] = []
    L.append("# dedup boilerplate rules on web-articles-dev (91 pages)\n")
    L.append(
        "Generated by `/tmp/venv/bin/python /tmp/eval/evaluate.py` (default `Config()`, per-document "
        "`prepare()`; near-duplicate stage not run). Definitions are in the script's docstring: FP = "
        "removed passage of >= 4 words whose text is in gold_body or whose 4-grams are > 50 % in "
        "gold_body; miss = kept passage with no 4-gram in gold_body (< 4 words: not a whole gold "
        "line); first line and headline repeats never count as misses.\n"
    )

    import hashlib
    import subprocess
    import time

    import dedup

    root = Path(dedup.__file__).parent
    L.append(
        "Code measured: "
        + ", ".join(
            f"`{f}` sha256 {hashlib.sha256((root / f).read_bytes()).hexdigest()[:12]} "
            f"(mtime {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime((root / f).stat().st_mtime))} UTC)"
            for f in ("rules.py", "normalize.py", "passages.py", "pipeline.py")
        )
        + ";"
    )
    try:
        head = subprocess.run(
            ["git", "-C", str(root.parent), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root.parent), "status", "--short", "dedup"], capture_output=True, text=True
        ).stdout.strip()
        L[-1] += f" git HEAD {head}" + (" with uncommitted edits in dedup/" if dirty else "") + ".\n"
    except OSError:
        L.append("\n")
    L.append("## 1. Scores (benchmark metric: word 4-gram multisets, P/R averaged over pages)\n")
    L.append("| input | variant | precision | recall | F1 |\n|---|---|---|---|---|")
    for field in ("extracted_text", "page_text"):
        for k, v in scores[field].items():
            if k.startswith("_"):
                continue
            L.append(f"| {field} | {k} | {v['precision']:.4f} | {v['recall']:.4f} | {v['f1']:.4f} |")
    L.append("")
    L.append(
        "`passages joined, nothing removed` isolates the effect of passage splitting/repairs alone; "
        "`false positives put back` is the score if every FP removal (and every short-FP) were kept, "
        "i.e. the ceiling for fixing FPs without touching misses.\n"
    )
    for field in ("extracted_text", "page_text"):
        pp = results[field]
        worse = sorted((p for p in pp if p["f1_clean"] < p["f1_raw"] - 1e-9), key=lambda p: p["f1_clean"] - p["f1_raw"])
        better = sum(1 for p in pp if p["f1_clean"] > p["f1_raw"] + 1e-9)
        L.append(
            f"- {field}: per-page F1 improved on {better} pages, worsened on {len(worse)}, "
            f"unchanged on {len(pp) - better - len(worse)}. Suspects reported: {scores[field]['_suspects']}."
        )
        for p in worse[:8]:
            L.append(f"  - worsened: {p['domain']} {p['f1_raw']:.3f} -> {p['f1_clean']:.3f}")
        worse_pb = [p for p in pp if p["f1_page_body"] < p["f1_raw"] - 1e-9]
        L.append(f"- {field} with rule page-body on: per-page F1 worsened on {len(worse_pb)} pages "
                 f"(vs no cleaning).")
    L.append("")

    # ---- per-rule table
    L.append("## 2. Removals and false positives per rule\n")
    L.append(
        "| rule | extracted: removed | extracted: FP | extracted: short FP (<4 words, whole gold line) "
        "| page: removed | page: FP | page: short FP |\n|---|---|---|---|---|---|---|"
    )
    stat = defaultdict(lambda: defaultdict(int))
    for field in ("extracted_text", "page_text"):
        for p in results[field]:
            for lab in p["labels"]:
                if lab["removed"]:
                    stat[lab["rule"]][(field, "removed")] += 1
                    stat[lab["rule"]][(field, "fp")] += lab["fp"]
                    stat[lab["rule"]][(field, "short")] += lab["short_fp"]
    tot = defaultdict(int)
    for rule in sorted(stat, key=lambda r: -(stat[r][("extracted_text", "fp")] * 1000 + stat[r][("page_text", "fp")])):
        s = stat[rule]
        cells = [s[(f, k)] for f in ("extracted_text", "page_text") for k in ("removed", "fp", "short")]
        for i, c in enumerate(cells):
            tot[i] += c
        L.append(f"| {rule} | " + " | ".join(str(c) for c in cells) + " |")
    L.append("| **total** | " + " | ".join(str(tot[i]) for i in range(6)) + " |\n")

    # ---- every FP on extracted_text
    L.append("## 3. Every false positive on extracted_text\n")
    L.append(
        "`copy kept` = an identical line (case-folded) survives elsewhere in the cleaned text, so the "
        "removal loses a duplicate copy, not the content.\n"
    )
    L.append("| rule | strong | domain | line | words | 4-gram share in gold | copy kept | text |")
    L.append("|---|---|---|---|---|---|---|---|")
    n = 0
    for p in results["extracted_text"]:
        for lab in p["labels"]:
            if lab["removed"] and lab["fp"]:
                n += 1
                L.append(
                    f"| {lab['rule']} | {lab['strong']} | {p['domain']} | {lab['line']} | {lab['words']} | "
                    f"{lab['gram_share']:.2f} | {lab['copy_kept']} | {md(lab['text'], 400)} |"
                )
    L.append(f"\n{n} false positives.\n")
    L.append("### Short removed lines (< 4 words) that are whole lines of gold_body (extracted_text)\n")
    L.append("Not counted as FPs by the definition, but they are gold content (mostly subheadings).\n")
    L.append("| rule | domain | text |\n|---|---|---|")
    for p in results["extracted_text"]:
        for lab in p["labels"]:
            if lab["removed"] and lab["short_fp"]:
                L.append(f"| {lab['rule']} | {p['domain']} | {md(lab['text'])} |")
    L.append("")

    # ---- page_text FPs: 60 most instructive
    L.append("## 4. page_text: 60 most instructive false positives\n")
    L.append(
        "Selection: distinct texts, round-robin over rules (rules with more FPs first), longest first "
        "within a rule; lines already listed for extracted_text are skipped.\n"
    )
    seen_ex = {fold(lab["text"]) for p in results["extracted_text"] for lab in p["labels"] if lab.get("fp")}
    by_rule = defaultdict(list)
    seen = set()
    for p in results["page_text"]:
        for lab in p["labels"]:
            if lab["removed"] and lab["fp"]:
                k = fold(lab["text"])
                if k in seen or k in seen_ex:
                    continue
                seen.add(k)
                by_rule[lab["rule"]].append((p["domain"], lab))
    for r in by_rule:
        by_rule[r].sort(key=lambda x: -x[1]["words"])
    order = sorted(by_rule, key=lambda r: -len(by_rule[r]))
    picked = []
    i = 0
    while len(picked) < 60 and any(i < len(by_rule[r]) for r in order):
        for r in order:
            if i < len(by_rule[r]) and len(picked) < 60:
                picked.append(by_rule[r][i])
        i += 1
    total_page_fp = sum(1 for p in results["page_text"] for lab in p["labels"] if lab.get("fp"))
    L.append(
        f"({total_page_fp} page_text FPs in total; {sum(len(v) for v in by_rule.values())} distinct texts "
        "not already seen in extracted_text.)\n"
    )
    L.append("| rule | strong | domain | words | 4-gram share | text |\n|---|---|---|---|---|---|")
    for dom, lab in sorted(picked, key=lambda x: (order.index(x[1]["rule"]), -x[1]["words"])):
        L.append(
            f"| {lab['rule']} | {lab['strong']} | {dom} | {lab['words']} | {lab['gram_share']:.2f} | "
            f"{md(lab['text'], 300)} |"
        )
    L.append("")

    L.append("page_text short removed lines (< 4 words) that are whole gold lines (not counted as FPs):\n")
    for p in results["page_text"]:
        for lab in p["labels"]:
            if lab["removed"] and lab["short_fp"]:
                L.append(f"- {lab['rule']} | {p['domain']} | {md(lab['text'])}")
    L.append("")

    # ---- misses
    rules = active_rules(Config())

    def pattern_rule(text: str) -> str:
        mt = matching_text(text)
        for r in rules:
            if not r.structural and r.matches(mt):
                return r.name + ("(weak)" if r.strength == "weak" else "")
        return ""

    for field, top, title in (
        ("extracted_text", 80, "## 5. extracted_text: misses (boilerplate kept)"),
        ("page_text", 60, "## 6. page_text: misses that look like widgets/menus"),
    ):
        L.append(title + "\n")
        miss = []
        for p in results[field]:
            for lab in p["labels"]:
                if not lab["removed"] and lab.get("miss"):
                    miss.append((p["domain"], lab))
        heads = sum(1 for p in results[field] for lab in p["labels"] if lab.get("headline"))
        nmiss_words = sum(ln["words"] for _, ln in miss)
        L.append(
            f"{len(miss)} miss passages ({nmiss_words} words) on {len({d for d, _ in miss})} domains; "
            f"{heads} first-line/headline passages excluded. Zone = the rules' own zone of the passage "
            "(head: before the first prose paragraph, tail: after the last). `pattern rule` = a catalogue "
            "rule whose pattern matches the line although it was kept (zone, weak strength or max_words "
            "stopped it).\n"
        )
        if field == "page_text":
            cand = [
                (d, ln)
                for d, ln in miss
                if (ln["words"] <= 8 and not re.search(r"[.!?]\W*$", ln["text"]))
                or (not family(ln["text"], ln["zone"]).startswith("other") and ln["words"] <= 20)
            ]
            L.append(
                f"Widget/menu-looking subset (<= 8 words and not ending a sentence, or <= 20 words "
                f"in a widget family): {len(cand)} passages.\n"
            )
        else:
            cand = miss
        zc = Counter(ln["zone"] for _, ln in cand)
        pr = Counter(pattern_rule(ln["text"]) or "-" for _, ln in cand)
        L.append(
            f"Zones of these misses: {dict(zc)}. Kept although a rule pattern matches: "
            f"{ {k: v for k, v in pr.most_common() if k != '-'} }.\n"
        )
        fam = defaultdict(lambda: [0, set(), Counter()])
        for d, ln in cand:
            f = family(ln["text"], ln["zone"])
            fam[f][0] += 1
            fam[f][1].add(d)
            fam[f][2][shape(ln["text"])] += 1
        L.append("### Families (grouping heuristic, see FAMILIES in the script)\n")
        L.append("| family | passages | domains | most frequent phrasings (count) |\n|---|---|---|---|")
        for f, (c, doms, shapes) in sorted(fam.items(), key=lambda x: -x[1][0]):
            ex = "; ".join(f"“{md(s, 90)}” ({k})" for s, k in shapes.most_common(6))
            L.append(f"| {f} | {c} | {len(doms)} | {ex} |")
        L.append("")
        groups = defaultdict(
            lambda: {"n": 0, "domains": Counter(), "texts": Counter(), "zones": Counter(), "fam": Counter()}
        )
        for d, ln in cand:
            g = groups[shape(ln["text"])]
            g["n"] += 1
            g["domains"][d] += 1
            g["texts"][ln["text"]] += 1
            g["zones"][ln["zone"]] += 1
            g["fam"][family(ln["text"], ln["zone"])] += 1
        fam_of = {k: g["fam"].most_common(1)[0][0] for k, g in groups.items()}
        ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]["domains"]), -kv[1]["n"], kv[0]))
        if field == "extracted_text":
            multi = [kv for kv in ranked if len(kv[1]["domains"]) >= 2]
            single = [kv for kv in ranked if len(kv[1]["domains"]) < 2]
            single.sort(key=lambda kv: (fam_of[kv[0]].startswith("other"), fam_of[kv[0]], -kv[1]["n"], kv[0]))
            ranked = multi + single
            L.append(
                f"### Top {top} miss lines: phrasings seen on >= 2 domains first, then single-site lines "
                "grouped by family ('other' last)\n"
            )
        else:
            L.append(
                f"### Top {top} miss lines (grouped by phrasing: case, digits, trailing punctuation folded; "
                "sorted by number of domains, then occurrences)\n"
            )
        L.append(
            "| # | family | domains | occ. | zones | pattern rule | line (most common spelling) | domains seen |\n"
            "|---|---|---|---|---|---|---|---|"
        )

        def table(items, fam_of=fam_of):
            for i, (k, g) in enumerate(items, 1):
                text = g["texts"].most_common(1)[0][0]
                doms = ", ".join(d for d, _ in g["domains"].most_common(4)) + (" …" if len(g["domains"]) > 4 else "")
                zones = " ".join(f"{z}:{c}" for z, c in g["zones"].most_common())
                L.append(
                    f"| {i} | {fam_of[k]} | {len(g['domains'])} | {g['n']} | {zones} | "
                    f"{pattern_rule(text) or '-'} | {md(text, 200)} | {doms} |"
                )
            L.append("")

        table(ranked[:top])
        if field == "page_text":
            multi = [
                kv
                for kv in ranked
                if len(TOKEN.findall(kv[0])) >= 3
                and len(kv[1]["domains"]) >= 2
                and not fam_of[kv[0]].startswith(("other", "separator"))
            ]
            L.append(
                "### Supplement: multi-word (>= 3 words) widget phrasings seen on >= 2 domains "
                f"({min(40, len(multi))} of {len(multi)})\n"
            )
            L.append(
                "| # | family | domains | occ. | zones | pattern rule | line (most common spelling) | domains seen |\n"
                "|---|---|---|---|---|---|---|---|"
            )
            table(multi[:40])

    path.write_text("\n".join(L) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
