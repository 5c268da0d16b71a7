"""Comments of "la veille": is it a question, what is it about, is it abusive.

One implementation for the warehouse and the command line, as for topics: the dbt
model `fct_comments` calls these functions as DuckDB UDFs (`sp_is_question`,
`sp_is_abusive`, `sp_abuse_categories`, `sp_main_topic`, registered by
`socialpulse.dbt_udfs`) and `socialpulse comments classify|evaluate` calls them on a
CSV, so a moderator can try a lexicon edit on real comments before the next build
applies it. Nothing here imports dbt, DuckDB or Airflow.

Topics are `socialpulse.topics` with the post taxonomy, unchanged; the *main* topic
of a comment is its best-scoring topic, ties going to the one named first in the text.

Question detection (French, rules, no model). Web addresses and @mentions are
dropped, case and accents folded with `socialpulse.topics.fold` (except `où`, which
must stay apart from `ou`). A comment is a question when any of its sentences is:

* any question mark (`?`, `？`, `❓`, `⁉`…) outside a web address: a question;
* otherwise a sentence that ends with `!` is an exclamation, never a question
  ("Quelle honte !", "Comment ne pas aimer !");
* otherwise (sentence ending with `.`, `…` or nothing, as people type), one of:
  - interrogative forms anywhere: `est-ce que`, `qu'est-ce`, a verb-subject
    inversion (`peut-on`, `y a-t-il`, `sera-t-il`, `puis-je`; `-vous`/`-nous` only
    after verbs that ask, `pouvez-vous`, `savez-vous`…, never the imperatives
    `inscrivez-vous`, `rendez-vous`; not the reporting `dit-il`, `a-t-il ajouté`), a
    preposition before `quel` (`à quelle heure`, `pour quelle raison`, `de quel
    droit`), `combien` (`ça coûte combien`; not `on sait combien`), `c'est quand`,
    `c'est quoi`, a subject and a verb before `quoi` (`vous prévoyez quoi`), `… ou
    quoi`, a request (`je voudrais savoir`, `savoir si`, `me dire quand`, `dites-moi
    si`, `quelqu'un sait`, `petite question`);
  - at the start of a clause (after greetings such as `bonjour`, `svp`, `et`):
    `pourquoi` (not `pourquoi pas`), `comment` (not `comment dire`, `comment ne
    pas`), `quel/quelle/quels/quelles` (not before an exclamative noun or adjective:
    `quel dommage`, `quelle belle journée`; not `quel que soit`);
  - at the start of the sentence only (elsewhere they are relatives or
    conjunctions): `où` (not `où que`), unaccented `ou` only before a verb of place
    (`ou est`, `ou se trouve`), `qui` before a verb that asks (`qui peut`, `qui
    contacter`), `que faire`, `possible de`, and `quand` when the sentence is one
    clause and no subject pronoun follows (`quand la ligne rouvre` asks; `quand je
    vois ça, …` and `quand même` do not);
  - ending with `quand`, `où`, `pourquoi`, `comment`, maybe followed by
    `exactement`, `donc`, `svp`… (`on s'inscrit où`), except `n'importe quand`.

Abuse flag: the editable lexicon (dbt seed `dbt_project/seeds/abuse_lexicon.csv`:
`term,category,note`), matched with the very keyword rules of the taxonomy
(`socialpulse.topics.Phrases`: whole words, case and accents folded, plurals, phrases,
`prefix*`, hashtags split, leftmost-longest); a term written `-like this` with the
category `exception` hides the words it covers (`match nul` is not an insult). A
comment is abusive when any term matches; its categories say which kinds (insulte,
menace, haine, vulgarite, denigrement…).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from socialpulse.topics import (
    FALLBACK_TOPIC,
    Classification,
    Evaluation,
    KeywordError,
    Phrase,
    Phrases,
    Score,
    Taxonomy,
    TaxonomyError,
    fold,
    load_taxonomy,
    parse_keyword,
    read_csv_table,
    read_text,
    split_topics,
    words,
)
from socialpulse.topics import evaluate as evaluate_topics

LEXICON_COLUMNS = ("term", "category", "note")
REQUIRED_LEXICON_COLUMNS = ("term", "category")
EXCEPTION_CATEGORY = "exception"
_CATEGORY_ID = re.compile(r"^[a-z][a-z0-9_]*$")


# -- questions ---------------------------------------------------------------------

QUESTION_MARKS = "?？❓❔⁇⁈⁉"
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w@])@[\w.-]+(?:@[\w.-]+)?")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "‐": "-", "‑": "-"})
_LETTERS = re.compile(r"[^\W\d_]+")
_SENTENCE = re.compile(r"[^.!…\n]+[.!…]*")
_CLAUSE_SPLIT = re.compile(r"(?<!\d),|,(?!\d)|[;:()\"«»]|\s[-–—]\s")
_LEAD = re.compile(
    r"^(?:(?:bonjour|bonsoir|salut|hello|coucou|madame|monsieur|mesdames|messieurs|et|mais|alors|donc|"
    r"sinon|du coup|euh|bref|svp|stp|s'il vous plait|s'il te plait|excusez-moi|pardon|oui|non|ok|"
    r"d'accord|merci|au fait|enfin|bon|ah|oh|hum|re)\b[\s,.;:!-]*)+"
)
_QUEL = r"quel(?:le)?s?"
_EXCLAMATIVE = (
    "dommage|honte|horreur|bonheur|plaisir|joie|chance|galere|blague|bazar|bordel|cirque|catastrophe|gachis|"
    "scandale|arnaque|misere|pitie|tristesse|deception|surprise|fierte|merveille|magnifique|superbe|super|"
    "belle|beau|bel|beaux|belles|bonne|bon|bons|bonnes|excellente|excellent|jolie|joli|grande|grand|"
    "mauvaise|mauvais|sale|triste|incroyable|genial|geniale|idee|ambiance|travail|talent|emotion|reussite|"
    "spectacle|vue|image|photo|soiree|journee|mepris|manque|foutage|bande|pagaille|folie|enfer|calvaire|"
    "cauchemar|plaie|lenteur|incompetence|gestion|gaspillage|ridicule|naze|nul|nulle|desastre"
)
# verbs after which `-vous`/`-nous` ask (`pouvez-vous`); any other is an imperative (`inscrivez-vous`)
_ASKING_VERBS = frozenset(
    "pouvez pourriez savez sauriez avez auriez etes seriez allez irez comptez prevoyez pensez voulez voudriez "
    "devez devriez connaissez croyez trouvez acceptez envisagez proposez recrutez ouvrez remboursez organisez "
    "avions pouvons pourrions devons devrions allons sommes avons aurons serons pourrons saurons".split()
)
# `dit-il`, `ajoute-t-elle`: a reported speech tag, not a question
_REPORTING_VERBS = frozenset(
    "dit dis ajoute precise explique affirme rappelle souligne indique declare annonce poursuit conclut "
    "raconte confie estime assure insiste semble parait repond reprend".split()
)
# `a-t-il dit`, `a-t-elle ajouté`: the same, with an auxiliary
_REPORTING_PARTICIPLES = frozenset(
    "dit ajoute precise explique affirme rappele souligne indique declare annonce poursuivi conclu raconte "
    "confie estime assure insiste repondu repris".split()
)
_INVERSION = re.compile(r"\b([a-z]+)-(?:t-)?(je|tu|il|elle|on|ils|elles|vous|nous)\b(?: ([a-z]+))?")

_ANYWHERE: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("est-ce que", r"\best-ce\b|\best ce (?:que|qu')"),
        ("inversion -t-", r"\b[a-z]+ t (?:il|elle|on|ils|elles)\b"),
        ("inversion", r"\b(?:peut|doit|faut|puis|dois|peux) (?:on|il|elle|je|tu)\b(?! y\b)"),
        (
            "preposition + quel",
            rf"\b(?:a|de|pour|dans|en|sur|par|vers|jusqu'a|avec|depuis|chez|sous) {_QUEL}\b(?! point\b)",
        ),
        ("c'est quand/quoi/combien", r"\bc'est (?:pour )?(?:quand|où|quoi|combien|qui)\b"),
        (
            "savoir si/quand/…",
            rf"\bsavoir (?:si|s'il|s'ils|s'elle|quand|ou|où|comment|pourquoi|combien|{_QUEL}|qui|a {_QUEL}|ce qu)\b",
        ),
        (
            "me dire si/quand/…",
            rf"\b(?:me |m'|nous )(?:dire|indiquer|preciser|expliquer|confirmer) "
            rf"(?:si|s'il|quand|ou|où|comment|pourquoi|combien|{_QUEL}|a {_QUEL}|qui)\b",
        ),
        (
            "quelqu'un sait",
            r"\b(?:quelqu'un|quelqu un|qqn) (?:sait|saurait|connait|a une idee|aurait une idee|"
            r"a des (?:infos|nouvelles|informations)|peut me|pourrait me|peut nous|pourrait nous|peut m'|pourrait m')",
        ),
        ("une question", r"\b(?:petite|simple|une|ma|autre) question\b(?! de\b| d')"),
        (
            "je voudrais savoir",
            r"\b(?:je |j'|on |nous )(?:voudrais|voudrait|voudrions|aimerais|aimerait|aimerions|souhaiterais|souhaite|"
            r"souhaiterions|cherche a|cherche|veux|veut) (?:savoir|connaitre|des (?:infos|informations|renseignements|"
            r"precisions)|un renseignement|une information|une info|plus d'(?:infos|informations))\b",
        ),
        ("ou quoi", r"\bou quoi$"),
        ("combien", r"(?<!sait )(?<!savons )\bcombien\b"),
        ("verb + quoi", r"\b(?:vous|on|tu|il|elle|ils|elles) (?!sai[st]\b|savez\b)[a-z]+ quoi\b"),
        (
            "dites-moi si/quand/…",
            rf"\b(?:dites|dis)-(?:moi|nous) (?:si|s'il|quand|ou|où|comment|pourquoi|combien|{_QUEL}|a {_QUEL}|qui)\b",
        ),
    )
)
_CLAUSE_START: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("pourquoi", r"^pourquoi\b(?! pas\b)"),
        ("comment", r"^comment\b(?! (?:dire|vous dire|te dire|lui dire|ne pas|ne plus)\b| n')"),
        ("quel", rf"^{_QUEL}\b(?! (?:que\b|qu'|(?:{_EXCLAMATIVE})\b))"),
    )
)
_SENTENCE_START: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("où", r"^où\b(?! que\b| qu')"),
        (
            "ou (où)",
            r"^ou (?:est|sont|se trouve|se trouvent|trouver|acheter|aller|s'inscrire|peut|puis|faut|en est|en sont|"
            r"passe|passent|part|partent|s'arrete)\b",
        ),
        (
            "qui",
            r"^qui (?:peut|pourrait|sait|saurait|dois|doit|faut|contacter|appeler|joindre|s'occupe|gere|decide|"
            r"est le|est la|sont les)\b",
        ),
        ("que faire", r"^que faire\b"),
        ("possible de", r"^possible d(?:e\b|')"),
    )
)
_QUAND = re.compile(
    r"^quand\b(?! (?:meme|bien meme|je|on|tu|nous|vous|il|elle|ils|elles|ca|cela|ceux|celui|tout)\b| j'| c')"
)
_ENDS_WITH = re.compile(
    r"(?<!importe )\b(?:quand|où|pourquoi|comment)"
    r"(?: (?:exactement|donc|alors|au juste|precisement|svp|stp|s'il vous plait|encore|enfin|finalement))?$"
)


def _prepare(text: str) -> str:
    """Casefolded, accents folded with `fold` except in `où`; links, mentions and curly quotes normalised."""
    text = unicodedata.normalize("NFC", text)
    text = _MENTION.sub(" ", _URL.sub(" ", text)).translate(_APOSTROPHES).casefold()
    return _LETTERS.sub(lambda m: m.group() if m.group() == "où" else fold(m.group()), text)


def _clauses(sentence: str) -> list[str]:
    """The sentence's clauses, greetings and leading symbols removed; empty ones dropped."""
    out = []
    for part in _CLAUSE_SPLIT.split(sentence):
        part = re.sub(r"^[\W_]+", "", part.strip())
        part = _LEAD.sub("", part).strip()
        part = re.sub(r"[\W_]+$", "", part)
        if part:
            out.append(part)
    return out


