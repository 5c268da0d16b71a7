"""Topic classification of French texts: the one implementation behind the warehouse and the CLI.

The taxonomy is a CSV that community managers edit (the dbt seed
`dbt_project/seeds/topic_taxonomy.csv`: `topic,label,keywords`, keywords separated by
`|`). The same `Taxonomy.classify` runs inside DuckDB as the UDF `sp_topics` (see
`socialpulse.dbt_udfs`, which builds `marts.bdg_post_topics`) and behind
`socialpulse topics classify|evaluate`, so what a community manager tries on a CSV is
exactly what the next build will do. Nothing here imports dbt, DuckDB or Airflow.

How a text is read (every rule applies to keywords and texts alike, so a keyword
matches however the post spells it):

* case and accents are folded (`GREVE`, `greve` and `grève` are one word), œ/æ
  become oe/ae; but a word written *with* accents must carry the keyword's own, so
  that `élevé` (high) is not `élève` (pupil) and `garé` is not `gare` (keywords are
  written with their French accents); web addresses are dropped (a link's path is
  not what the post says);
* words are runs of letters and digits: apostrophes and hyphens separate words
  (`l'emploi` -> `l emploi`), so a keyword only ever matches whole words (`bus` never
  matches `abusif`, `TER` never `terrain`);
* a hashtag is split into its words, including at case changes
  (`#TransportsRégionaux` -> `transports regionaux`, `#TERValdArgent` -> `ter vald argent`);
  a hashtag is the author's own tagging, so a keyword found in one weighs double;
  a phrase also matches its words glued together in a hashtag (`circuit court`
  finds `#circuitscourts`, `transition écologique` finds `#transitionécologique`).

Keyword syntax (one `|`-separated cell per topic):

* `gare`: the word, singular or plural (`gare`, `gares`; `régional` also finds
  `régionaux`, `travail` `travaux`, `jeu` `jeux`; `transports` also finds `transport`);
* `car scolaire`: a phrase, every word singular or plural (`cars scolaires`);
* `lycé*`: any word starting with `lycé` (`lycée`, `lycéens`…; at least 3 letters);
* `-en ligne`: an exception: the words it covers count for no topic (`inscription en
  ligne` is not about a bus line).

How topics are chosen (multi-label):

1. The text is read left to right; at each word the longest keyword (or exception)
   that starts there wins and its words are consumed, so `jeunes agriculteurs`
   (agriculture) is not also `jeunes` (jeunesse). A phrase listed under several
   topics counts for each of them.
2. Each match adds 1 to its topic's score (2 inside a hashtag).
3. Every topic scoring more than half of the best score is kept: the post's main
   subject(s), not a passing mention ("Pass Jeunes : 20 € pour la culture et le
   sport" is jeunesse, not culture nor sport). Topics come out sorted.
4. No match at all (or no text) gives `["autre"]`.

Later text features of the moderation queue (question detection, an abuse lexicon)
reuse `words` and `Phrases` from here, each in a module of its own.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from itertools import product
from pathlib import Path

FALLBACK_TOPIC = "autre"
FALLBACK_LABEL = "Autre (aucun thème reconnu)"
TAXONOMY_COLUMNS = ("topic", "label", "keywords")
KEYWORD_SEPARATOR = "|"
HASHTAG_WEIGHT = 2
"""A keyword found in a hashtag counts this many times: the author tagged the post with it."""
SECONDARY_SHARE = 0.5
"""A topic is kept when its score is more than this share of the best topic's score."""
MIN_PREFIX = 3

_TOPIC_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# a hashtag (its body may contain underscores) or a word, optionally followed by `*`
_WORD = re.compile(r"#(?P<tag>\w+)|(?P<word>[^\W_]+)(?P<star>\*)?")
_FOLD = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l"})


# -- reading text ------------------------------------------------------------------


