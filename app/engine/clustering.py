"""Clustering of identifiers into customers: a pure function of the evidence graph.

Given the joinable identifiers of some connected components and their links, the
partition is: connected components over links at or above the join threshold, each then
split along its weakest evidence (a minimum weighted s-t cut; where several cuts tie, the
one leaving the fewest identifiers on t's side) for as long as it breaks a rule. Rules are
checked in this order, and the first one broken is cut first:

1. **cannot-link overrides** (an analyst said so);
2. **kind policies** (:class:`KindPolicy`, "at most one web account per customer"): a
   fact about the identifiers themselves;
3. **attribute policies** (:class:`AttributePolicy`, "at most one birth date per
   customer, up to a typo"; "at most one census record per customer"): evidence from the
   records, which carries typos, so it comes last. The clustering's nodes are
   identifiers, not records: a record's attributes belong to every identifier it
   observed, so a node holds ``(record key, cleaned value)`` pairs per field
   (:func:`node_attributes`). Values joined by a chain of typos are one value. A group
   breaks the policy when two nodes holding different values are held together by
   links that never looked at the field: a path whose inner nodes hold no value for it
   (a household joined through a record with a blank birth date or a nickname), or a
   link between two nodes that is not a comparison of two records (a co-observation: a
   care home's shared landline next to its residents' own phones). A look-alike link
   between two record stand-ins is the two records' own comparison, which weighed the
   disagreement and still scored at least the threshold: it may cross the clash (a
   typo-ridden duplicate of one person), and so may a chain of such comparisons.
   ``once`` policies (a source that lists each person once) allow no crossing at all.
   Values that clash inside one node cannot be cut apart and are ignored.

Everything is built in sorted order, so the result depends only on the graph (and the
attributes), never on the order in which records arrived: the incremental path and a
from-scratch re-cluster call the same function and agree.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz.distance import OSA, JaroWinkler

from app.engine.matching import clean_code, clean_date, clean_text, dates_typo_equal


@dataclass(frozen=True)
class Link:
    """An undirected link (``a < b``) with its match probability."""

    a: str
    b: str
    p: float


@dataclass(frozen=True)
class KindPolicy:
    """At most ``max_per_customer`` identifiers of ``kind`` in one customer.

    With ``per_source`` the limit applies per source scope: ``account:web/u-1`` and
    ``account:web/u-2`` share the scope ``web``.
    """

    kind: str
    max_per_customer: int
    per_source: bool = False

    @property
    def name(self) -> str:
        scope = " per source" if self.per_source else ""
        return f"at most {self.max_per_customer} {self.kind}{scope} per customer"


DEFAULT_POLICIES: tuple[KindPolicy, ...] = (KindPolicy("account", 1, per_source=True),)

#: The kind of a record's stand-in identifier (``record:<source>|<record_id>``).
RECORD = "record"


def _same_code(a: str, b: str) -> bool:
    # Ids are long and random: two people's ids almost never come within two edits, while
    # one person's id is often keyed with two mistakes (or two digits swapped and one wrong).
    return a == b or OSA.distance(a, b, score_cutoff=2) <= 2


def _same_text(a: str, b: str) -> bool:
    return a == b


def _clean_record(value: str) -> str:
    return value.strip()


#: Joins the parts of a compound policy's value (``first_name+birth_date``).
PART_SEPARATOR = "\x1f"


def _clean_person(value: str) -> str:
    first, _, birth = value.partition(PART_SEPARATOR)
    first, birth = clean_text(first), clean_date(birth)
    return f"{first}{PART_SEPARATOR}{birth}" if first and birth else ""


def _same_person(a: str, b: str) -> bool:
    first_a, _, birth_a = a.partition(PART_SEPARATOR)
    first_b, _, birth_b = b.partition(PART_SEPARATOR)
    return birth_a == birth_b or JaroWinkler.similarity(first_a, first_b, score_cutoff=0.8) >= 0.8


#: How an attribute policy cleans values and when two count as the same value.
COMPARISONS = {
    # first name and birth date (``first_name+birth_date``): one person unless the first
    # names are unlike (Jaro-Winkler < 0.80: not a typo, not Jon/John) AND the birth dates
    # differ at all. Family members often share a birth year and month, so two siblings'
    # dates are often one edit apart: the date policy alone lets them through.
    "person": (_clean_person, _same_person),
    # YYYYMMDD; one edit (a wrong or missing digit) or day and month swapped
    "date": (clean_date, dates_typo_equal),
    # letters and digits; at most two edits, an adjacent swap counting as one (OSA <= 2)
    "code": (clean_code, _same_code),
    # trimmed, lower-cased text; no typo allowed
    "exact": (clean_text, _same_text),
    # a record key (``once`` policies: at most one record of a source per customer)
    "once": (_clean_record, _same_text),
}

#: The field of ``once`` policies: every record's own key, read like an attribute.
RECORD_FIELD = "@record"


@dataclass(frozen=True)
class AttributePolicy:
    """At most one value of the record attribute ``field`` per customer, up to a typo.

    ``compare`` names how values are cleaned and compared (:data:`COMPARISONS`):
    ``date`` (``YYYYMMDD``, the same within one edit or with day and month swapped),
    ``code`` (letters and digits, the same within two edits), ``person`` (for
    ``first_name+birth_date``) or ``exact``.

    ``compare="once"`` with a ``source`` (build it with :meth:`once`) is different: at
    most one *record* of that source per customer, for a source known to list each
    person once (a census, a deduplicated CRM, a register keyed by person). Its value is
    the record's key, and no look-alike link excuses two of them: they are two people
    by what the source is.
    """

    field: str
    compare: str = "exact"
    source: str | None = None

    @classmethod
    def once(cls, source: str) -> AttributePolicy:
        """At most one record of ``source`` per customer."""
        return cls(RECORD_FIELD, "once", source)

    @property
    def fields(self) -> tuple[str, ...]:
        """The record attributes the policy reads: one, or the parts of ``a+b``."""
        return tuple(self.field.split("+"))

    @property
    def key(self) -> str:
        """Where :func:`node_attributes` files the policy's values (unique per policy)."""
        return f"{RECORD_FIELD}:{self.source}" if self.compare == "once" else self.field

    def __post_init__(self) -> None:
        if self.compare not in COMPARISONS:
            raise ValueError(
                f"attribute policy {self.field!r}: compare must be one of "
                f"{sorted(COMPARISONS)}, not {self.compare!r}"
            )
        if (self.compare == "once") != (self.source is not None and self.field == RECORD_FIELD):
            raise ValueError(
                "attribute policy: a source is given exactly with compare='once' and field "
                f"{RECORD_FIELD!r} (AttributePolicy.once(source))"
            )

    @property
    def name(self) -> str:
        if self.compare == "once":
            return f"at most one {self.source} record per customer"
        typo = "" if self.compare == "exact" else " (up to a typo)"
        return f"at most one {self.field} per customer{typo}"

    def clean(self, value: str) -> str:
        """The value as the policy compares it ("" when nothing is left)."""
        return COMPARISONS[self.compare][0](value)

    def same(self, a: str, b: str) -> bool:
        """Whether two cleaned values are one value up to a typo."""
        return COMPARISONS[self.compare][1](a, b)


