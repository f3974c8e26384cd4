"""Splink (DuckDB) deduplicating the bulk bench's records, in a process of its own.

Run by :mod:`bench.bulk` as ``python -m bench.bulk_splink RECORDS.jsonl OUT.json
[PEOPLE.json]`` so that its peak memory is its own; given who wrote each record (record key
-> person, :func:`bench.bulk_accuracy.record_people`), it scores its clusters against that
after the clock stops. The records are the generator's, flattened to the columns a
Splink user would give: names, birth date, postcode and the first email, phone, account,
device and cookie of each record. Unsupervised (prior from deterministic rules, ``u`` by
random sampling, ``m`` by EM), every pair the blocking rules admit scored, pairs at or
above 0.5 clustered.

Blocks are capped as idgraph caps them: a blocking key shared by more than ``MAX_BLOCK``
records (idgraph's ``match_max_block``: a family e-mail, an office phone, a common name at
a big postcode) yields no pairs, in training as in prediction. Without the cap, at 1M
records, the generator's shared e-mails and phones made prediction blocks of thousands of
records (85 million pairs) and training on postcode blocks billions of pairs: DuckDB's
spill filled the disk either way.
"""

from __future__ import annotations

import json
import logging
import resource
import sys
import time
from pathlib import Path
from typing import Any

IDENTIFIER_COLUMNS = ("email", "phone", "account", "device", "cookie")
ATTRIBUTE_COLUMNS = ("first_name", "last_name", "birth_date", "postcode")
#: the blocking rules' columns: one identifier kind each, then the attribute rules
BLOCKING_RULES: tuple[tuple[str, ...], ...] = (
    *((kind,) for kind in IDENTIFIER_COLUMNS),
    ("first_name", "last_name", "birth_date"),
    ("last_name", "postcode"),
)
#: the blocks expectation-maximisation trains on: between them every comparison's ``m``
#: is estimated (a rule's own fields are not). Capped too: the postcode blocks a Splink
#: tutorial trains on hold thousands of records each at 1M records (billions of pairs).
TRAINING_RULES: tuple[tuple[str, ...], ...] = (("first_name", "last_name"), ("birth_date",))
#: idgraph's default ``match_max_block`` (app.core.config): the largest block paired
MAX_BLOCK = 200


def frame_rows(path: Path) -> list[dict[str, Any]]:
    """One row per record: its key, attributes and the first identifier of each kind."""
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            row: dict[str, Any] = {
                "unique_id": f"{record['source']}|{record['record_id']}",
                "source_dataset": record["source"],
            }
            attributes = record.get("attributes") or {}
            for name in ATTRIBUTE_COLUMNS:
                value = attributes.get(name)
                row[name] = str(value).strip().lower() if value else None
            for kind in IDENTIFIER_COLUMNS:
                values = sorted(
                    str(i["value"]).strip().lower()
                    for i in record.get("identifiers", [])
                    if i["kind"] == kind
                )
                row[kind] = values[0] if values else None
            rows.append(row)
    # a re-sent record is one record (as for idgraph)
    return list({row["unique_id"]: row for row in rows}.values())


def block_column(columns: tuple[str, ...]) -> str:
    return "block_" + "_".join(columns)


def add_block_keys(frame: Any, max_block: int = MAX_BLOCK) -> None:
    """One key column per blocking rule, null where the rule's block is over ``max_block``.

    Splink pairs records on equal non-null keys, so a nulled key pairs nothing: the
    record is still paired through its other rules, as in idgraph.
    """
    for columns in (*BLOCKING_RULES, *TRAINING_RULES):
        key = frame[columns[0]].astype("string")
        for column in columns[1:]:
            key = key + "|" + frame[column].astype("string")  # null if any part is
        sizes = key.map(key.value_counts())
        frame[block_column(columns)] = key.where(sizes <= max_block)


#: DuckDB's memory limit: its default (80% of RAM) let a 1M-record run take 20 GB next to
#: the bench and other work on the box, and the kernel killed it; above the limit DuckDB
#: spills to a temporary directory next to the records.
DUCKDB_MEMORY_LIMIT = "10GB"


def run(path: Path, people_path: Path | None = None) -> dict[str, Any]:
    import duckdb
    import pandas
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.perf_counter()
    frame = pandas.DataFrame(frame_rows(path))
    add_block_keys(frame)
    read_seconds = time.perf_counter() - started
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("last_name"),
            cl.LevenshteinAtThresholds("birth_date", [1]),
            cl.ExactMatch("postcode"),
            *(cl.ExactMatch(kind) for kind in IDENTIFIER_COLUMNS),
        ],
        blocking_rules_to_generate_predictions=[
            block_on(block_column(columns)) for columns in BLOCKING_RULES
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    connection = duckdb.connect()
    connection.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    connection.execute(f"SET temp_directory = '{path.parent / 'duckdb-spill'}'")
    connection.execute("SET preserve_insertion_order = false")
    table = DuckDBAPI(connection).register(frame, dataset_display_name="bulk")
    linker = Linker(table, settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on(block_column(("email",))), block_on(block_column(("phone",)))], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=42)
    for columns in TRAINING_RULES:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(block_column(columns))
        )
    predictions = linker.inference.predict()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.5
    )
    # counted in DuckDB: a million records' pairs do not fit in a pandas frame here
    clusters_found = clusters.query_sql("SELECT count(DISTINCT cluster_id) AS n FROM {this}")
    seconds = time.perf_counter() - started
    pairs = predictions.query_sql("SELECT count(*) AS n FROM {this}").as_record_list()[0]["n"]
    accuracy = None
    if people_path is not None:  # after the clock: scoring is the bench's work, not Splink's
        from bench.accuracy.metrics import cluster_scores

        people = json.loads(people_path.read_text(encoding="utf-8"))
        rows = clusters.query_sql("SELECT unique_id, cluster_id FROM {this}").as_record_list()
        found = {row["unique_id"]: str(row["cluster_id"]) for row in rows}
        accuracy = cluster_scores(found, people).as_dict()
    return {
        "accuracy": accuracy,
        "records": len(frame),
        "seconds": seconds,
        "read_seconds": read_seconds,
        "records_per_second": len(frame) / seconds,
        "scored_pairs": pairs,
        "clusters": int(clusters_found.as_record_list()[0]["n"]),
        "duckdb_memory_limit": DUCKDB_MEMORY_LIMIT,
        "max_block": MAX_BLOCK,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> int:
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    people = Path(sys.argv[3]) if len(sys.argv) > 3 else None
    out.write_text(json.dumps(run(source, people), indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
