"""Fit, set, show and re-match: ``idgraph model ...``, ``idgraph rematch``,
``GET /v1/match-model``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any

from app.core.errors import FieldError, InvalidInputError
from app.engine.core import Engine
from app.engine.matching import (
    MatchModel,
    MatchProfile,
    TermFrequencies,
    candidate_pairs,
    compare,
    default_model,
    fit_labelled,
    fit_unsupervised,
    profile_of,
)
from app.engine.ports import ResolutionUnit, Transactions
from graph_models.customers import Change


def _record_keys_after(unit: ResolutionUnit, after: str, limit: int) -> list[str]:
    return unit.record_keys_after(after, limit)


class ModelLifecycle:
    """The active match model over the store.

    Args:
        store: reads records in read transactions; stores the model and re-matches in
            write transactions.
        engine: the resolver that re-scores evidence, and the active-model cache.
    """

    def __init__(self, store: Transactions, engine: Engine) -> None:
        self.store = store
        self.engine = engine

    def current(self) -> MatchModel:
        """The active model (stored or default), read in its own transaction."""
        model = self.store.in_read_transaction(self.engine.match_model)
        return model or default_model()

    def iter_profiles(self, page: int = 2000) -> Iterator[MatchProfile]:
        """Every stored record with enough attributes to match on, in key order."""

        def read(unit: ResolutionUnit, after: str) -> tuple[list[str], list[dict[str, Any]]]:
            keys = unit.record_keys_after(after, page)
            return keys, unit.match_profiles(keys) if keys else []

        after = ""
        while True:
            keys, rows = self.store.in_read_transaction(partial(read, after=after))
            for row in rows:
                profile = profile_of(row["key"], row["attributes"], row["identifiers"])
                if profile is not None:
                    yield profile
            if len(keys) < page:
                return
            after = keys[-1]

    def fit(
        self, labels: Callable[[str, str], bool] | None = None, store: bool = True
    ) -> tuple[MatchModel, int]:
        """Estimate the match model from the records in the graph and make it active.

        Candidate pairs come from the same blocking as live matching. Without labels the
        model is fitted as Splink does (:func:`app.engine.matching.fit_unsupervised`): u
        from random record pairs, m and the prior by expectation-maximisation over the
        candidate pairs, and the term frequencies counted in the graph frozen into it;
        with ``labels(record_a, record_b) -> same person?`` m and u are counted.

        Returns:
            The model and the number of candidate pairs it was fitted on.
        """
        profiles = list(self.iter_profiles())
        one_per_person = self.engine.resolver.config.matching.one_per_person
        pairs = candidate_pairs(profiles, self.engine.settings.match_max_block, one_per_person)
        gammas = [compare(a, b) for a, b in pairs]
        if not gammas:
            raise InvalidInputError(
                "no candidate record pairs to fit a match model on: ingest records with attributes "
                "first (names, birth dates, postcodes, addresses)",
                [FieldError(("records",), "ingest records with attributes first", "missing")],
            )
        if labels is not None:
            model = fit_labelled(gammas, [labels(a.key, b.key) for a, b in pairs])
        else:
            rows = self.store.in_read_transaction(lambda unit: unit.term_frequencies())
            start = dataclasses.replace(
                default_model(), frequencies=TermFrequencies.from_blocks(rows)
            )
            model = fit_unsupervised(profiles, gammas, start, one_per_person=one_per_person)
        if store:
            self.set(model, len(gammas))
        return model, len(gammas)

    def set(self, model: MatchModel, pairs: int = 0) -> None:
        """Make ``model`` the active one (fitted here, or set by hand from its JSON)."""
        now = datetime.now(UTC).isoformat()
        self.store.in_write_transaction(
            lambda unit: unit.store_model(model.version, model.to_json(), model.method, now, pairs)
        )

    def records_to_rematch(self) -> int:
        """How many records :meth:`rematch` will go through."""
        return self.store.in_read_transaction(lambda unit: unit.count_records())

    def rematch(
        self, page: int = 500, progress: Callable[[int], None] | None = None
    ) -> tuple[int, list[Change]]:
        """Re-score every record's similarity evidence with the active model, page by page,
        re-evaluating the customers whose links changed. Returns (records, changes)."""
        done = 0
        changes: list[Change] = []
        after = ""
        while True:
            keys: list[str] = self.store.in_read_transaction(
                partial(_record_keys_after, after=after, limit=page)
            )
            if not keys:
                break
            now = datetime.now(UTC)

            def work(
                unit: ResolutionUnit, keys: list[str] = keys, now: datetime = now
            ) -> list[Change]:
                model = self.engine.match_model(unit)
                return self.engine.resolver.rematch(unit, keys, now, model) if model else []

            changes.extend(self.store.in_write_transaction(work))
            done += len(keys)
            if progress:
                progress(done)
            after = keys[-1]
        return done, changes
