"""Every ``.cypher`` file compiles against the real Neo4j; the analyst queries answer.

Each statement under ``cypher/`` is planned with ``EXPLAIN`` (nothing runs), with a
placeholder for every ``$parameter`` it names. Schema files cannot be EXPLAINed, so for
them the constraint or index they declare must exist after ``apply_schema``. The analyst
queries then run against a tiny graph written by the real service.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path as PathLib
from typing import Any

import pytest
from neo4j import Driver, Record, RoutingControl
from neo4j.graph import Node, Path

from app.bootstrap import Services
from app.core.config import Settings
from app.store import catalog
from graph_models.records import SourceRecord

pytestmark = pytest.mark.integration

#: The checkout's own files, listed without the catalog (which must find the same).
CHECKOUT_CYPHER = PathLib(__file__).resolve().parents[2] / "cypher"
STATEMENTS = sorted(
    str(p.relative_to(CHECKOUT_CYPHER).with_suffix("")) for p in CHECKOUT_CYPHER.rglob("*.cypher")
)
SCHEMA = [name for name in STATEMENTS if name.startswith("schema/")]
NON_SCHEMA = [name for name in STATEMENTS if not name.startswith("schema/")]
ANALYST = [name for name in STATEMENTS if name.startswith("analyst/")]

# EXPLAIN needs every parameter present; the value only has to have a plausible type.
PLACEHOLDERS: dict[str, Any] = {
    "rows": [],
    "keys": [],
    "fields": [],
    "pairs": [],
    "ids": [],
    "limit": 10,
    "min_degree": 5,
    "threshold": 0.5,
    "now": "2026-11-01T12:00:00+00:00",
}

_COMMENT = re.compile(r"//[^\n]*")
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_SCHEMA_OBJECT = re.compile(r"CREATE\s+(CONSTRAINT|INDEX)\s+(\w+)\s+IF NOT EXISTS", re.I)


def code_of(statement: str) -> str:
    """The statement without comments and string literals (where ``$`` means nothing)."""
    return _STRING.sub("''", _COMMENT.sub("", statement))


def header_of(statement: str) -> str:
    """The leading ``//`` comment lines."""
    lines = []
    for line in statement.splitlines():
        if not line.startswith("//"):
            break
        lines.append(line)
    return "\n".join(lines)


def parameters(statement: str) -> set[str]:
    return set(_PARAM.findall(code_of(statement)))


def placeholders(statement: str) -> dict[str, Any]:
    return {name: PLACEHOLDERS.get(name) for name in parameters(statement)}


@pytest.mark.parametrize("name", NON_SCHEMA)
def test_statement_plans(name: str, driver: Driver, neo4j_settings: Settings) -> None:
    statement = catalog.query(name)
    # An auto-commit transaction: CALL ... IN TRANSACTIONS (queries/wipe) cannot be
    # planned inside an explicit one, and driver.execute_query opens an explicit one.
    with driver.session(database=neo4j_settings.neo4j_database) as session:
        summary = session.run(f"EXPLAIN\n{statement}", placeholders(statement)).consume()
    assert summary.plan is not None
    deprecated = [n for n in summary.notifications or [] if "Deprecat" in n.get("code", "")]
    assert not deprecated, deprecated


@pytest.mark.parametrize("name", SCHEMA)
def test_schema_object_exists(name: str, driver: Driver, neo4j_settings: Settings) -> None:
    found = _SCHEMA_OBJECT.search(code_of(catalog.query(name)))
    assert found, f"{name} declares no named constraint or index with IF NOT EXISTS"
    what, object_name = found.group(1).upper(), found.group(2)
    assert name.split("/")[-1].split("_", 1)[1] == object_name, "file name != object name"
    database = neo4j_settings.neo4j_database
    if what == "CONSTRAINT":
        constraints, _, _ = driver.execute_query(
            "SHOW CONSTRAINTS YIELD name RETURN name", database_=database
        )
        assert object_name in {r["name"] for r in constraints}
    indexes, _, _ = driver.execute_query(
        "SHOW INDEXES YIELD name, state, owningConstraint RETURN name, state, owningConstraint",
        database_=database,
    )
    by_name = {r["name"]: r for r in indexes}
    assert object_name in by_name, f"no index named {object_name}"
    assert by_name[object_name]["state"] == "ONLINE"
    if what == "INDEX":
        assert by_name[object_name]["owningConstraint"] is None


