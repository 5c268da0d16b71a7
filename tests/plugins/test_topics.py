"""socialpulse.topics: French-aware keyword matching, the taxonomy file's checks, the UDF and the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from sandbox.cli import app as sandbox_app
from sandbox.region import TOPICS
from socialpulse.cli import app
from socialpulse.dbt_udfs import Plugin, register_topics, resolve_taxonomy
from socialpulse.settings import REPO_ROOT
from socialpulse.topics import (
    Taxonomy,
    TaxonomyError,
    evaluate,
    fold,
    load_taxonomy,
    normalise,
    split_topics,
)

SEED = REPO_ROOT / "dbt_project" / "seeds" / "topic_taxonomy.csv"

SMALL = """topic,label,keywords
transports,Transports,TER|gare|bus|ligne|car scolaire|cars|régional|travail|mobilité|-en ligne|-en train de|train
lycees,Lycées,lycé*|élève|rentrée
culture,Culture,festival|musée|culture
jeunesse,Jeunesse,jeune|Pass Jeunes|mobilité internationale
agriculture,Agriculture,agriculteur|jeune agriculteur|circuit court|bio|-lien en bio
environnement,Environnement,transition écologique|écolog*
"""


@pytest.fixture(scope="module")
def small() -> Taxonomy:
    return Taxonomy.parse(SMALL, "small.csv")


@pytest.fixture(scope="module")
def seed() -> Taxonomy:
    return load_taxonomy(SEED)


# -- reading text --------------------------------------------------------------------


def test_fold_removes_case_accents_and_ligatures():
    assert fold("Élèves À L'ŒUVRE, grève, Noël, Straße") == "eleves a l'oeuvre, greve, noel, strasse"


def test_normalise_splits_words_hashtags_and_drops_links():
    text = "L'emploi à Port-Sainte-Claire #TransportsRégionaux #TERValdArgent #JO2024 https://ex.fr/bus?x=1 !"
    assert normalise(text) == "l emploi a port sainte claire transports regionaux ter vald argent jo 2024"
    assert normalise(None) == normalise("") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Un commentaire abusif", ["autre"]),  # bus is a word, not a substring
        ("Le terrain de la TERrasse", ["autre"]),  # TER
        ("Il s'est garé devant la mairie", ["autre"]),  # garé is not gare
        ("Nouveaux horaires TER", ["transports"]),
        ("ter, Gare, BUS", ["transports"]),
        ("Deux gares rénovées", ["transports"]),  # plural
        ("Des cars régionaux", ["transports"]),  # régional -> régionaux
        ("Fin des travaux", ["transports"]),  # travail -> travaux
        ("Les cars scolaires reprennent", ["transports"]),  # phrase, both words plural
        ("Il pleut, car c'est l'automne", ["autre"]),  # `car` alone is the conjunction
        ("#mobilité", ["transports"]),
    ],
)
def test_keywords_match_whole_words_in_any_case_accent_or_number(small, text, expected):
    assert small.classify(text) == expected


def test_accents_are_folded_but_different_accents_are_different_words(small):
    assert small.classify("Les ELEVES et les eleves") == ["lycees"]
    assert small.classify("Des élèves") == ["lycees"]
    assert small.classify("Des prix élevés") == ["autre"]  # élevé (high) is not élève (pupil)


def test_prefix_keywords_match_word_starts(small):
    assert small.classify("Les lycéennes et les LYCEENS") == ["lycees"]
    assert small.classify("Une démarche écologique") == ["environnement"]
    assert small.classify("Un lyre") == ["autre"]


def test_exceptions_hide_their_words(small):
    assert small.classify("Inscription en ligne dès lundi") == ["autre"]
    assert small.classify("Nous sommes en train de préparer la suite") == ["autre"]
    assert small.classify("Le train de 7h12 est supprimé sur la ligne") == ["transports"]
    assert small.classify("Tout le programme : lien en bio") == ["autre"]
    assert small.classify("Des légumes bio") == ["agriculture"]


def test_the_longest_keyword_wins_where_keywords_overlap(small):
    assert small.classify("Installation des jeunes agriculteurs") == ["agriculture"]
    assert small.classify("Mobilité internationale : partir étudier en Europe") == ["jeunesse"]


def test_a_phrase_also_matches_glued_in_a_hashtag(small):
    assert small.classify("Des haies replantées #transitionécologique") == ["environnement"]
    assert small.classify("Fierté de nos producteurs #circuitscourts") == ["agriculture"]
    assert small.classify("circuitscourts sans dièse") == ["autre"]  # glued form: hashtags only


def test_multi_label_keeps_topics_above_half_the_best_score(small):
    both = small.explain("Navettes depuis la gare pour le festival #TER #culture")
    assert both.topics == ["culture", "transports"]
    assert both.scores == {"transports": 3, "culture": 3}
    # a passing mention under a clearly tagged subject is left out
    assert small.classify("Pass Jeunes : 20 € pour la culture et le train #PassJeunes #jeunesse") == ["jeunesse"]
    # a tie keeps both
    assert small.classify("Le festival du musée de la gare, en bus") == ["culture", "transports"]


def test_hashtags_weigh_double(small):
    assert small.explain("festival #gare").scores == {"culture": 1, "transports": 2}
    assert small.classify("festival #gare") == ["transports"]


def test_autre_when_nothing_matches_or_no_text(small):
    assert small.classify("Bonne journée à tous !") == ["autre"]
    assert small.classify("") == small.classify(None) == small.classify("🚆🚆 !!!") == ["autre"]


def test_explain_names_the_keywords_found(small):
    assert small.explain("Les élèves du lycée, #TER et gare").explain() == (
        "transports=3 (#TER, gare); lycees=2 (élève, lycé*)"
    )


# -- the shipped taxonomy ------------------------------------------------------------


def test_the_seed_taxonomy_covers_the_regions_topics(seed):
    assert seed.topic_ids == [*TOPICS, "autre"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("🚆 Trafic perturbé ce lundi : grève SNCF, des cars de substitution sont prévus.", ["transports"]),
        ("Inscriptions en ligne pour le forum de l'emploi, 300 offres à pourvoir", ["emploi"]),
        ("Rénovation énergétique du lycée Marie-Curie #lycées", ["lycees"]),
        ("La Nuit des Musées revient samedi ! #culture #patrimoine", ["culture"]),
        ("Ouverture d'une maison de santé : 12 médecins #santé", ["sante"]),
        ("Le Pass Jeunes : 20 € pour la culture, le sport et le permis de conduire ! #PassJeunes", ["jeunesse"]),
        ("Navettes TER gratuites pour le festival #transports #culture", ["culture", "transports"]),
        ("Le programme complet : lien en bio", ["autre"]),
    ],
)
def test_the_seed_taxonomy_reads_real_french_posts(seed, text, expected):
    assert seed.classify(text) == expected


# -- the taxonomy file's checks ------------------------------------------------------


def write(tmp_path: Path, content: str | bytes, name: str = "taxonomy.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


HEADER = "topic,label,keywords\n"
GOOD = "transports,Transports,TER|gare\n"


@pytest.mark.parametrize(
    ("content", "where", "message"),
    [
        ("", "", "the file is empty"),
        ("topic;label;keywords\nx;y;z\n", ", line 1", "separated by ','"),
        ("topic,label\nx,y\n", ", line 1, column 'keywords'", "missing column"),
        ("topic,label,keywords,note\nx,y,z,n\n", ", line 1, column 'note'", "unknown column"),
        (HEADER, "", "no topic rows"),
        (HEADER + GOOD + "Transports,T,bus\n", ", line 3, column 'topic'", "is not a topic id"),
        (HEADER + GOOD + "lycées,Lycées,lycée\n", ", line 3, column 'topic'", "is not a topic id"),
        (HEADER + GOOD + "autre,Autre,divers\n", ", line 3, column 'topic'", "reserved"),
        (HEADER + GOOD + "transports,Encore,bus\n", ", line 3, column 'topic'", "already defined on line 2"),
        (HEADER + GOOD + "culture,,musée\n", ", line 3, column 'label'", "has no label"),
        (HEADER + GOOD + "culture,Culture,\n", ", line 3, column 'keywords'", "has no keywords"),
        (HEADER + GOOD + "culture,Culture,musée||concert\n", ", line 3, column 'keywords'", "empty keyword"),
        (HEADER + GOOD + "culture,Culture,musée|Musées\n", ", line 3, column 'keywords'", "repeats 'musée'"),
        (HEADER + GOOD + "culture,Culture,*art\n", ", line 3, column 'keywords'", "'*' may only end a word"),
        (HEADER + GOOD + "culture,Culture,ar*\n", ", line 3, column 'keywords'", "at least 3 letters"),
        (HEADER + GOOD + "culture,Culture,!!!\n", ", line 3, column 'keywords'", "no letters or digits"),
        (HEADER + GOOD + "culture,Culture,musée,concert\n", ", line 3", "4 values for 3 columns"),
    ],
)
def test_a_bad_taxonomy_is_refused_naming_file_line_and_column(tmp_path, content, where, message):
    path = write(tmp_path, content)
    with pytest.raises(TaxonomyError) as caught:
        load_taxonomy(path)
    text = str(caught.value)
    assert text.startswith(f"{path}{where}: "), text
    assert message in text


def test_a_taxonomy_saved_in_windows_1252_is_refused_with_a_hint(tmp_path):
    path = write(tmp_path, (HEADER + GOOD + "lycees,Lycées,élève\n").encode("cp1252"))
    with pytest.raises(TaxonomyError, match=r"line 3: not UTF-8 text \(save the file as 'CSV UTF-8'\)"):
        load_taxonomy(path)


def test_a_taxonomy_with_bom_blank_lines_and_quoted_cells_loads(tmp_path):
    path = write(tmp_path, ("\ufeff" + HEADER + GOOD + "\n" + 'emploi,"Emploi, formation",emploi|"offre"\n'))
    taxonomy = load_taxonomy(path)
    assert [(t.topic, t.label) for t in taxonomy.topics] == [
        ("transports", "Transports"),
        ("emploi", "Emploi, formation"),
    ]


def test_a_missing_taxonomy_file_is_named(tmp_path):
    with pytest.raises(TaxonomyError, match="nothere.csv: cannot be read"):
        load_taxonomy(tmp_path / "nothere.csv")


# -- measuring -----------------------------------------------------------------------


def test_evaluate_counts_precision_and_recall_per_label(small):
    result = evaluate(
        small,
        [
            ("Horaires TER", ["transports"]),  # right
            ("Le festival de la gare", ["culture"]),  # culture right, transports wrong
            ("Les élèves", ["jeunesse"]),  # lycees wrong, jeunesse missed
            ("Rien à signaler", ["autre"]),  # right
        ],
    )
    transports, culture, lycees, jeunesse, autre = (
        result.score(t) for t in ("transports", "culture", "lycees", "jeunesse", "autre")
    )
    assert (transports.precision, transports.recall) == (0.5, 1.0)
    assert (culture.precision, culture.recall) == (1.0, 1.0)
    assert (lycees.precision, lycees.recall) == (0.0, None)
    assert (jeunesse.precision, jeunesse.recall) == (None, 0.0)
    assert (autre.precision, autre.recall) == (1.0, 1.0)
    assert result.exact_matches == 2 and result.texts == 4
    assert result.failures(0.9, 0.85) == [
        "transports: precision 0.500 < 0.90",
        "jeunesse: precision - < 0.90",
        "jeunesse: recall 0.000 < 0.85",
    ]


def test_split_topics_reads_the_csv_form():
    assert split_topics(" transports | culture|") == ["culture", "transports"]
    assert split_topics("") == split_topics(None) == []


# -- the DuckDB UDF (what bdg_post_topics calls) ----------------------------------


def test_the_udf_is_the_python_function(seed):
    con = duckdb.connect()
    register_topics(con, seed)
    texts = [
        "Grève SNCF : trafic perturbé sur la ligne, cars de substitution",
        "Navettes TER gratuites pour le festival #transports #culture",
        "Bonne journée !",
        None,
    ]
    got = con.execute("select t, sp_topics(t) from unnest(?) as u(t)", [texts]).fetchall()
    assert got == [(t, seed.classify(t)) for t in texts]
    assert got[-1][1] == ["autre"]
    # registering again (a re-used connection) replaces the function
    register_topics(con, Taxonomy.parse(SMALL))
    assert con.execute("select sp_topics('Les élèves')").fetchone()[0] == ["lycees"]


def test_the_dbt_plugin_reads_the_configured_taxonomy(tmp_path):
    path = write(tmp_path, HEADER + "culture,Culture,gare\n")
    plugin = Plugin.create("socialpulse.dbt_udfs", config={"taxonomy": str(path)})
    con = duckdb.connect()
    plugin.configure_connection(con)
    assert con.execute("select sp_topics('La gare'), sp_topics(null)").fetchone() == (["culture"], ["autre"])


def test_relative_taxonomy_paths_are_under_the_dbt_project(tmp_path):
    assert resolve_taxonomy("seeds/topic_taxonomy.csv", base=tmp_path) == tmp_path / "seeds" / "topic_taxonomy.csv"
    assert resolve_taxonomy(None, base=tmp_path) == tmp_path / "seeds" / "topic_taxonomy.csv"
    assert resolve_taxonomy(str(SEED), base=tmp_path) == SEED


def test_the_dbt_plugin_refuses_a_bad_taxonomy_when_dbt_connects(tmp_path):
    from dbt_common.exceptions import DbtRuntimeError

    path = write(tmp_path, HEADER + "culture,Culture,musée||concert\n")
    plugin = Plugin.create("socialpulse.dbt_udfs", config={"taxonomy": str(path)})  # parse-time: no error
    with pytest.raises(DbtRuntimeError, match=r"line 2, column 'keywords': empty keyword"):
        plugin.configure_connection(duckdb.connect())


# -- the command line ----------------------------------------------------------------


def texts_csv(tmp_path: Path) -> Path:
    path = tmp_path / "texts.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        writer.writerows(
            [
                ["1", "Grève SNCF : trafic perturbé, cars de substitution"],
                ["2", "Navettes TER gratuites pour le festival, #transports #culture"],
                ["3", "Bonne journée !"],
            ]
        )
    return path


def test_classify_writes_the_input_columns_and_topics(tmp_path):
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["topics", "classify", "--input", str(texts_csv(tmp_path)), "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["id"], r["topics"]) for r in rows] == [("1", "transports"), ("2", "culture|transports"), ("3", "autre")]
    assert rows[1]["text"] == "Navettes TER gratuites pour le festival, #transports #culture"


def test_classify_to_stdout_with_an_edited_taxonomy_and_explanations(tmp_path):
    edited = write(tmp_path, HEADER + "culture,Culture,gare|festival\n", "edited.csv")
    result = CliRunner().invoke(
        app, ["topics", "classify", "--input", str(texts_csv(tmp_path)), "--taxonomy", str(edited), "--explain"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["topics"] for r in rows] == ["autre", "culture", "autre"]
    assert rows[1]["matches"] == "culture=1 (festival)"


def test_classify_refuses_a_file_without_text_column(tmp_path):
    path = write(tmp_path, "message\nbonjour\n", "texts.csv")
    result = CliRunner().invoke(app, ["topics", "classify", "--input", str(path)])
    assert result.exit_code == 2
    assert f"{path}, line 1, column 'text': missing column" in result.output


def test_classify_keeps_the_header_of_an_empty_file_and_refuses_a_topics_column(tmp_path):
    empty = write(tmp_path, "id,text\n", "empty.csv")
    result = CliRunner().invoke(app, ["topics", "classify", "--input", str(empty)])
    assert result.exit_code == 0 and result.stdout.splitlines() == ["id,text,topics"]
    labelled = write(tmp_path, "text,topics\nHoraires TER,transports\n", "labelled.csv")
    result = CliRunner().invoke(app, ["topics", "classify", "--input", str(labelled)])
    assert result.exit_code == 2
    assert f"{labelled}, line 1, column 'topics': the input already has this column" in result.output


def labelled_csv(tmp_path: Path, rows: list[tuple[str, str]]) -> Path:
    path = tmp_path / "labelled.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "topics"])
        writer.writerows(rows)
    return path


def test_evaluate_prints_precision_and_recall_per_topic(tmp_path):
    path = labelled_csv(
        tmp_path,
        [
            ("Grève SNCF : trafic perturbé", "transports"),
            ("Navettes TER pour le festival #transports #culture", "transports|culture"),
            ("Les élèves du lycée Jean-Moulin", "lycees"),
            ("Bonne journée !", "autre"),
        ],
    )
    result = CliRunner().invoke(app, ["topics", "evaluate", "--input", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1].split() == ["topic", "support", "predicted", "correct", "precision", "recall"]
    assert "transports 2 2 2 1.000 1.000" in [" ".join(line.split()) for line in lines]
    assert "every topic meets precision >= 0.90 and recall >= 0.85" in result.stdout


def test_evaluate_exits_1_below_target_and_reports_json(tmp_path):
    path = labelled_csv(tmp_path, [("Le festival de la gare", "culture"), ("Horaires TER", "transports")])
    result = CliRunner().invoke(app, ["topics", "evaluate", "--input", str(path), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    scores = {s["topic"]: s for s in report["topics"]}
    assert scores["transports"]["precision"] == 0.5 and scores["culture"]["recall"] == 1.0
    assert report["failures"] == ["transports: precision 0.500 < 0.90"]


def test_evaluate_refuses_an_unknown_expected_topic(tmp_path):
    path = labelled_csv(tmp_path, [("Horaires TER", "transports"), ("Un concert", "musique")])
    result = CliRunner().invoke(app, ["topics", "evaluate", "--input", str(path)])
    assert result.exit_code == 2
    assert f"{path}, line 3, column 'topics': unknown topic 'musique'" in result.output


def test_sandbox_labelled_posts_writes_text_and_intended_topic(tmp_path):
    out = tmp_path / "labelled.csv"
    result = CliRunner().invoke(
        sandbox_app, ["labelled-posts", "--out", str(out), "--start", "2026-11-01", "--end", "2026-11-07"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["text", "topics"] and len(rows) > 50
    assert {r["topics"] for r in rows} <= set(TOPICS) and all(r["text"] for r in rows)