def fold(text: str) -> str:
    """Casefold and strip accents: `Élèves` -> `eleves`, `Œuvre` -> `oeuvre`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _camel_parts(tag: str) -> list[str]:
    """Split at case changes and digits: `TERValdArgent` -> [TER, Vald, Argent]; `JO2024` -> [JO, 2024]."""
    parts: list[str] = []
    start = 0
    for i in range(1, len(tag)):
        prev, cur, nxt = tag[i - 1], tag[i], tag[i + 1] if i + 1 < len(tag) else ""
        if (
            (prev.islower() and cur.isupper())
            or (prev.isupper() and cur.isupper() and nxt.islower())
            or (prev.isdigit() != cur.isdigit())
        ):
            parts.append(tag[start:i])
            start = i
    parts.append(tag[start:])
    return parts


@dataclass(frozen=True)
class Word:
    """One word of a text: `text` folded, `raw` casefolded with its accents; from a hashtag; written `word*`."""

    text: str
    raw: str
    hashtag: bool = False
    prefix: bool = False

    @classmethod
    def of(cls, token: str, *, hashtag: bool = False, prefix: bool = False) -> Word:
        return _word(token, hashtag, prefix)

    @property
    def accented(self) -> bool:
        return self.raw != self.text


@lru_cache(maxsize=1 << 16)
def _word(token: str, hashtag: bool, prefix: bool) -> Word:
    """A text's vocabulary is small and repeats: each token is folded once (Words are frozen)."""
    raw = token.casefold().translate(_FOLD)  # a ligature is a spelling, not an accent
    return Word(fold(raw), raw, hashtag, prefix)


def words(text: str | None) -> list[Word]:
    """The words of a text, in order (the reading rules of the module docstring)."""
    if not text:
        return []
    text = _URL.sub(" ", unicodedata.normalize("NFC", text))
    out: list[Word] = []
    for match in _WORD.finditer(text):
        tag = match.group("tag")
        if tag is not None:
            for piece in tag.split("_"):
                out.extend(Word.of(p, hashtag=True) for p in _camel_parts(piece) if p)
        else:
            out.append(Word.of(match.group("word"), prefix=match.group("star") is not None))
    return out


def normalise(text: str | None) -> str:
    """The text as the classifier reads it: folded words separated by single spaces."""
    return " ".join(w.text for w in words(text))


# -- keywords and phrases ----------------------------------------------------------


def word_forms(word: str) -> frozenset[str]:
    """A folded word and its French plural (or singular) forms.

    Written singular: + s, + x after au/eu, al -> aux, ail -> aux. Written plural:
    - s (words of 5 letters or more, so `bus` stays `bus`), aux -> al/ail, eux/aux -> eu/au.
    """
    forms = {word}
    if word.endswith(("s", "x", "z")):
        if word.endswith("aux") and len(word) > 4:
            forms |= {word[:-3] + "al", word[:-3] + "ail", word[:-1]}
        elif word.endswith("x") and word[:-1].endswith(("eau", "au", "eu", "ou")):
            forms.add(word[:-1])
        elif word.endswith("s") and len(word) >= 5:
            forms.add(word[:-1])
    else:
        forms.add(word + "s")
        if word.endswith(("au", "eu")):
            forms.add(word + "x")
        if word.endswith("al"):
            forms.add(word[:-2] + "aux")
        if word.endswith("ail"):
            forms.add(word[:-3] + "aux")
    return frozenset(forms)


@dataclass(frozen=True)
class _Slot:
    """One word of a phrase: its accepted forms (folded, and as written), or a prefix.

    A text word written without accents matches by its folded form (`eleves`,
    `ELEVES`); one written with accents must have the keyword's own (`élèves`), so
    that `élevé` (high) is not `élève` (pupil) and `garé` is not `gare`.
    """

    forms: frozenset[str] = frozenset()
    accented: frozenset[str] = frozenset()
    """The same forms as written, accents kept."""
    prefix: str = ""
    accented_prefix: str = ""

    @classmethod
    def of(cls, word: Word) -> _Slot:
        if word.prefix:
            return cls(prefix=word.text, accented_prefix=word.raw)
        raw_forms = word_forms(word.raw)
        return cls(forms=frozenset(fold(f) for f in raw_forms), accented=raw_forms)

    def accepts(self, word: Word) -> bool:
        if self.prefix:
            return word.raw.startswith(self.accented_prefix) if word.accented else word.text.startswith(self.prefix)
        return word.raw in self.accented if word.accented else word.text in self.forms