def question_reason(text: str | None) -> str | None:
    """Which rule makes the text a question (`question mark`, `starts with pourquoi`…), or None."""
    if not text:
        return None
    visible = _MENTION.sub(" ", _URL.sub(" ", text))
    if any(mark in visible for mark in QUESTION_MARKS):
        return "question mark"
    prepared = _prepare(text)
    for match in _SENTENCE.finditer(prepared):
        sentence = match.group()
        body = sentence.rstrip(".!… \t")
        if "!" in sentence[len(body) :]:
            continue
        reason = _sentence_reason(body)
        if reason:
            return reason
    return None


def _sentence_reason(body: str) -> str | None:
    clauses = _clauses(body)
    if not clauses:
        return None
    whole = " ".join(clauses)
    for name, pattern in _ANYWHERE:
        if any(pattern.search(clause) for clause in clauses):
            return name
    for found in _INVERSION.finditer(whole):
        verb, pronoun, following = found.groups()
        if verb in _REPORTING_VERBS or following in _REPORTING_PARTICIPLES:
            continue
        if pronoun in ("vous", "nous") and verb not in _ASKING_VERBS:
            continue
        return f"inversion {verb}-{'t-' if '-t-' in found.group() else ''}{pronoun}"
    for clause in clauses:
        for name, pattern in _CLAUSE_START:
            if pattern.search(clause):
                return f"starts with {name}"
    first = clauses[0]
    for name, pattern in _SENTENCE_START:
        if pattern.search(first):
            return f"starts with {name}"
    if len(clauses) == 1 and _QUAND.search(first):
        return "starts with quand"
    if len(whole.split()) >= 2 and _ENDS_WITH.search(whole):
        return f"ends with {whole.rsplit(' ', 1)[-1]}"
    return None