DEFAULT_ATTRIBUTE_POLICIES: tuple[AttributePolicy, ...] = (
    AttributePolicy("birth_date", "date"),
    AttributePolicy("national_id", "code"),
    AttributePolicy("first_name+birth_date", "person"),
)

#: Per node (identifier key), per field: the ``(record key, cleaned value)`` pairs of the
#: records that observed it.
NodeAttributes = Mapping[str, Mapping[str, Collection[tuple[str, str]]]]


def node_attributes(
    observations: Iterable[tuple[str, str, str, str]],
    policies: Iterable[AttributePolicy],
) -> dict[str, dict[str, set[tuple[str, str]]]]:
    """What :func:`cluster` needs from the records, from what they observed.

    Args:
        observations: ``(identifier key, record key, field, raw value)``, one per record
            attribute and identifier it observed (fields without a policy are ignored).
        policies: the attribute policies; each cleans its field's values.

    Returns:
        identifier key -> policy key (:attr:`AttributePolicy.key`) ->
        ``{(record key, cleaned value)}``; values that clean to nothing are left out.
        Observations of the field ``@record`` (the raw value is the record key) feed
        the ``once`` policies.
    """
    policies = tuple(policies)
    by_field = {policy.field: policy for policy in policies if len(policy.fields) == 1}
    compound = [policy for policy in policies if len(policy.fields) > 1]
    once = {policy.source: policy for policy in policies if policy.compare == "once"}
    parts: dict[tuple[str, str], dict[str, str]] = {}
    held: dict[str, dict[str, set[tuple[str, str]]]] = {}
    # A record's value comes once per identifier it observed: clean it once.
    cleaned: dict[tuple[str, str], str] = {}
    for node, record, name, raw in observations:
        if name == RECORD_FIELD:
            listing = once.get(record.split("|", 1)[0])
            if listing is not None:
                held.setdefault(node, {}).setdefault(listing.key, set()).add((record, record))
            continue
        if compound:
            parts.setdefault((node, record), {})[name] = raw
        policy = by_field.get(name)
        if policy is None:
            continue
        value = cleaned.get((name, raw))
        if value is None:
            value = cleaned[name, raw] = policy.clean(raw)
        if value:
            held.setdefault(node, {}).setdefault(name, set()).add((record, value))
    for policy in compound:  # a record's parts joined, where it has them all
        for (node, record), raws in sorted(parts.items()):
            if all(part in raws for part in policy.fields):
                joined = PART_SEPARATOR.join(raws[part] for part in policy.fields)
                value = cleaned.get((policy.field, joined))
                if value is None:
                    value = cleaned[policy.field, joined] = policy.clean(joined)
                if value:
                    held.setdefault(node, {}).setdefault(policy.field, set()).add((record, value))
    return held