@dataclass(frozen=True)
class Phrase:
    """A parsed keyword: its slots, the label it credits (None for an exception), its source text."""

    source: str
    slots: tuple[_Slot, ...]
    label: str | None
    hashtag_only: bool = False

    def matches_at(self, text: Sequence[Word], start: int) -> bool:
        if start + len(self.slots) > len(text) or (self.hashtag_only and not text[start].hashtag):
            return False
        return all(slot.accepts(text[start + i]) for i, slot in enumerate(self.slots))

    def glued(self) -> Phrase | None:
        """The phrase's words written together, as in `#circuitscourts`; None for one word or a prefix."""
        if len(self.slots) < 2 or any(slot.prefix for slot in self.slots):
            return None
        forms = frozenset("".join(parts) for parts in product(*(sorted(slot.forms) for slot in self.slots)))
        accented = frozenset("".join(parts) for parts in product(*(sorted(slot.accented) for slot in self.slots)))
        return Phrase(self.source, (_Slot(forms=forms, accented=accented),), self.label, hashtag_only=True)


class KeywordError(ValueError):
    """A keyword that cannot be used; the message says why."""


def parse_keyword(source: str, label: str | None) -> Phrase:
    """`car scolaire`, `lycé*`, `#TransportsRégionaux` -> a Phrase (label None: an exception)."""
    parsed = words(source)
    if source.count("*") != sum(w.prefix for w in parsed):
        raise KeywordError(f"{source!r}: '*' may only end a word (as in 'lycé*')")
    if not parsed:
        raise KeywordError(f"{source!r} has no letters or digits")
    for w in parsed:
        if w.prefix and len(w.text) < MIN_PREFIX:
            raise KeywordError(f"{source!r}: a prefix needs at least {MIN_PREFIX} letters before '*'")
    return Phrase(source=source, slots=tuple(_Slot.of(w) for w in parsed), label=label)


@dataclass(frozen=True)
class Match:
    """A phrase found in a text: which, where (word index), whether in a hashtag."""

    phrase: Phrase
    start: int
    hashtag: bool


class Phrases:
    """Leftmost-longest matching of many phrases over a text's words.

    Indexed by the forms of each phrase's first word, and prefix phrases by their first
    MIN_PREFIX letters, so a text costs two dict lookups per word whatever the lexicon's size.
    """

    def __init__(self, phrases: Iterable[Phrase]):
        self._by_first: dict[str, list[Phrase]] = {}
        self._by_prefix: dict[str, list[Phrase]] = {}
        for phrase in phrases:
            first = phrase.slots[0]
            if first.prefix:
                self._by_prefix.setdefault(first.prefix[:MIN_PREFIX], []).append(phrase)
            else:
                for form in first.forms:
                    self._by_first.setdefault(form, []).append(phrase)

    def find(self, text: Sequence[Word]) -> list[list[Match]]:
        """Groups of equally long matches starting at the same word, left to right."""
        found: list[list[Match]] = []
        i = 0
        while i < len(text):
            word = text[i].text
            candidates = self._by_first.get(word, [])
            prefixed = self._by_prefix.get(word[:MIN_PREFIX])
            if prefixed:
                candidates = candidates + [p for p in prefixed if word.startswith(p.slots[0].prefix)]
            best: list[Phrase] = []
            for phrase in candidates:
                if phrase.matches_at(text, i):
                    if not best or len(phrase.slots) > len(best[0].slots):
                        best = [phrase]
                    elif len(phrase.slots) == len(best[0].slots):
                        best.append(phrase)
            if best:
                found.append([Match(p, i, text[i].hashtag) for p in best])
                i += len(best[0].slots)
            else:
                i += 1
        return found


# -- the taxonomy ------------------------------------------------------------------