def is_question(text: str | None) -> bool:
    """Whether a French comment asks something (rules in the module docstring). Never raises."""
    return question_reason(text) is not None


# -- the abuse lexicon ---------------------------------------------------------------


class LexiconError(TaxonomyError):
    """An abuse lexicon file that cannot be used; the message names the file, line and column."""


@dataclass(frozen=True)
class Term:
    term: str
    category: str
    note: str
    line: int


@dataclass(frozen=True)
class AbuseMatch:
    category: str
    term: str


class Lexicon:
    """Validated lexicon terms, compiled with the taxonomy's phrase matcher. Build with `load_lexicon`."""

    def __init__(self, terms: Sequence[Term], phrases: Sequence[Phrase], source: str = "<lexicon>"):
        self.terms = tuple(terms)
        self.source = source
        self._phrases = Phrases(phrases)

    @property
    def categories(self) -> list[str]:
        """Categories in file order (exceptions left out)."""
        return list(dict.fromkeys(t.category for t in self.terms if t.category != EXCEPTION_CATEGORY))

    def matches(self, text: str | None) -> list[AbuseMatch]:
        """The terms found in the text, left to right; words covered by an exception count for nothing."""
        found: list[AbuseMatch] = []
        for group in self._phrases.find(words(text)):
            if any(match.phrase.label is None for match in group):
                continue
            for match in group:
                hit = AbuseMatch(match.phrase.label or "", match.phrase.source)
                if hit not in found:
                    found.append(hit)
        return found

    def categories_of(self, text: str | None) -> list[str]:
        """Sorted distinct categories of the terms found; [] for a clean text."""
        return sorted({m.category for m in self.matches(text)})

    def is_abusive(self, text: str | None) -> bool:
        return bool(self.matches(text))

    @classmethod
    def parse(cls, content: str, source: str = "<lexicon>") -> Lexicon:
        """Validate a lexicon CSV's text; LexiconError names the line and column of the first problem."""
        if not content.strip():
            raise LexiconError(source, "the file is empty; expected a header 'term,category,note'")
        reader = csv.reader(io.StringIO(content, newline=""))
        header = _lexicon_header([h.strip() for h in next(reader)], source)
        terms: list[Term] = []
        phrases: list[Phrase] = []
        seen: dict[tuple, Term] = {}
        line = reader.line_num
        for values in reader:
            record_line, line = line + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                message = f"{len(values)} values for {len(header)} columns (quote a note that contains a comma)"
                raise LexiconError(source, message, line=record_line)
            row = {name: value.strip() for name, value in zip(header, values, strict=True)}
            term = _lexicon_term(row, source, record_line)
            exception = term.category == EXCEPTION_CATEGORY
            try:
                phrase = parse_keyword(
                    term.term[1:].strip() if exception else term.term, None if exception else term.category
                )
            except KeywordError as exc:
                raise LexiconError(source, str(exc), line=record_line, column="term") from None
            key = tuple((slot.forms, slot.prefix) for slot in phrase.slots)
            if key in seen:
                first = seen[key]
                message = (
                    f"{term.term!r} repeats {first.term!r} of line {first.line} "
                    "(same words once case, accents and plurals are folded)"
                )
                raise LexiconError(source, message, line=record_line, column="term")
            seen[key] = term
            terms.append(term)
            phrases.append(phrase)
            glued = phrase.glued()
            if glued is not None:
                phrases.append(glued)
        if not any(t.category != EXCEPTION_CATEGORY for t in terms):
            raise LexiconError(source, "no term under the header (only exceptions, or nothing)")
        return cls(terms, phrases, source)


