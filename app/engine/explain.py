"""Explanations: why two identifiers are one customer, or why not, from stored evidence.

The explainer re-reads the joinable component around ``a`` (the same walk the engine
makes), re-runs the engine's own clustering on it, and answers from that:

- same customer: the strongest path (maximum product of match probabilities), its
  weakest link, and the counterfactual — each link or identifier on the path that, removed
  alone, would separate them (checked by re-clustering without it), or else the minimum
  set of links that would;
- different customers in one component: the policy or cannot-link override whose minimum
  cut separated them, with the cut links (for an attribute policy, also the field and the
  two records that disagreed on it);
- different components: a path whose weakest link is below the join threshold; a path
  only through quarantined shared identifiers (with why they were quarantined); or none.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import networkx as nx

from app.core.errors import FieldError, InvalidInputError
from app.engine.clustering import Clustering, Link, PolicySplit, cluster
from app.engine.resolution import ResolutionConfig, Scope, ScopeTooLarge, ScopeUnit, walk_scope
from graph_models.customers import (
    Counterfactual,
    ExplainedIdentifier,
    Explanation,
    LinkEvidence,
    PolicySplitExplanation,
    record_pairs_of,
)

T = TypeVar("T")
MAX_COMPONENT = 20_000


class ExplainUnit(ScopeUnit, Protocol):
    """The read-only reads an explanation needs (one read transaction): the engine's
    scope walk (:func:`app.engine.resolution.walk_scope`, without locks) and these."""

    def identifier(self, key: str) -> dict[str, Any] | None: ...

    def link_evidence(self, pairs: Sequence[tuple[str, str]]) -> list[dict[str, Any]]: ...

    def path(self, a: str, b: str, avoid_shared: bool) -> dict[str, Any] | None: ...


class ExplainStore(Protocol):
    def in_read_transaction(self, work: Callable[[ExplainUnit], T]) -> T: ...


class Explainer:
    """Answers ``GET /v1/explain``.

    Args:
        store: reads in one read transaction.
        config: the engine configuration (threshold, policies) the explanation replays.
    """

    def __init__(self, store: ExplainStore, config: ResolutionConfig) -> None:
        self.store = store
        self.config = config

    def explain(self, a: str, b: str) -> Explanation:
        """Explain identifiers ``a`` and ``b`` (normalised keys)."""
        if a == b:
            raise InvalidInputError(
                "a and b are the same identifier",
                [FieldError(("b",), "must differ from a")],
            )
        return self.store.in_read_transaction(lambda unit: self._explain(unit, a, b))

    def _explain(self, unit: ExplainUnit, a: str, b: str) -> Explanation:
        from app.core.errors import NotFoundError

        info = {}
        for key, field in ((a, "a"), (b, "b")):
            row = unit.identifier(key)
            if row is None:
                raise NotFoundError(f"{field}: no identifier {key} in the graph")
            info[key] = ExplainedIdentifier(
                key=key,
                customer_id=row["customer_id"],
                shared=bool(row["shared"]),
                shared_reason=row["shared_reason"],
            )
        base: dict[str, Any] = {"a": info[a], "b": info[b], "threshold": self.config.threshold}
        scope = self._component(unit, a)
        links = [Link(x, y, p) for (x, y), p in scope.links.items()] + scope.must_links()
        nodes = scope.nodes()
        if b in scope.shared and not info[a].shared and not info[b].shared:
            clustering = self._cluster(nodes, links, scope)
            group_of = {k: i for i, g in enumerate(clustering.groups) for k in g}
            graph = _weighted(links)
            if group_of.get(a) == group_of.get(b):
                group = clustering.groups[group_of[a]]
                path = _strongest_path(graph.subgraph(group), a, b)
                evidence = self._evidence(unit, path, scope)
                weakest = min(evidence, key=lambda e: e.match_probability)
                counterfactual = self._counterfactual(
                    unit, scope, nodes, links, a, b, path, group, evidence
                )
                return Explanation(
                    **base,
                    same_customer=True,
                    verdict="same_customer",
                    summary=(
                        f"{a} and {b} are customer {info[a].customer_id}: joined by a path of "
                        f"{len(evidence)} link(s) whose weakest is {weakest.a} -- {weakest.b} "
                        f"(p={weakest.match_probability:.4f}). {counterfactual.summary}"
                    ),
                    path=path,
                    links=evidence,
                    weakest_link=weakest,
                    counterfactual=counterfactual,
                )
            split = _separating_split(clustering, a, b)
            path = _strongest_path(graph, a, b)
            evidence = self._evidence(unit, path, scope)
            cut = self._evidence_pairs(unit, list(split.cut) if split else [], scope)
            rule = split.policy if split else "unknown"
            verdict = "override" if rule.startswith("override") else "policy_split"
            conflict = split.conflict() if split else ""
            return Explanation(
                **base,
                same_customer=False,
                verdict=verdict,
                summary=(
                    f"{a} and {b} are linked (path of {len(evidence)} link(s)) but '{rule}' "
                    f"separated {split.separated[0] if split else a} from "
                    f"{split.separated[1] if split else b}{conflict} along the weakest "
                    f"evidence, cutting {len(cut)} link(s)"
                ),
                path=path,
                links=evidence,
                weakest_link=min(evidence, key=lambda e: e.match_probability),
                split=PolicySplitExplanation(
                    rule=rule,
                    separated=list(split.separated) if split else [a, b],
                    cut_links=cut,
                    field=split.field if split else None,
                    records=list(split.records) if split and split.records else [],
                ),
            )
        return self._not_joined(unit, a, b, base, scope, info)

    # ------------------------------------------------------------------ pieces
    def _component(self, unit: ExplainUnit, start: str) -> Scope:
        """The scope the engine re-clusters around ``start`` (the same walk, read-only)."""
        try:
            return walk_scope(
                unit,
                {start},
                self.config.threshold,
                self.config.attribute_policies,
                lock=False,
                limit=MAX_COMPONENT,
            )
        except ScopeTooLarge as error:
            raise InvalidInputError(
                f"the component around {start} has more than {error.limit} identifiers; "
                "explain a narrower pair",
                [FieldError(("a",), "component too large", "too_large")],
            ) from error

    def _cluster(self, nodes: list[str], links: list[Link], scope: Scope) -> Clustering:
        """The engine's clustering, with the overrides and attributes of ``scope``."""
        return cluster(
            nodes,
            links,
            self.config.policies,
            self.config.threshold,
            scope.cannot_links(),
            self.config.attribute_policies,
            scope.attributes,
        )

    def _evidence(self, unit: ExplainUnit, path: list[str], scope: Scope) -> list[LinkEvidence]:
        return self._evidence_pairs(unit, list(itertools.pairwise(path)), scope)

    def _evidence_pairs(
        self, unit: ExplainUnit, pairs: list[tuple[str, str]], scope: Scope
    ) -> list[LinkEvidence]:
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for r in unit.link_evidence(pairs) if pairs else []:
            # seen together and look alike: the stronger evidence is the one that counts
            held = rows.get((r["a"], r["b"]))
            if held is None or r["match_probability"] > held["match_probability"]:
                rows[(r["a"], r["b"])] = r
        must = {(m.a, m.b) for m in scope.must_links()}
        out = []
        for x, y in pairs:
            row = rows.get((x, y))
            if row is not None:
                out.append(
                    LinkEvidence(
                        a=x,
                        b=y,
                        rule=row["rule"],
                        records=row["records"],
                        sources=row["sources"],
                        first_seen=row["first_seen"],
                        last_seen=row["last_seen"],
                        match_probability=row["match_probability"],
                        match_weight=row["match_weight"],
                        below_threshold=row["match_probability"] < self.config.threshold,
                        record_pairs=record_pairs_of(
                            row.get("pairs"), row.get("pair_probabilities"), row.get("comparisons")
                        ),
                    )
                )
            elif (min(x, y), max(x, y)) in must:
                override = next(
                    o
                    for o in scope.overrides.values()
                    if {o["a"], o["b"]} == {x, y} and o["decision"] == "same"
                )
                out.append(
                    LinkEvidence(
                        a=x,
                        b=y,
                        rule=f"override {override['override_id']} by {override['actor']}: "
                        f"{override['reason']}",
                        match_probability=1.0,
                    )
                )
        return out

    def _counterfactual(
        self,
        unit: ExplainUnit,
        scope: Scope,
        nodes: list[str],
        links: list[Link],
        a: str,
        b: str,
        path: list[str],
        group: frozenset[str],
        evidence: list[LinkEvidence],
    ) -> Counterfactual:
        def separated(without_link: tuple[str, str] | None, without_node: str | None) -> bool:
            kept = [
                lk
                for lk in links
                if (lk.a, lk.b) != without_link and without_node not in (lk.a, lk.b)
            ]
            rest = [n for n in nodes if n != without_node]
            result = self._cluster(rest, kept, scope)
            return not any(a in g and b in g for g in result.groups)

        critical_links = [e for e in evidence if separated((min(e.a, e.b), max(e.a, e.b)), None)]
        critical_nodes = [n for n in path[1:-1] if separated(None, n)]
        minimum_cut: list[LinkEvidence] = []
        if not critical_links and not critical_nodes:
            graph = _weighted(links).subgraph(group)
            cut_edges = sorted(tuple(sorted(e)) for e in nx.minimum_edge_cut(graph, a, b))
            minimum_cut = self._evidence_pairs(unit, cut_edges, scope)
        if critical_links or critical_nodes:
            names = [f"{e.a} -- {e.b}" for e in critical_links] + critical_nodes
            summary = f"Removing any one of these would separate them: {', '.join(names)}."
        else:
            summary = (
                f"No single link or identifier separates them; it would take removing "
                f"{len(minimum_cut)} links together."
            )
        return Counterfactual(
            critical_links=critical_links,
            critical_identifiers=critical_nodes,
            minimum_cut=minimum_cut,
            summary=summary,
        )

    def _not_joined(
        self,
        unit: ExplainUnit,
        a: str,
        b: str,
        base: dict[str, Any],
        scope: Scope,
        info: dict[str, ExplainedIdentifier],
    ) -> Explanation:
        quarantined = [info[k] for k in (a, b) if info[k].shared]
        if not quarantined:
            weak = unit.path(a, b, avoid_shared=True)
            if weak is not None:
                path = weak["path"]
                evidence = self._evidence(unit, path, scope)
                weakest = min(evidence, key=lambda e: e.match_probability)
                return Explanation(
                    **base,
                    same_customer=False,
                    verdict="weak_link",
                    summary=(
                        f"{a} and {b} are connected only through {weakest.a} -- {weakest.b} "
                        f"(p={weakest.match_probability:.4f}), below the join threshold "
                        f"{self.config.threshold}"
                    ),
                    path=path,
                    links=evidence,
                    weakest_link=weakest,
                )
        any_path = unit.path(a, b, avoid_shared=False)
        if any_path is not None or quarantined:
            shared = quarantined + [
                ExplainedIdentifier(
                    key=s["key"], customer_id=None, shared=True, shared_reason=s["shared_reason"]
                )
                for s in (any_path or {}).get("shared", [])
                if s["key"] not in (a, b)
            ]
            path = any_path["path"] if any_path else []
            evidence = self._evidence(unit, path, scope) if path else []
            names = "; ".join(f"{s.key} ({s.shared_reason})" for s in shared)
            return Explanation(
                **base,
                same_customer=False,
                verdict="shared_identifier",
                summary=f"{a} and {b} are joined only through quarantined shared "
                f"identifier(s): {names}",
                path=path,
                links=evidence,
                weakest_link=min(evidence, key=lambda e: e.match_probability) if evidence else None,
                shared_identifiers=shared,
            )
        return Explanation(
            **base,
            same_customer=False,
            verdict="no_path",
            summary=f"No evidence path (up to 15 links) connects {a} and {b}.",
        )


def _weighted(links: list[Link]) -> nx.Graph[str]:
    graph: nx.Graph[str] = nx.Graph()
    for link in sorted(links, key=lambda lk: (lk.a, lk.b)):
        graph.add_edge(link.a, link.b, p=link.p, cost=-math.log(max(link.p, 1e-12)))
    return graph


def _strongest_path(graph: nx.Graph, a: str, b: str) -> list[str]:
    """The path maximising the product of match probabilities."""
    return list(nx.shortest_path(graph, a, b, weight="cost"))


def _separating_split(clustering: Clustering, a: str, b: str) -> PolicySplit | None:
    for split in clustering.splits:
        left, right = split.parts
        if (a in left and b in right) or (a in right and b in left):
            return split
    return None