class TaxonomyError(ValueError):
    """A taxonomy file that cannot be used; the message names the file, line and column."""

    def __init__(self, path: Path | str, message: str, *, line: int | None = None, column: str | None = None):
        where = str(path) + (f", line {line}" if line is not None else "") + (f", column {column!r}" if column else "")
        super().__init__(f"{where}: {message}")
        self.path, self.line, self.column = str(path), line, column


@dataclass(frozen=True)
class Topic:
    topic: str
    label: str
    keywords: tuple[str, ...]
    """As written in the file (exceptions keep their leading `-`)."""


@dataclass(frozen=True)
class Classification:
    """Topics of one text, with the evidence: matched keywords and scores per topic."""

    topics: list[str]
    scores: dict[str, int] = field(default_factory=dict)
    matches: dict[str, list[str]] = field(default_factory=dict)

    def explain(self) -> str:
        """`transports=4 (ter, gare, #transports); culture=1 (festival)`, best first."""
        ranked = sorted(self.scores.items(), key=lambda item: (-item[1], item[0]))
        return "; ".join(f"{t}={s} ({', '.join(self.matches[t])})" for t, s in ranked)


class Taxonomy:
    """Validated topics and their compiled keywords. Build with `load_taxonomy` or `Taxonomy.parse`."""

    def __init__(self, topics: Sequence[Topic], phrases: Sequence[Phrase], source: str = "<taxonomy>"):
        self.topics = tuple(topics)
        self.source = source
        self._phrases = Phrases(phrases)

    @property
    def topic_ids(self) -> list[str]:
        """The taxonomy's topics in file order, then `autre`."""
        return [t.topic for t in self.topics] + [FALLBACK_TOPIC]

    def classify(self, text: str | None) -> list[str]:
        """Sorted distinct topics of a text, or `["autre"]`. Never raises on any string or None."""
        return self.explain(text).topics

    def explain(self, text: str | None) -> Classification:
        scores: Counter[str] = Counter()
        matches: dict[str, list[str]] = {}
        for group in self._phrases.find(words(text)):
            if any(match.phrase.label is None for match in group):
                continue  # an exception hides its words from every topic
            for match in group:
                label = match.phrase.label
                scores[label] += HASHTAG_WEIGHT if match.hashtag else 1
                shown = ("#" if match.hashtag else "") + match.phrase.source
                if shown not in matches.setdefault(label, []):
                    matches[label].append(shown)
        if not scores:
            return Classification([FALLBACK_TOPIC])
        best = max(scores.values())
        kept = sorted(t for t, s in scores.items() if s > best * SECONDARY_SHARE)
        return Classification(kept, dict(scores), matches)

    @classmethod
    def parse(cls, content: str, source: str = "<taxonomy>") -> Taxonomy:
        """Validate a taxonomy CSV's text; TaxonomyError names the line and column of the first problem."""
        if not content.strip():
            raise TaxonomyError(source, "the file is empty; expected a header 'topic,label,keywords'")
        reader = csv.reader(io.StringIO(content, newline=""))
        header = _check_header([h.strip() for h in next(reader)], source)
        topics: list[Topic] = []
        phrases: list[Phrase] = []
        first_line: dict[str, int] = {}
        line = reader.line_num
        for values in reader:
            record_line, line = line + 1, reader.line_num  # a quoted cell may span lines
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise TaxonomyError(
                    source,
                    f"{len(values)} values for {len(header)} columns (quote a cell that contains a comma)",
                    line=record_line,
                )
            row = {name: value.strip() for name, value in zip(header, values, strict=True)}
            topic = _check_topic(row, first_line, source, record_line)
            phrases.extend(_parse_keywords(row["keywords"], topic.topic, source, record_line))
            first_line[topic.topic] = record_line
            topics.append(topic)
        if not topics:
            raise TaxonomyError(source, "no topic rows under the header")
        return cls(topics, phrases, source)