def _lexicon_header(header: list[str], source: str) -> list[str]:
    if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        raise LexiconError(source, "columns must be separated by ',' (save as 'CSV UTF-8, comma-separated')", line=1)
    for name in REQUIRED_LEXICON_COLUMNS:
        if name not in header:
            raise LexiconError(
                source, f"missing column; the header must be {','.join(LEXICON_COLUMNS)}", line=1, column=name
            )
    for name in header:
        if name not in LEXICON_COLUMNS:
            expected = ", ".join(LEXICON_COLUMNS)
            raise LexiconError(source, f"unknown column; expected only {expected}", line=1, column=name)
    if len(set(header)) != len(header):
        raise LexiconError(source, "a column appears twice", line=1)
    return header


def _lexicon_term(row: dict[str, str], source: str, line: int) -> Term:
    term, category = row["term"], row["category"]
    if not term:
        raise LexiconError(source, "empty term", line=line, column="term")
    if not _CATEGORY_ID.match(category):
        raise LexiconError(
            source,
            f"{category!r} is not a category: lowercase letters without accents, digits and '_' "
            "(insulte, menace, haine, vulgarite, denigrement, or exception for a '-term')",
            line=line,
            column="category",
        )
    if term.startswith("-") and category != EXCEPTION_CATEGORY:
        message = f"{term!r} is an exception (it starts with '-'): its category must be {EXCEPTION_CATEGORY!r}"
        raise LexiconError(source, message, line=line, column="category")
    if category == EXCEPTION_CATEGORY and not term.startswith("-"):
        message = f"an exception is written with a leading '-' ('-{term}'): the words it covers count for nothing"
        raise LexiconError(source, message, line=line, column="term")
    return Term(term, category, row.get("note", ""), line)