@pytest.mark.parametrize("name", NON_SCHEMA)
def test_header_names_parameters_and_returns(name: str) -> None:
    statement = catalog.query(name)
    header = header_of(statement)
    assert header, "a statement starts with // comments saying what it does"
    lines = header.splitlines()
    assert any(line.startswith("// Parameters:") for line in lines)
    assert any(line.startswith("// Returns:") for line in lines)
    for param in parameters(statement):
        assert f"${param}" in header, f"${param} is not named in the header"
    assert ";" not in code_of(statement).rstrip().rstrip(";"), "one statement per file"


@pytest.mark.parametrize("name", ANALYST)
def test_analyst_header_has_browser_params(name: str) -> None:
    statement = catalog.query(name)
    header = header_of(statement)
    for param in parameters(statement):
        assert re.search(rf"^// Browser: :param {param} => ", header, re.M), (
            f"no ready ':param {param} => ...' line for Neo4j Browser users"
        )


# ---------------------------------------------------------------- analyst queries


JANE = "email:jane@example.com"
JANE_PHONE = "phone:+14155550100"
SUPPORT_LINE = "phone:+14155550199"


def rec(source: str, rid: str, *ids: tuple[str, str]) -> SourceRecord:
    return SourceRecord.model_validate(
        {
            "source": source,
            "record_id": rid,
            "observed_at": "2026-11-01T12:00:00Z",
            "identifiers": [{"kind": k, "value": v} for k, v in ids],
        }
    )


class TinyGraph:
    """Jane (an email and a phone from one CRM record) and a support line that six
    otherwise separate people gave as their phone (quarantined as shared)."""

    def __init__(self, services: Services, driver: Driver, database: str) -> None:
        self.services = services
        self.driver = driver
        self.database = database
        services.ingestion.ingest(
            [
                rec("crm", "1", ("email", "Jane@Example.com"), ("phone", "415-555-0100")),
                *(
                    rec(
                        "support",
                        f"s{n}",
                        ("email", f"user{n}@example.com"),
                        ("phone", "4155550199"),
                    )
                    for n in range(1, 7)
                ),
            ]
        )
        jane = services.lookups.lookup("email", "jane@example.com").customer_id
        assert jane is not None
        self.jane: str = jane

    def run(self, name: str, **params: Any) -> list[Record]:
        records, _, _ = self.driver.execute_query(
            catalog.query(f"analyst/{name}"),
            params,
            database_=self.database,
            routing_=RoutingControl.READ,
        )
        return records


@pytest.fixture
def tiny(services: Services, driver: Driver, neo4j_settings: Settings) -> TinyGraph:
    return TinyGraph(services, driver, neo4j_settings.neo4j_database)


def check_customer_360(g: TinyGraph) -> None:
    [row] = g.run("customer_360", kind="email", value="jane@example.com")
    assert row["identifier"]["key"] == JANE
    assert row["customer"]["customer_id"] == g.jane
    assert row["identifiers"] == [JANE, JANE_PHONE]
    assert len(row["memberships"]) == 2
    observed = {(p.start_node["key"], p.end_node["key"]) for p in row["observations"]}
    assert observed == {("crm|1", JANE), ("crm|1", JANE_PHONE)}
    [link] = row["links"]
    assert isinstance(link, Path) and link.relationships[0].type == "LINKED"
    assert link.relationships[0]["records"] == ["crm|1"]
    assert row["shared_links"] == []
    # A shared identifier has no customer: it comes alone, with the records behind it.
    [shared] = g.run("customer_360", kind="phone", value="+14155550199")
    assert shared["customer"] is None and shared["memberships"] == []
    assert shared["identifiers"] == [SUPPORT_LINE]
    assert len(shared["observations"]) == 6
    [upper] = g.run("customer_360", kind=" EMAIL ", value="jane@example.com")
    assert upper["customer"]["customer_id"] == g.jane
    # Unknown identifiers give no row rather than an error.
    assert g.run("customer_360", kind="email", value="nobody@example.com") == []


def check_shared_identifiers(g: TinyGraph) -> None:
    [row] = g.run("shared_identifiers", limit=10)
    assert row["key"] == SUPPORT_LINE and row["kind"] == "phone"
    assert "6 distinct email" in row["shared_reason"]
    assert row["degree"] == 6 and row["record_count"] == 6
    assert row["sources"] == ["support"]
    top = row["top_neighbours"]
    assert len(top) == 5
    assert all(n["key"].startswith("email:user") and n["customer_id"] for n in top)
    assert [n["match_probability"] for n in top] == sorted(
        (n["match_probability"] for n in top), reverse=True
    )