def _check_header(header: list[str], source: str) -> list[str]:
    if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        raise TaxonomyError(source, "columns must be separated by ',' (save as 'CSV UTF-8, comma-separated')", line=1)
    for name in TAXONOMY_COLUMNS:
        if name not in header:
            expected = ",".join(TAXONOMY_COLUMNS)
            raise TaxonomyError(source, f"missing column; the header must be {expected}", line=1, column=name)
    for name in header:
        if name not in TAXONOMY_COLUMNS:
            expected = ", ".join(TAXONOMY_COLUMNS)
            raise TaxonomyError(source, f"unknown column; expected only {expected}", line=1, column=name)
    if len(set(header)) != len(header):
        raise TaxonomyError(source, "a column appears twice", line=1)
    return header


def _check_topic(row: dict[str, str], first_line: dict[str, int], source: str, line: int) -> Topic:
    topic, label = row["topic"], row["label"]

    def refuse(message: str, column: str = "topic") -> TaxonomyError:
        return TaxonomyError(source, message, line=line, column=column)

    if not _TOPIC_ID.match(topic):
        raise refuse(
            f"{topic!r} is not a topic id: lowercase letters without accents, digits and '_', "
            "starting with a letter (it is the key BI filters on)"
        )
    if topic == FALLBACK_TOPIC:
        raise refuse(f"{FALLBACK_TOPIC!r} is reserved for texts that match no topic")
    if topic in first_line:
        raise refuse(f"topic {topic!r} already defined on line {first_line[topic]}")
    if not label:
        raise refuse(f"topic {topic!r} has no label", "label")
    keywords = tuple(k.strip() for k in row["keywords"].split(KEYWORD_SEPARATOR))
    if not any(keywords):
        raise refuse(f"topic {topic!r} has no keywords", "keywords")
    return Topic(topic, label, keywords)


def _parse_keywords(cell: str, topic: str, source: str, line: int) -> list[Phrase]:
    """The phrases of one `keywords` cell (with their glued hashtag forms)."""
    phrases: list[Phrase] = []
    seen: dict[tuple, str] = {}
    for keyword in (k.strip() for k in cell.split(KEYWORD_SEPARATOR)):
        if not keyword:
            message = "empty keyword (two '|' in a row, or a '|' at an end)"
            raise TaxonomyError(source, message, line=line, column="keywords")
        exception = keyword.startswith("-")
        try:
            phrase = parse_keyword(keyword[1:].strip() if exception else keyword, None if exception else topic)
        except KeywordError as exc:
            raise TaxonomyError(source, str(exc), line=line, column="keywords") from None
        key = tuple((slot.forms, slot.prefix) for slot in phrase.slots)
        if key in seen:
            message = f"{keyword!r} repeats {seen[key]!r} (same words once case, accents and plurals are folded)"
            raise TaxonomyError(source, message, line=line, column="keywords")
        seen[key] = keyword
        phrases.append(phrase)
        glued = phrase.glued()
        if glued is not None:
            phrases.append(glued)
    return phrases