def load_lexicon(path: Path | str) -> Lexicon:
    """Read and validate an abuse lexicon CSV (`term,category,note`).

    LexiconError for its content; a file that cannot be read or is not UTF-8 raises
    the TaxonomyError of `socialpulse.topics.read_text` (LexiconError's parent).
    """
    return Lexicon.parse(read_text(path), source=str(path))


def is_abusive(text: str | None, lexicon: Lexicon) -> bool:
    """Whether any term of the lexicon is found in the text (exceptions aside). Never raises."""
    return lexicon.is_abusive(text)


# -- topics ------------------------------------------------------------------------


def _best_topic(result: Classification) -> str:
    if not result.scores:
        return FALLBACK_TOPIC
    best = max(result.scores.values())
    return next(topic for topic in result.matches if result.scores[topic] == best)


def main_topic(taxonomy: Taxonomy, text: str | None) -> str:
    """The comment's best-scoring topic; a tie goes to the topic named first in the text; `autre` for none."""
    return _best_topic(taxonomy.explain(text))


# -- one comment, every feature ------------------------------------------------------


def seed_path(name: str) -> Path:
    """A seed file of the dbt project (`topic_taxonomy.csv`, `abuse_lexicon.csv`)."""
    from socialpulse.settings import get_settings

    return get_settings().dbt_project_dir / "seeds" / name