def check_largest_customers(g: TinyGraph) -> None:
    rows = g.run("largest_customers", limit=3)
    assert len(rows) == 3
    first = rows[0]
    assert first["customer_id"] == g.jane and first["size"] == 2
    assert first["kinds"] == ["email: 1", "phone: 1"]
    assert first["weakest_link"].startswith(f"{JANE} -- {JANE_PHONE} (p=")
    assert 0.5 < first["confidence"] <= 1.0
    assert [r["size"] for r in rows[1:]] == [1, 1]
    assert len(g.run("largest_customers", limit=100)) == 7  # Jane and six callers


def check_recent_changes(g: TinyGraph) -> None:
    rows = g.run("recent_changes", type=None, limit=100)
    assert len(rows) == 7 and {r["type"] for r in rows} == {"created"}
    jane = next(r for r in rows if r["customer_id"] == g.jane)
    assert jane["trigger_record"] == "crm|1"
    assert jane["before"] == [] and jane["after"] == [g.jane]
    assert "crm|1" in jane["reason"]
    assert len(g.run("recent_changes", type="created", limit=2)) == 2
    assert g.run("recent_changes", type="merged", limit=10) == []


def check_evidence_path(g: TinyGraph) -> None:
    [row] = g.run("evidence_path", a=JANE, b=JANE_PHONE)
    assert isinstance(row["path"], Path) and len(row["path"]) == 1
    assert row["hops"] == 1
    [link] = row["links"]
    assert (link["from"], link["to"]) == (JANE, JANE_PHONE)
    assert link["records"] == ["crm|1"] and link["sources"] == ["crm"]
    assert 0.5 < link["match_probability"] < 1.0
    assert row["weakest_link"] == link
    assert row["shared_on_path"] == []
    # Two callers are only connected through the quarantined support line.
    [row] = g.run("evidence_path", a="email:user1@example.com", b="email:user2@example.com")
    assert row["hops"] == 2
    assert [link["to"] for link in row["links"]] == [SUPPORT_LINE, "email:user2@example.com"]
    assert row["shared_on_path"] == [SUPPORT_LINE]
    assert g.run("evidence_path", a=JANE, b=SUPPORT_LINE) == []
    assert g.run("evidence_path", a=JANE, b=JANE) == []  # not a shortestPath error


def check_customer_history(g: TinyGraph) -> None:
    g.services.ingestion.ingest([rec("web", "2", ("cookie", "ck1"), ("account", "u1"))])
    other = g.services.lookups.lookup("cookie", "ck1").customer_id
    assert other is not None and other != g.jane
    g.services.ingestion.ingest([rec("web", "3", ("cookie", "ck1"), ("email", "jane@example.com"))])
    assert g.services.lookups.lookup("cookie", "ck1").customer_id == g.jane
    for asked in (other, g.jane):
        rows = g.run("customer_history", customer_id=asked)
        assert [r["type"] for r in rows] == ["created", "created", "merged"]
        assert [r["customer_id"] for r in rows[:2]] == [g.jane, other]
        assert rows[2]["before"] == [g.jane, other] and rows[2]["after"] == [g.jane]
        assert rows[2]["trigger_record"] == "web|3"
        assert {(r["current_id"], r["current_status"]) for r in rows} == {(g.jane, "active")}
        assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)
    assert g.run("customer_history", customer_id="C-unknown") == []


def add_look_alikes(g: TinyGraph) -> None:
    """Jon Smyth (with an email) and John Smith (no identifier) look alike."""
    people = [
        ("crm", "A-1", [("email", "jon.smyth@example.com")], "Jon", "Smyth"),
        ("web", "W-2", [], "John", "Smith"),
    ]
    g.services.ingestion.ingest(
        [
            SourceRecord.model_validate(
                {
                    "source": source,
                    "record_id": rid,
                    "observed_at": "2026-11-01T12:00:00Z",
                    "identifiers": [{"kind": k, "value": v} for k, v in ids],
                    "attributes": {
                        "first_name": first,
                        "last_name": last,
                        "birth_date": "1990-02-01",
                        "postcode": "94110",
                    },
                }
            )
            for source, rid, ids, first, last in people
        ]
    )