def read_text(path: Path | str) -> str:
    """A CSV file's text: UTF-8 with or without BOM; anything else is refused with a hint."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TaxonomyError(path, f"cannot be read: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise TaxonomyError(path, "not UTF-8 text (save the file as 'CSV UTF-8')", line=line) from None


def load_taxonomy(path: Path | str) -> Taxonomy:
    """Read and validate a taxonomy CSV (`topic,label,keywords`)."""
    return Taxonomy.parse(read_text(path), source=str(path))


def split_topics(cell: str | None) -> list[str]:
    """`transports|culture` -> ['culture', 'transports'] (the CSV form of a topic list)."""
    return sorted({t.strip() for t in (cell or "").split(KEYWORD_SEPARATOR) if t.strip()})


def join_topics(topics: Iterable[str]) -> str:
    return KEYWORD_SEPARATOR.join(topics)


# -- measuring quality -------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """Precision and recall of one label (a topic, a yes/no flag) over labelled texts."""

    support: int
    """Texts labelled with it."""
    predicted: int
    """Texts the rules gave it."""
    true_positives: int

    @property
    def precision(self) -> float | None:
        return self.true_positives / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.support if self.support else None

    def as_dict(self) -> dict:
        return {**asdict(self), "precision": self.precision, "recall": self.recall}


@dataclass(frozen=True)
class TopicScore(Score):
    topic: str = ""


@dataclass(frozen=True)
class Evaluation:
    texts: int
    scores: list[TopicScore]
    exact_matches: int
    """Texts whose predicted topic set equals the expected one."""

    def score(self, topic: str) -> TopicScore:
        return next(s for s in self.scores if s.topic == topic)

    def failures(self, min_precision: float, min_recall: float) -> list[str]:
        """Topics with expected texts that miss a target, as `topic: precision 0.83 < 0.90`."""
        out = []
        for s in self.scores:
            if not s.support:
                continue
            if s.precision is None or s.precision < min_precision:
                out.append(f"{s.topic}: precision {_fmt(s.precision)} < {min_precision:.2f}")
            if s.recall is not None and s.recall < min_recall:
                out.append(f"{s.topic}: recall {_fmt(s.recall)} < {min_recall:.2f}")
        return out

    def as_dict(self) -> dict:
        return {"texts": self.texts, "exact_matches": self.exact_matches, "topics": [s.as_dict() for s in self.scores]}

    def table(self) -> str:
        lines = [f"{'topic':<16}{'support':>9}{'predicted':>11}{'correct':>9}{'precision':>11}{'recall':>8}"]
        for s in self.scores:
            lines.append(
                f"{s.topic:<16}{s.support:>9}{s.predicted:>11}{s.true_positives:>9}"
                f"{_fmt(s.precision):>11}{_fmt(s.recall):>8}"
            )
        share = self.exact_matches / self.texts if self.texts else 0.0
        lines.append(f"{self.texts} texts; exact topic set on {self.exact_matches} ({share:.1%})")
        return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def evaluate(taxonomy: Taxonomy, labelled: Iterable[tuple[str | None, Iterable[str]]]) -> Evaluation:
    """Precision and recall per topic of `taxonomy` on (text, expected topics) pairs.

    Every topic of the taxonomy is reported, then `autre`; precision counts each
    predicted label of each text (multi-label), recall each expected one.
    """
    support: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    texts = exact = 0
    for text, expected in labelled:
        want, got = set(expected), set(taxonomy.classify(text))
        texts += 1
        exact += want == got
        support.update(want)
        predicted.update(got)
        correct.update(want & got)
    order = taxonomy.topic_ids + sorted(set(support) - set(taxonomy.topic_ids))
    return Evaluation(texts, [TopicScore(support[t], predicted[t], correct[t], topic=t) for t in order], exact)


def read_csv_table(path: Path | str, required: Sequence[str]) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """(header, [(line, row)]) of a UTF-8 CSV with the `required` columns; TaxonomyError names what is wrong."""
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    for name in required:
        if name not in header:
            message = f"missing column (the header is {','.join(header) or 'empty'})"
            raise TaxonomyError(path, message, line=1, column=name)
    rows = []
    line = reader.line_num
    for row in reader:
        record_line, line = line + 1, reader.line_num
        if None in row:
            raise TaxonomyError(path, "more values than columns (quote a text that contains a comma)", line=record_line)
        rows.append((record_line, row))
    return header, rows


def read_labelled(path: Path | str, taxonomy: Taxonomy) -> list[tuple[str, list[str]]]:
    """(text, expected topics) of a labelled CSV (`text`, `topics` `|`-separated); unknown topics refused."""
    known = set(taxonomy.topic_ids)
    out = []
    for line, row in read_csv_table(path, ("text", "topics"))[1]:
        expected = split_topics(row["topics"])
        if not expected:
            raise TaxonomyError(
                path, f"no expected topic (write {FALLBACK_TOPIC!r} for none)", line=line, column="topics"
            )
        unknown = [t for t in expected if t not in known]
        if unknown:
            raise TaxonomyError(
                path,
                f"unknown topic {', '.join(map(repr, unknown))}; the taxonomy has {', '.join(taxonomy.topic_ids)}",
                line=line,
                column="topics",
            )
        out.append((row["text"], expected))
    return out