@cache
def default_taxonomy() -> Taxonomy:
    return load_taxonomy(seed_path("topic_taxonomy.csv"))


@cache
def default_lexicon() -> Lexicon:
    return load_lexicon(seed_path("abuse_lexicon.csv"))


@dataclass(frozen=True)
class CommentFeatures:
    """What the warehouse says of one comment (`fct_comments`), and why."""

    is_question: bool
    topics: list[str]
    main_topic: str
    is_abusive: bool
    abuse_categories: list[str]
    question_reason: str | None
    abuse_terms: list[str]


def classify(text: str | None, taxonomy: Taxonomy | None = None, lexicon: Lexicon | None = None) -> CommentFeatures:
    """Question flag, topics and abuse flag of a comment, with the seeds unless others are given."""
    taxonomy = taxonomy or default_taxonomy()
    lexicon = lexicon or default_lexicon()
    reason = question_reason(text)
    found = lexicon.matches(text)
    topics = taxonomy.explain(text)
    return CommentFeatures(
        is_question=reason is not None,
        topics=topics.topics,
        main_topic=_best_topic(topics),
        is_abusive=bool(found),
        abuse_categories=sorted({m.category for m in found}),
        question_reason=reason,
        abuse_terms=[m.term for m in found],
    )


def labels(text: str | None, taxonomy: Taxonomy, lexicon: Lexicon) -> dict:
    """The five labels the warehouse keeps of a comment (`int_comment_labels`), in one pass
    over its text: what `classify` says, without the evidence."""
    features = classify(text, taxonomy, lexicon)
    return {
        "is_question": features.is_question,
        "topics": features.topics,
        "main_topic": features.main_topic,
        "is_abusive": features.is_abusive,
        "abuse_categories": features.abuse_categories,
    }