@dataclass(frozen=True)
class PolicySplit:
    """One minimum cut made to honour a policy.

    For an attribute policy, ``field`` names the attribute and ``records`` the two
    records (one held by each separated identifier) whose values disagreed. The values
    are not kept: splits end up in history reasons and logs.
    """

    policy: str
    separated: tuple[str, str]
    cut: tuple[tuple[str, str], ...]
    parts: tuple[frozenset[str], frozenset[str]]
    field: str | None = None
    records: tuple[str, str] | None = None

    def conflict(self) -> str:
        """`` (records A and B disagree on birth_date)``, or "" without records."""
        if not self.field or not self.records:
            return ""
        a, b = self.records
        if self.field.startswith(RECORD_FIELD + ":"):
            return f" (records {a} and {b} both come from {self.field.split(':', 1)[1]})"
        return f" (records {a} and {b} disagree on {self.field})"


@dataclass
class Clustering:
    """The partition, the policy splits that shaped it, and confidences."""

    groups: list[frozenset[str]]
    splits: list[PolicySplit] = field(default_factory=list)
    membership: dict[str, float] = field(default_factory=dict)
    confidence: dict[frozenset[str], float] = field(default_factory=dict)
    weakest: dict[frozenset[str], Link | None] = field(default_factory=dict)


def _kind(key: str) -> str:
    return key.split(":", 1)[0]


def _scope(key: str, policy: KindPolicy) -> str:
    if not policy.per_source:
        return ""
    value = key.split(":", 1)[1]
    return value.split("/", 1)[0] if "/" in value else ""


def _capacity(p: float) -> float:
    # Evidence strength: -ln(1 - p); cutting a 0.99 link costs twice a 0.9 link. A
    # must-link override (p = 1.0) is cut only when a cannot-link leaves no other way.
    return MUST_LINK_CAPACITY if p >= 1.0 else -math.log(max(1.0 - p, 1e-9))


#: What cutting a must-link costs: more than any cut of evidence in a customer could.
MUST_LINK_CAPACITY = 1e6