def check_similar_records(g: TinyGraph) -> None:
    add_look_alikes(g)
    [row] = g.run("similar_records", key="email:jon.smyth@example.com")
    assert row["within_customer"] is True
    assert row["customer_id"] == g.services.lookups.lookup("record", "web|W-2").customer_id
    assert {row["identifier"], row["other"]} == {"email:jon.smyth@example.com", "record:web|W-2"}
    assert row["records"] == ["crm|A-1", "web|W-2"]
    assert row["pair_probability"] > 0.7  # fuzzy names, same birth date and postcode
    assert '"birth_date":{"level":"exact"' in row["comparison"]
    assert g.run("similar_records", key=JANE) == []


def check_why_similar(g: TinyGraph) -> None:
    add_look_alikes(g)
    for a, b in (("crm|A-1", "web|W-2"), ("web|W-2", "crm|A-1")):
        [row] = g.run("why_similar", a=a, b=b)
        assert row["pairs_on_link"] == 1 and row["customer_a"] == row["customer_b"]
        assert row["pair_probability"] == row["link_probability"]
    assert g.run("why_similar", a="crm|1", b="web|W-2") == []


def check_largest_blocks(g: TinyGraph) -> None:
    add_look_alikes(g)
    rows = g.run("largest_blocks", max_block=200, limit=50)
    shared = [r for r in rows if r["size"] == 2]
    assert {r["rule"] for r in shared} >= {"dob", "pc_init", "sx_year"}
    assert all(r["sample_records"] == ["crm|A-1", "web|W-2"] for r in shared)
    assert [r["key"] for r in rows if r["size"] == 1] == ["email_local:jonsmyth"]
    assert not any(r["oversized"] for r in rows)
    assert [r["size"] for r in rows] == sorted((r["size"] for r in rows), reverse=True)
    assert all(
        r["oversized"] == (r["size"] > 1) for r in g.run("largest_blocks", max_block=1, limit=50)
    )


def check_match_model(g: TinyGraph) -> None:
    assert g.run("match_model") == []
    add_look_alikes(g)
    g.services.ingestion.ingest(
        [
            SourceRecord.model_validate(
                {
                    "source": "web",
                    "record_id": f"X-{n}",
                    "attributes": {"first_name": name, "last_name": "Smith", "postcode": "94110"},
                }
            )
            for n, name in enumerate(["Ann", "Anne", "Bob", "Rob"])
        ]
    )
    model, pairs = g.services.models.fit()
    [row] = g.run("match_model")
    assert row["version"] == model.version and row["method"] == "em"
    assert row["fitted_on_pairs"] == pairs > 0


def check_customer_consent(g: TinyGraph) -> None:
    statement = {"purpose": "marketing", "granted": False, "at": "2026-11-02T10:00:00Z"}
    g.services.ingestion.ingest(
        [
            SourceRecord.model_validate(
                {
                    "source": "web",
                    "record_id": "u-1",
                    "identifiers": [{"kind": "email", "value": "jane@example.com"}],
                    "consent": [statement],
                }
            )
        ]
    )
    [row] = g.run("customer_consent", customer_id=g.jane)
    assert (row["purpose"], row["granted"], row["record_id"]) == ("marketing", False, "u-1")
    assert row["identifiers"] == [JANE]


CHECKS: dict[str, Callable[[TinyGraph], None]] = {
    "analyst/customer_consent": check_customer_consent,
    "analyst/similar_records": check_similar_records,
    "analyst/why_similar": check_why_similar,
    "analyst/largest_blocks": check_largest_blocks,
    "analyst/match_model": check_match_model,
    "analyst/customer_360": check_customer_360,
    "analyst/shared_identifiers": check_shared_identifiers,
    "analyst/largest_customers": check_largest_customers,
    "analyst/recent_changes": check_recent_changes,
    "analyst/evidence_path": check_evidence_path,
    "analyst/customer_history": check_customer_history,
}


def test_every_analyst_query_is_checked() -> None:
    assert set(ANALYST) == set(CHECKS)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_analyst_query_on_tiny_graph(name: str, tiny: TinyGraph) -> None:
    CHECKS[name](tiny)


def test_customer_360_draws_a_graph(tiny: TinyGraph) -> None:
    """Browser draws nodes and paths: the customer is among the drawn nodes."""
    [row] = tiny.run("customer_360", kind="email", value="jane@example.com")
    drawn = {
        node["customer_id"]
        for path in row["memberships"]
        for node in path.nodes
        if isinstance(node, Node) and "Customer" in node.labels
    }
    assert drawn == {tiny.jane}