def labelling_version(*files: Path | str) -> str:
    """A digest of what decides the labels: the given rule files (taxonomy, lexicon) and
    the code that applies them (this module and `socialpulse.topics`). A label computed
    under another version is recomputed."""
    import hashlib

    from socialpulse import topics as topics_module

    digest = hashlib.sha256()
    for path in (*files, __file__, topics_module.__file__):
        digest.update(Path(path).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


# -- measuring quality -------------------------------------------------------------

_TRUE = frozenset({"true", "1", "yes", "oui", "vrai", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "non", "faux", "f", "n"})


@dataclass(frozen=True)
class LabelledComment:
    line: int
    text: str
    is_question: bool
    is_abusive: bool
    topics: list[str] | None


@dataclass(frozen=True)
class FlagScore(Score):
    """Precision and recall of one yes/no flag (is_question, is_abusive)."""

    flag: str = ""
    texts: int = 0


@dataclass(frozen=True)
class Miss:
    """A labelled text the rules got wrong: which flag, what was expected, the text."""

    line: int
    flag: str
    expected: bool
    text: str
    reason: str | None


@dataclass(frozen=True)
class CommentEvaluation:
    question: FlagScore
    abusive: FlagScore
    topics: Evaluation | None
    misses: list[Miss]

    def failures(self, min_precision: float, min_recall: float) -> list[str]:
        out = []
        for score in (self.question, self.abusive):
            if not score.support:
                continue
            if score.precision is None or score.precision < min_precision:
                out.append(f"{score.flag}: precision {_fmt(score.precision)} < {min_precision:.2f}")
            if score.recall is not None and score.recall < min_recall:
                out.append(f"{score.flag}: recall {_fmt(score.recall)} < {min_recall:.2f}")
        return out

    def as_dict(self) -> dict:
        return {
            "question": self.question.as_dict(),
            "abusive": self.abusive.as_dict(),
            "topics": self.topics.as_dict() if self.topics else None,
            "misses": [m.__dict__ for m in self.misses],
        }

    def table(self) -> str:
        lines = [f"{'flag':<14}{'texts':>7}{'labelled':>10}{'flagged':>9}{'correct':>9}{'precision':>11}{'recall':>8}"]
        for s in (self.question, self.abusive):
            lines.append(
                f"{s.flag:<14}{s.texts:>7}{s.support:>10}{s.predicted:>9}{s.true_positives:>9}"
                f"{_fmt(s.precision):>11}{_fmt(s.recall):>8}"
            )
        return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _score(flag: str, pairs: list[tuple[bool, bool]]) -> FlagScore:
    return FlagScore(
        flag=flag,
        support=sum(want for want, _ in pairs),
        predicted=sum(got for _, got in pairs),
        true_positives=sum(want and got for want, got in pairs),
        texts=len(pairs),
    )


def evaluate(
    labelled: Iterable[LabelledComment], taxonomy: Taxonomy | None = None, lexicon: Lexicon | None = None
) -> CommentEvaluation:
    """Precision and recall of the question and abuse flags (and topics, where labelled) on labelled comments."""
    taxonomy = taxonomy or default_taxonomy()
    lexicon = lexicon or default_lexicon()
    questions: list[tuple[bool, bool]] = []
    abusive: list[tuple[bool, bool]] = []
    topics: list[tuple[str, list[str]]] = []
    misses: list[Miss] = []
    for item in labelled:
        reason = question_reason(item.text)
        found = lexicon.matches(item.text)
        got_question, got_abusive = reason is not None, bool(found)
        questions.append((item.is_question, got_question))
        abusive.append((item.is_abusive, got_abusive))
        if got_question != item.is_question:
            misses.append(Miss(item.line, "is_question", item.is_question, item.text, reason))
        if got_abusive != item.is_abusive:
            terms = ", ".join(f"{m.term} ({m.category})" for m in found) or None
            misses.append(Miss(item.line, "is_abusive", item.is_abusive, item.text, terms))
        if item.topics is not None:
            topics.append((item.text, item.topics))
    return CommentEvaluation(
        _score("is_question", questions),
        _score("is_abusive", abusive),
        evaluate_topics(taxonomy, topics) if topics else None,
        misses,
    )


def _flag(value: str, path: Path | str, line: int, column: str) -> bool:
    folded = fold(value.strip())
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise TaxonomyError(
        path, f"{value!r} is not true or false (write true/false, 1/0, oui/non)", line=line, column=column
    )


def read_labelled_comments(path: Path | str, taxonomy: Taxonomy | None = None) -> list[LabelledComment]:
    """Rows of a labelled CSV: `text`, `is_question`, `is_abusive`, optional `topics` (`|`-separated)."""
    header, rows = read_csv_table(path, ("text", "is_question", "is_abusive"))
    known = set((taxonomy or default_taxonomy()).topic_ids)
    out = []
    for line, row in rows:
        topics = None
        if "topics" in header:
            topics = split_topics(row["topics"])
            if not topics:
                message = f"no expected topic (write {FALLBACK_TOPIC!r} for none)"
                raise TaxonomyError(path, message, line=line, column="topics")
            unknown = [t for t in topics if t not in known]
            if unknown:
                message = f"unknown topic {', '.join(map(repr, unknown))}; the taxonomy has {', '.join(sorted(known))}"
                raise TaxonomyError(path, message, line=line, column="topics")
        out.append(
            LabelledComment(
                line,
                row["text"],
                _flag(row["is_question"], path, line, "is_question"),
                _flag(row["is_abusive"], path, line, "is_abusive"),
                topics,
            )
        )
    if not out:
        raise TaxonomyError(path, "no labelled comment under the header")
    return out