@dataclass(frozen=True)
class CannotLink:
    """An analyst's decision that two identifiers are different customers."""

    a: str
    b: str
    name: str


@dataclass(frozen=True)
class Violation:
    """A rule a group breaks and the two identifiers to separate (``a`` from ``b``); for
    an attribute policy, the field and the two records whose values disagree."""

    rule: str
    a: str
    b: str
    field: str | None = None
    records: tuple[str, str] | None = None


def violation(
    members: Iterable[str],
    policies: Iterable[KindPolicy],
    cannot_link: Iterable[CannotLink] = (),
    attribute_policies: Iterable[AttributePolicy] = (),
    attributes: NodeAttributes | None = None,
    direct: Mapping[str, Mapping[str, float]] | None = None,
) -> Violation | None:
    """The first rule a group breaks (cannot-link overrides first, then kind policies,
    then attribute policies) and the two identifiers to separate, or None.

    ``direct`` (node -> linked node -> probability: the links that join, at or above the
    threshold) tells how the group is held together: an attribute clash is a violation
    only where no comparison of records weighed it (see the module docstring). Without
    it, every clash is.
    """
    group = set(members)
    for rule in sorted(cannot_link, key=lambda c: (c.a, c.b, c.name)):
        if rule.a in group and rule.b in group:
            return Violation(rule.name, rule.a, rule.b)
    ordered = sorted(group)
    one = _must_linked(ordered, direct)
    for policy in policies:
        buckets: dict[str, list[str]] = defaultdict(list)
        for key in ordered:
            if _kind(key) == policy.kind:
                buckets[_scope(key, policy)].append(key)
        for scope in sorted(buckets):
            keys = buckets[scope]
            firsts = {one[key]: key for key in reversed(keys)}  # root -> first key
            if len(firsts) > policy.max_per_customer:
                a, b = sorted(firsts.values())[:2]
                return Violation(policy.name, a, b)
    if attributes:
        for attribute_policy in attribute_policies:
            found = _attribute_conflict(ordered, attribute_policy, attributes, direct, one)
            if found is not None:
                return found
    return None


def _must_linked(
    ordered: list[str], direct: Mapping[str, Mapping[str, float]] | None
) -> dict[str, str]:
    """Each node -> the smallest node joined to it by must-link overrides (links with
    ``p = 1.0``; evidence is capped below 1): one person by an analyst's decision, which
    no kind or attribute policy separates."""
    root = {node: node for node in ordered}
    if direct is None:
        return root
    inside = set(ordered)
    for start in ordered:
        if root[start] != start:
            continue
        stack = [start]
        while stack:
            node = stack.pop()
            for other, p in direct.get(node, {}).items():
                if p >= 1.0 and other in inside and root[other] == other and other != start:
                    root[other] = start
                    stack.append(other)
    return root


def _value_classes(values: Iterable[str], policy: AttributePolicy) -> dict[str, str]:
    """Each distinct value -> its class: values one typo apart are one value, and so are
    values joined by a chain of typos (a duplicate with one wrong digit and another with
    a different wrong digit both sit one typo from the original)."""
    distinct = sorted(set(values))
    parent = {value: value for value in distinct}

    def find(value: str) -> str:
        while parent[value] != value:
            parent[value] = parent[parent[value]]
            value = parent[value]
        return value

    for i, value in enumerate(distinct):
        for other in distinct[i + 1 :]:
            if find(value) != find(other) and policy.same(value, other):
                parent[max(find(value), find(other))] = min(find(value), find(other))
    return {value: find(value) for value in distinct}


