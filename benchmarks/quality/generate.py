"""Generate a labelled corpus for the quality benchmark: real paragraphs, syndicated across sites.

    python benchmarks/quality/generate.py OUT --set tuning|heldout [--size small|medium] [--seed N]

Articles are built from real parliamentary speeches (see ``prose.py``) in English, German and
Spanish. Each language has four simulated sites (one folder each). Every site prints its own
boilerplate (``templates.py``) above the title, between the title and the text, between paragraphs
and after the last one. Some articles are syndicated to one or two other sites of their language,
lightly edited (word substitutions at 0, 2, 5 or 10% of the words; a sentence dropped now and then;
some paragraphs left out; sometimes an extra paragraph of the site's own), and some paragraphs are
quoted in another article. The content plan depends only on the seed and size, so the ``tuning``
and ``heldout`` corpora of one seed hold the same articles and duplicates and differ only in their
boilerplate.

Writes ``OUT/<site>/<year>/<slug>.txt``, ``OUT/labels.jsonl`` (one object per document, one label per
line) and ``OUT/meta.json``. Labels:

* ``content``: ``passage`` (id), ``part`` (title or paragraph), ``unique`` (no planted copy exists);
* ``duplicate``: ``of`` (the original passage id), ``edit_rate`` (nominal), ``edits`` (words
  substituted), ``dropped_sentences``, ``how`` (syndicated or quote), ``part``;
* ``boilerplate``: ``family`` and ``variant`` (the template it came from);
* ``blank``: an empty line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import prose
import templates

SIZES = {"small": 30, "medium": 120}  # original articles per language
RATES = (0.0, 0.02, 0.05, 0.10)
SITES = {
    "en": ["northern-ledger", "capital-post", "westminster-wire", "daily-briefing"],
    "de": ["rheinische-rundschau", "hauptstadt-kurier", "nordbote", "tagesblick"],
    "es": ["diario-del-sur", "la-voz-central", "cronica-politica", "el-observador"],
}
SITE_NAMES = {
    "northern-ledger": "The Northern Ledger", "capital-post": "Capital Post", "westminster-wire": "Westminster Wire",
    "daily-briefing": "Daily Briefing", "rheinische-rundschau": "Rheinische Rundschau",
    "hauptstadt-kurier": "Hauptstadt-Kurier", "nordbote": "Nordbote", "tagesblick": "Tagesblick",
    "diario-del-sur": "Diario del Sur", "la-voz-central": "La Voz Central", "cronica-politica": "Crónica Política",
    "el-observador": "El Observador",
}
QUOTES = {"en": ("“", "”"), "de": ("„", "“"), "es": ("«", "»")}
#: How likely a site is to print a family at all.
FAMILY_P = {"navigation": 0.6, "cookie": 0.5, "byline": 0.95, "share": 0.8, "photo-credit": 0.5, "toc": 0.35,
            "ad": 0.6, "related": 0.9, "tags": 0.7, "newsletter": 0.6, "comments": 0.8, "copyright": 0.8,
            "repeated-title": 0.45}
FOOT_ORDER = ["tags", "share", "byline", "related", "newsletter", "ad", "comments", "repeated-title", "copyright",
              "cookie", "navigation"]

_WORDLIKE = re.compile(r"[^\W\d_]{3,}")


# ---- content plan ------------------------------------------------------------------------------------


@dataclass
class Article:
    id: str
    lang: str
    speaker: str
    date: str
    title: str
    paragraphs: list[list[str]]  # sentences


@dataclass
class Item:
    """One content line of a document: a title or a paragraph, original or copy."""

    text: str
    label: dict[str, Any]


@dataclass
class Doc:
    path: str
    lang: str
    site: str
    article: str
    role: str  # original or syndicated
    date: str
    title: str
    items: list[Item] = field(default_factory=list)  # items[0] is the title


def fold(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


def slugify(text: str, limit: int = 48) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "article"


def clean_agenda(agenda: str) -> str:
    text = re.sub(r"\[.*?\]", "", agenda)
    text = re.sub(r"\(.*?\)", "", text)
    return re.sub(r"\s+", " ", text).strip(" .:-")


def title_for(speech: prose.Speech, paras: list[list[str]], agenda_counts: dict[str, int], used: set[str],
              rng: random.Random) -> str:
    """An agenda item when it names one debate (English), else a quote headline from the text."""
    agenda = clean_agenda(speech.agenda)
    if (speech.lang == "en" and agenda and agenda != "NA" and agenda_counts.get(agenda, 0) == 1
            and 3 <= prose.words(agenda) <= 14 and fold(agenda) not in used):
        return agenda
    left, right = QUOTES[speech.lang]
    name = prose.surname(speech.lang, speech.speaker)
    candidates = [s for p in paras for s in p if 8 <= prose.words(s) <= 40 and not s.startswith("(")]
    rng.shuffle(candidates)
    for sentence in candidates:
        clause = re.split(r"[,;:–—]\s", sentence)[0]
        toks = clause.split()
        if len(toks) < 5:
            toks = sentence.split()
        toks = toks[:rng.randint(7, 11)]
        text = " ".join(toks).rstrip(".,;:!?…–-— ")
        title = f"{name}: {left}{text}{right}"
        if fold(title) not in used:
            return title
    return f"{name}: {left}{' '.join(paras[0][0].split()[:9]).rstrip('.,;:!?')}{right}"


def build_articles(lang: str, n: int, seed: int) -> tuple[list[Article], list[Article], list[str]]:
    """``n`` articles for the corpus, the unused ones (their titles feed link lists, their paragraphs
    the extra paragraphs of syndicated copies), and names for bylines and photo credits."""
    rng = random.Random(f"{seed}:articles:{lang}")
    speeches = prose.load_speeches(lang)
    agenda_counts: dict[str, int] = {}
    for s in speeches:
        agenda = clean_agenda(s.agenda)
        agenda_counts[agenda] = agenda_counts.get(agenda, 0) + 1
    chunks: list[tuple[prose.Speech, list[list[str]]]] = []
    for s in speeches:
        paras = s.paragraphs
        if len(paras) < 2:
            continue
        if len(paras) <= 7:
            chunks.append((s, paras))
        else:
            for i in range(0, len(paras), 5):
                part = paras[i:i + 5]
                if len(part) >= 2:
                    chunks.append((s, part))
    rng.shuffle(chunks)
    if len(chunks) < n + 20:
        raise SystemExit(f"{lang}: only {len(chunks)} articles can be built; choose a smaller size")
    used: set[str] = set()
    articles = []
    for i, (speech, paras) in enumerate(chunks):
        title = title_for(speech, paras, agenda_counts, used, rng)
        used.add(fold(title))
        articles.append(Article(f"{lang}{i:04d}", lang, speech.speaker, speech.date, title, paras))
    names = sorted({prose.display_name(lang, s.speaker) for s in speeches
                    if len(prose.display_name(lang, s.speaker).split()) >= 2})
    return articles[:n], articles[n:], names


class Editor:
    """Light copy-editing: substitute words with other words of the same language."""

    def __init__(self, vocabulary: list[str]) -> None:
        self.vocabulary = vocabulary

    def substitute(self, text: str, rate: float, rng: random.Random, minimum: int) -> tuple[str, int]:
        matches = list(_WORDLIKE.finditer(text))
        if rate <= 0 or not matches:
            return text, 0
        k = min(len(matches), max(minimum, round(rate * prose.words(text))))
        chosen = sorted(rng.sample(range(len(matches)), k))
        out, pos = [], 0
        for idx in chosen:
            m = matches[idx]
            word = m.group(0)
            new = word
            while new.lower() == word.lower():
                new = rng.choice(self.vocabulary)
            new = new[:1].upper() + new[1:] if word[:1].isupper() else new.lower()
            out.append(text[pos:m.start()])
            out.append(new)
            pos = m.end()
        out.append(text[pos:])
        return "".join(out), k


def plan_content(size: str, seed: int) -> tuple[list[Doc], dict[str, list[str]], dict[str, list[str]]]:
    """The documents (content lines only), and per language the headline pool and the names."""
    n = SIZES[size]
    docs: list[Doc] = []
    headlines: dict[str, list[str]] = {}
    people: dict[str, list[str]] = {}
    for lang in prose.LANGUAGES:
        rng = random.Random(f"{seed}:plan:{lang}")
        articles, spare, names = build_articles(lang, n, seed)
        people[lang] = names
        headlines[lang] = [a.title for a in articles] + [a.title for a in spare[:n]]
        vocab = sorted({w for a in articles + spare for p in a.paragraphs for s in p for w in _WORDLIKE.findall(s)
                        if len(w) >= 4})
        editor = Editor(vocab)
        extra_paragraphs = [p for a in spare[n:] for p in a.paragraphs]
        rng.shuffle(extra_paragraphs)
        sites = SITES[lang]
        originals: list[Doc] = []
        for i, a in enumerate(articles):
            site = sites[i % len(sites)]
            doc = Doc("", lang, site, a.id, "original", a.date, a.title)
            doc.items.append(Item(a.title, {"label": "content", "passage": f"{a.id}-t", "part": "title"}))
            for j, p in enumerate(a.paragraphs):
                label = {"label": "content", "passage": f"{a.id}-p{j}", "part": "paragraph"}
                doc.items.append(Item(" ".join(p), label))
            originals.append(doc)
        copies: list[Doc] = []
        for doc, a in zip(originals, articles, strict=True):
            if rng.random() >= 0.4:
                continue
            targets = [s for s in sites if s != doc.site]
            for site in rng.sample(targets, 1 if rng.random() < 0.7 else 2):
                rate = rng.choice(RATES)
                copy = Doc("", lang, site, a.id, "syndicated", a.date, a.title)
                title, k = editor.substitute(a.title, rate, rng, minimum=0)
                copy.title = title
                copy.items.append(Item(title, {"label": "duplicate", "of": f"{a.id}-t", "edit_rate": rate, "edits": k,
                                               "dropped_sentences": 0, "how": "syndicated", "part": "title"}))
                keep = [j for j in range(len(a.paragraphs)) if rng.random() < 0.88] or [0]
                for j in keep:
                    sents = list(a.paragraphs[j])
                    dropped = 0
                    if len(sents) >= 3 and rng.random() < 0.2:
                        sents.pop(rng.randrange(len(sents)))
                        dropped = 1
                    text, k = editor.substitute(" ".join(sents), rate, rng, minimum=1)
                    copy.items.append(Item(text, {"label": "duplicate", "of": f"{a.id}-p{j}", "edit_rate": rate,
                                                  "edits": k, "dropped_sentences": dropped, "how": "syndicated",
                                                  "part": "paragraph"}))
                if extra_paragraphs and rng.random() < 0.3:
                    extra = extra_paragraphs.pop()
                    at = 1 if rng.random() < 0.5 else len(copy.items)
                    copy.items.insert(at, Item(" ".join(extra), {"label": "content",
                                                                  "passage": f"{a.id}-{site}-x", "part": "paragraph"}))
                copies.append(copy)
        # Quotes: a paragraph of one article repeated inside another article of the language.
        pool = originals + copies
        for q in range(max(2, n // 6)):
            source = rng.choice(articles)
            target = rng.choice([d for d in pool if d.article != source.id])
            j = rng.randrange(len(source.paragraphs))
            rate = rng.choice(RATES)
            text, k = editor.substitute(" ".join(source.paragraphs[j]), rate, rng, minimum=1)
            at = rng.randint(2, len(target.items))  # after the first paragraph at the earliest
            target.items.insert(at, Item(text, {"label": "duplicate", "of": f"{source.id}-p{j}", "edit_rate": rate,
                                                "edits": k, "dropped_sentences": 0, "how": "quote",
                                                "part": "paragraph", "quote": q}))
        for doc in originals + copies:
            year = doc.date[:4]
            tag = f"{hash_str(doc.article + doc.site + str(seed)) % 0xFFFFFF:06x}"
            doc.path = f"{lang}-{doc.site}/{year}/{slugify(doc.title)}-{tag}.txt"
        docs.extend(originals + copies)
    # Which content passages have no planted copy anywhere: the unique content.
    copied = {it.label["of"] for d in docs for it in d.items if it.label["label"] == "duplicate"}
    for d in docs:
        for it in d.items:
            if it.label["label"] == "content":
                it.label["unique"] = it.label["passage"] not in copied
    return docs, headlines, people


def hash_str(text: str) -> int:
    """A stable hash (Python's hash() changes between runs)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=6).digest(), "big")


# ---- boilerplate -------------------------------------------------------------------------------------


@dataclass
class Placed:
    variant: templates.Variant
    where: str


@dataclass
class SiteProfile:
    site: str
    name: str
    lang: str
    blank: str  # none, all or paragraphs
    families: dict[str, list[Placed]]
    foot_order: list[str]


def site_profiles(template_set: str, seed: int) -> dict[str, SiteProfile]:
    profiles = {}
    for lang in prose.LANGUAGES:
        by_family = templates.variants(template_set, lang)
        for site in SITES[lang]:
            rng = random.Random(f"{seed}:{template_set}:site:{site}")
            families: dict[str, list[Placed]] = {}
            for family in templates.FAMILIES:
                options = by_family.get(family, [])
                if not options or rng.random() >= FAMILY_P[family]:
                    continue
                chosen = rng.sample(options, min(len(options), rng.choice((1, 2, 2, 3))))
                families[family] = [Placed(v, rng.choice(v.where)) for v in chosen]
            order = list(FOOT_ORDER)
            for _ in range(3):  # sites differ a little in the order of their footer widgets
                i, j = rng.randrange(len(order)), rng.randrange(len(order))
                order[i], order[j] = order[j], order[i]
            profiles[site] = SiteProfile(site, SITE_NAMES[site], lang, rng.choice(("none", "all", "paragraphs")),
                                         families, order)
    return profiles


def format_date(date: str, lang: str, style: str) -> str:
    y, m, d = (int(x) for x in date.split("-"))
    month = templates.MONTHS[lang][m - 1]
    return {
        "date_en": f"{month} {d}, {y}", "d_month_y": f"{d} {month} {y}", "date_de": f"{d}. {month} {y}",
        "date_num_de": f"{d:02d}.{m:02d}.{y}", "date_es": f"{d} de {month} de {y}",
        "date_slash": f"{d:02d}/{m:02d}/{y}",
    }[style]


def page_context(doc: Doc, profile: SiteProfile, headlines: list[str], names: list[str],
                 rng: random.Random) -> dict[str, Any]:
    lang = doc.lang
    tags = rng.sample(templates.TOPICS[lang], rng.randint(3, 5))
    hashtags = " ".join("#" + re.sub(r"\W+", "", t.title()) for t in tags)
    ctx: dict[str, Any] = {
        "title": doc.title, "site": profile.name, "SITE": profile.name.upper(), "author": rng.choice(names),
        "author2": rng.choice(names), "photographer": rng.choice(names), "n": rng.randint(2, 480),
        "h": rng.randint(1, 23), "mins": rng.randint(2, 12), "year": doc.date[:4],
        "time": f"{rng.randint(6, 22):02d}:{rng.choice((0, 5, 12, 18, 30, 41, 55)):02d}",
        "tags": ", ".join(tags), "tags_dot": " · ".join(tags), "tags_pipe": " | ".join(tags), "hashtags": hashtags,
        "tag": tags[0], "tag2": tags[1], "tag_list": tags, "handle": re.sub(r"\W+", "", profile.name),
        "regno": f"{rng.randint(1000000, 9999999)}", "section": templates.SECTION[lang],
        "headlines": [h for h in headlines if h != doc.title and fold(h) != fold(doc.title)],
    }
    for style in ("date_en", "d_month_y", "date_de", "date_num_de", "date_es", "date_slash"):
        ctx[style] = format_date(doc.date, lang, style)
    return ctx


def render_block(variant: templates.Variant, ctx: dict[str, Any], rng: random.Random) -> list[str]:
    lines: list[str] = []
    for template in variant.lines:
        if template.startswith("@"):
            kind, fmt = template.split(" ", 1)
            k = rng.randint(3, 5)
            if kind == "@headlines":
                items = rng.sample(ctx["headlines"], k)
                for i, h in enumerate(items, 1):
                    ago = templates.AGO[ctx["lang"]].format(h=rng.randint(2, 23))
                    lines.append(fmt.format(headline=h, i=i, ago=ago))
            elif kind == "@toc":
                entries = templates.TOC_ENTRIES[ctx["lang"]]
                start = rng.randrange(len(entries) - k + 1)
                for i, e in enumerate(entries[start:start + k], 1):
                    lines.append(fmt.format(entry=e, i=i))
            elif kind == "@tags":
                for t in ctx["tag_list"]:
                    lines.append(fmt.format(tag=t))
            continue
        headline = rng.choice(ctx["headlines"])
        lines.append(template.format(headline=headline, **{k: v for k, v in ctx.items() if k != "headline"}))
    return lines


def render(doc: Doc, profile: SiteProfile, headlines: list[str], names: list[str], template_set: str,
           seed: int) -> tuple[str, list[dict[str, Any]]]:
    rng = random.Random(f"{seed}:{template_set}:page:{doc.path}")
    ctx = page_context(doc, profile, headlines, names, rng)
    ctx["lang"] = doc.lang
    Line = tuple[str, dict[str, Any]]

    def blocks(where: str) -> list[list[Line]]:
        out: list[list[Line]] = []
        families = list(profile.families) if where != "foot" else [f for f in profile.foot_order
                                                                     if f in profile.families]
        for family in families:
            placed = [p for p in profile.families[family] if p.where == where]
            if not placed or rng.random() >= 0.85:
                continue
            p = rng.choice(placed)
            label = {"label": "boilerplate", "family": family, "variant": p.variant.id}
            out.append([(text, label) for text in render_block(p.variant, ctx, rng)])
        return out

    pre, post, foot = blocks("pre"), blocks("post"), blocks("foot")
    body: list[list[Line]] = [[(it.text, it.label)] for it in doc.items[1:]]
    inline = [p for ps in profile.families.values() for p in ps if p.where == "inline"]
    for p in inline:
        if len(body) >= 2 and rng.random() < 0.5:
            label = {"label": "boilerplate", "family": p.variant.family, "variant": p.variant.id}
            body.insert(rng.randint(1, len(body) - 1), [(t, label) for t in render_block(p.variant, ctx, rng)])
    title = [(doc.items[0].text, doc.items[0].label)]
    groups = [*pre, title, *post, *body, *foot]

    lines: list[Line] = []
    blank: Line = ("", {"label": "blank"})
    for i, group in enumerate(groups):
        is_content = any(lab["label"] != "boilerplate" for _, lab in group)
        prev_content = i > 0 and any(lab["label"] != "boilerplate" for _, lab in groups[i - 1])
        if i and (profile.blank == "all" or (profile.blank == "paragraphs" and (is_content or prev_content))):
            lines.append(blank)
        lines.extend(group)
    text = "\n".join(t for t, _ in lines) + "\n"
    labels = [{"line": n, **lab} for n, (_, lab) in enumerate(lines, 1)]
    return text, labels


def generate(out: Path, template_set: str, size: str = "small", seed: int = 1) -> dict[str, Any]:
    """Write one corpus; returns its meta data. ``out`` is replaced if it holds an earlier corpus."""
    if template_set not in templates.SETS:
        raise SystemExit(f"unknown template set {template_set!r}; use one of {sorted(templates.SETS)}")
    templates.check_disjoint()
    if out.exists():
        if not (out / "meta.json").is_file():
            raise SystemExit(f"{out}: exists and is not a generated corpus (no meta.json); choose another folder")
        shutil.rmtree(out)
    docs, headlines, people = plan_content(size, seed)
    profiles = site_profiles(template_set, seed)
    out.mkdir(parents=True)
    records = []
    for doc in sorted(docs, key=lambda d: d.path):
        text, labels = render(doc, profiles[doc.site], headlines[doc.lang], people[doc.lang], template_set, seed)
        target = out / doc.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
        records.append({"doc": doc.path, "lang": doc.lang, "site": doc.site, "article": doc.article, "role": doc.role,
                        "lines": labels})
    with (out / "labels.jsonl").open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    counts: dict[str, int] = {}
    for r in records:
        for lab in r["lines"]:
            counts[lab["label"]] = counts.get(lab["label"], 0) + 1
    meta = {
        "template_set": template_set, "size": size, "seed": seed, "documents": len(records), "lines": counts,
        "source": {"package": f"{prose.PACKAGE}=={prose.VERSION}", "wheel_sha256": prose.SHA256,
                   "files": [prose.MEMBERS[lang] for lang in prose.LANGUAGES],
                   "data": "ParlSpeech V2 samples (Rauh & Schwalbach 2020, doi:10.7910/DVN/L4OAKN)"},
        "sites": {s: {"blank": p.blank, "families": {f: [x.variant.id + "@" + x.where for x in ps]
                                                     for f, ps in p.families.items()}}
                  for s, p in sorted(profiles.items())},
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the corpus into (replaced if generated before)")
    parser.add_argument("--set", dest="template_set", default="tuning", choices=sorted(templates.SETS))
    parser.add_argument("--size", default="small", choices=sorted(SIZES))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    meta = generate(args.out, args.template_set, args.size, args.seed)
    print(f"wrote {meta['documents']} documents to {args.out} ({meta['lines']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