def _attribute_conflict(
    ordered: list[str],
    policy: AttributePolicy,
    attributes: NodeAttributes,
    direct: Mapping[str, Mapping[str, float]] | None = None,
    one: Mapping[str, str] | None = None,
) -> Violation | None:
    """The first two nodes (in key order) whose values clash and that are held together
    by links that never weighed the field, with the smallest clashing pair of records.

    Two nodes clash when a value of one and a value of the other are of different
    classes (a node holding two classes clashes with every other holder). They are held
    together without weighing the field when they are joined by a link that is not a
    comparison of two records (either end not a record stand-in), or when both border one
    connected set of nodes that hold no value for the field. A link between two record
    stand-ins crosses the clash legitimately (``once`` policies excepted: no link does).
    Distinct values are compared value against value, so a group of many identifiers
    costs the square of its few distinct values, not of its records.
    """
    field = policy.key
    held = {
        node: values
        for node in ordered
        if (values := {value for _, value in attributes.get(node, {}).get(field, ())})
    }
    if len(held) < 2:
        return None
    classes_of = _value_classes((v for values in held.values() for v in values), policy)
    if len(set(classes_of.values())) < 2:
        return None
    classes = {node: {classes_of[v] for v in values} for node, values in held.items()}

    def found(a: str, b: str) -> Violation:
        records = min(
            (mine, theirs)
            for mine, value in attributes[a][field]
            for theirs, other in attributes[b][field]
            if classes_of[value] != classes_of[other]
        )
        return Violation(policy.name, a, b, field, records)

    def weighed(a: str, b: str) -> bool:
        # a look-alike link of two record stand-ins: their own comparison
        return (
            policy.compare != "once"
            and direct is not None
            and _kind(a) == RECORD
            and _kind(b) == RECORD
            and b in direct.get(a, {})
        )

    def clash(a: str, b: str) -> bool:
        # some value of one against another value of the other: a node holding two
        # classes (an identifier several people's records observed) clashes with both
        if one is not None and one[a] == one[b]:
            return False  # an analyst joined them: the override outranks the policy
        return (len(classes[a]) > 1 or classes[a] != classes[b]) and not weighed(a, b)

    if direct is None:  # nothing tells how the group holds together: any clash counts
        nodes = sorted(held)
        for i, a in enumerate(nodes):
            for b in nodes[i + 1 :]:
                if clash(a, b):
                    return found(a, b)
        return None
    group = set(ordered)
    candidates: list[tuple[str, str]] = []
    for a in sorted(held):  # clashing neighbours
        for b in sorted(direct.get(a, {})):
            if a < b and b in held and clash(a, b):
                candidates.append((a, b))
                break
    seen: set[str] = set()
    for start in ordered:  # clashing nodes around one valueless region
        if start in held or start in seen:
            continue
        seen.add(start)
        stack, border = [start], set()
        while stack:
            node = stack.pop()
            for other in direct.get(node, {}):
                if other not in group:
                    continue
                if other in held:
                    border.add(other)
                elif other not in seen:
                    seen.add(other)
                    stack.append(other)
        ring = sorted(border)
        candidates.extend(
            next(((a, b) for b in ring[i + 1 :] if clash(a, b)), ("", ""))
            for i, a in enumerate(ring)
        )
    pairs = sorted(pair for pair in candidates if pair[0])
    return found(*pairs[0]) if pairs else None


def _minimum_cut(
    group: frozenset[str], adjacency: Mapping[str, Mapping[str, float]], s: str, t: str
) -> tuple[frozenset[str], frozenset[str], tuple[tuple[str, str], ...]]:
    """A minimum ``s``-``t`` cut of ``group`` (capacities :func:`_capacity` of the links):
    the two sides and the cut links ``(a, b)`` (``a < b``), sorted.

    The ``t`` side is every node that can still reach ``t`` in the residual network of a
    maximum flow (the smallest ``t`` side of all minimum cuts). That set is the same for
    every maximum flow, so the cut does not depend on the order augmenting paths are
    found in; it is the cut ``networkx.minimum_cut`` returns (preflow-push, then the
    nodes that reach ``t`` over unsaturated arcs), which this replaced because building
    its residual graph cost more than the flow on the engine's small components.
    """
    # Sorted, so paths are searched in one order whatever the process's string hashing.
    members = sorted(group)
    capacity: dict[str, dict[str, float]] = {node: {} for node in members}
    for a in members:
        for b in sorted(adjacency[a]):
            if b in group:
                capacity[a][b] = _capacity(adjacency[a][b])
    flow = {node: dict.fromkeys(capacity[node], 0.0) for node in members}

    def residual(a: str, b: str) -> float:
        return capacity[a][b] - flow[a][b]

    while True:
        # Edmonds-Karp: a shortest augmenting path by breadth-first search.
        parent: dict[str, str] = {s: s}
        queue = [s]
        for node in queue:
            for other in capacity[node]:
                if other not in parent and residual(node, other) > _FLOW_EPSILON:
                    parent[other] = node
                    queue.append(other)
            if t in parent:
                break
        if t not in parent:
            break
        path = []
        node = t
        while node != s:
            path.append((parent[node], node))
            node = parent[node]
        push = min(residual(a, b) for a, b in path)
        for a, b in path:
            flow[a][b] += push
            flow[b][a] -= push
    # The t side: nodes from which t is reachable over arcs with residual capacity.
    reach = {t}
    stack = [t]
    while stack:
        node = stack.pop()
        for other in capacity[node]:
            if other not in reach and residual(other, node) > _FLOW_EPSILON:
                reach.add(other)
                stack.append(other)
    side_t = frozenset(reach)
    side_s = group - side_t
    cut = tuple(sorted((min(a, b), max(a, b)) for a in side_s for b in capacity[a] if b in side_t))
    return side_s, side_t, cut


#: Residual capacity below this is none: float sums of capacities leave crumbs.
_FLOW_EPSILON = 1e-9


def _components(
    nodes: Iterable[str], adjacency: Mapping[str, Mapping[str, float]]
) -> list[frozenset[str]]:
    """Connected components of ``nodes`` (restricted to them) by breadth-first search."""
    inside = set(nodes)
    seen: set[str] = set()
    components = []
    for start in sorted(inside):
        if start in seen:
            continue
        seen.add(start)
        component = [start]
        queue = [start]
        while queue:
            node = queue.pop()
            for other in adjacency[node]:
                if other in inside and other not in seen:
                    seen.add(other)
                    component.append(other)
                    queue.append(other)
        components.append(frozenset(component))
    return components


#: ``map(function, items)`` in input order, perhaps over several processes (the bulk load
#: passes :func:`app.bulk.parallel.fork_map`); the result must not depend on it.
Mapper = Callable[[Callable[[Any], Any], Sequence[Any]], Iterable[Any]]

#: Components handed to one task of a :data:`Mapper`.
CUT_CHUNK = 64


def _serial(function: Callable[[Any], Any], items: Sequence[Any]) -> Iterable[Any]:
    return map(function, items)


def cluster(
    nodes: Iterable[str],
    links: Iterable[Link],
    policies: Iterable[KindPolicy] = DEFAULT_POLICIES,
    threshold: float = 0.5,
    cannot_link: Iterable[CannotLink] = (),
    attribute_policies: Iterable[AttributePolicy] = DEFAULT_ATTRIBUTE_POLICIES,
    attributes: NodeAttributes | None = None,
    mapper: Mapper | None = None,
) -> Clustering:
    """Partition ``nodes`` into customers.

    Args:
        nodes: joinable identifier keys (shared identifiers excluded by the caller).
        links: links among them; those below ``threshold`` do not join. Must-link
            overrides come in as links with ``p = 1.0``.
        policies: per-kind limits enforced by minimum cuts.
        threshold: the join threshold on match probability.
        cannot_link: pairs that must end in different customers (cut like a policy).
        attribute_policies: per-field consistency enforced by minimum cuts, after the
            cannot-links and kind policies.
        attributes: per node, the ``(record key, cleaned value)`` pairs of each policy
            field (:func:`node_attributes`); none: attribute policies have nothing to check.
        mapper: how the connected components are checked and cut (each on its own, so in
            any process): in this process by default.
    """
    cannot_link = tuple(cannot_link)
    attribute_policies = tuple(attribute_policies)
    node_set = set(nodes)
    adjacency: dict[str, dict[str, float]] = {n: {} for n in node_set}
    for link in links:
        if link.p >= threshold and link.a in node_set and link.b in node_set:
            adjacency[link.a][link.b] = link.p
            adjacency[link.b][link.a] = link.p
    cutter = _Cutter(tuple(policies), cannot_link, attribute_policies, attributes, adjacency, [])
    cutter.components = _components(node_set, adjacency)
    result = Clustering(groups=[])
    # Components are cut last first, each depth first (one stack): the splits' order.
    starts = range(len(cutter.components) - 1, -1, -CUT_CHUNK)
    for start, chunk in zip(starts, (mapper or _serial)(cutter, starts), strict=True):
        for index, parts in zip(range(start, start - CUT_CHUNK, -1), chunk, strict=False):
            if parts is None:  # it keeps every rule: one customer as it is
                result.groups.append(cutter.components[index])
                continue
            groups, splits = parts
            result.groups.extend(groups)
            result.splits.extend(splits)
    result.groups.sort(key=lambda g: min(g))
    _confidences(adjacency, result)
    return result


@dataclass
class _Cutter:
    """Cuts connected components apart until each keeps every rule (see :func:`cluster`):
    a task of its :data:`Mapper`, holding what every component is checked against."""

    policies: tuple[KindPolicy, ...]
    cannot_link: tuple[CannotLink, ...]
    attribute_policies: tuple[AttributePolicy, ...]
    attributes: NodeAttributes | None
    adjacency: dict[str, dict[str, float]]
    components: list[frozenset[str]]

    def __call__(self, start: int) -> list[tuple[list[frozenset[str]], list[PolicySplit]] | None]:
        """Per component from ``start`` down (at most :data:`CUT_CHUNK` of them): None if
        it keeps every rule, else its customers and the splits that made them."""
        return [
            self.cut(self.components[index])
            for index in range(start, max(start - CUT_CHUNK, -1), -1)
        ]

    def cut(
        self, component: frozenset[str]
    ) -> tuple[list[frozenset[str]], list[PolicySplit]] | None:
        adjacency = self.adjacency
        groups: list[frozenset[str]] = []
        splits: list[PolicySplit] = []
        pending = [component]
        while pending:
            group = pending.pop()
            broken = violation(
                group,
                self.policies,
                self.cannot_link,
                self.attribute_policies,
                self.attributes,
                adjacency,
            )
            if broken is None:
                if group is component:
                    return None
                groups.append(group)
                continue
            s, t = broken.a, broken.b
            side_s, side_t, cut = _minimum_cut(group, adjacency, s, t)
            splits.append(
                PolicySplit(
                    broken.rule, (s, t), cut, (side_s, side_t), broken.field, broken.records
                )
            )
            for side in (side_s, side_t):
                pending.extend(_components(side, adjacency))
        return groups, splits


def _confidences(adjacency: Mapping[str, Mapping[str, float]], result: Clustering) -> None:
    """Membership: an identifier's strongest link inside its customer (1.0 alone).

    Customer confidence: the weakest link of the maximum spanning tree, i.e. the link
    the customer could least afford to lose; 1.0 for a single identifier.
    """
    for group in result.groups:
        edges = []
        for node in group:
            best = 0.0
            for other, p in adjacency[node].items():
                if other in group:
                    best = max(best, p)
                    if node < other:
                        edges.append((p, node, other))
            result.membership[node] = best if best else 1.0
        if len(group) == 1:
            result.confidence[group] = 1.0
            result.weakest[group] = None
            continue
        # Kruskal on descending probability: the last edge taken is the weakest needed.
        edges.sort(key=lambda e: (-e[0], e[1], e[2]))
        parent = {n: n for n in group}

        def find(x: str, parent: dict[str, str] = parent) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        weakest: tuple[float, str, str] | None = None
        joined = 1
        for p, a, b in edges:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb
                weakest = (p, a, b)
                joined += 1
                if joined == len(group):
                    break
        assert weakest is not None
        result.confidence[group] = weakest[0]
        result.weakest[group] = Link(weakest[1], weakest[2], weakest[0])
