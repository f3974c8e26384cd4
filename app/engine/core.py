"""The engine as configured: normaliser, resolver and active match model, shared by features.

Every feature service (ingest, erasure, overrides, the model's lifecycle, reads) works with
one :class:`Engine` built from the ``IDGRAPH_*`` settings, so all of them normalise,
cluster and score alike.
"""

from __future__ import annotations

from app.core.config import Settings
from app.core.errors import FieldError, InvalidIdentifierError, InvalidInputError
from app.engine.clustering import AttributePolicy, KindPolicy
from app.engine.matching import MatchModel, default_model
from app.engine.normalize import Normaliser
from app.engine.ports import ModelUnit
from app.engine.resolution import ResolutionConfig, Resolver
from app.engine.scoring import ScoringConfig
from app.engine.similarity import MatchingConfig
from app.privacy.consent.history import ConsentHistory
from graph_models.identifiers import identifier_key


def resolution_config(settings: Settings) -> ResolutionConfig:
    """The engine's configuration from the ``IDGRAPH_*`` settings."""
    defaults = ResolutionConfig()
    scoring = defaults.scoring
    if settings.kind_strength:
        scoring = ScoringConfig(kind_strength={**scoring.kind_strength, **settings.kind_strength})
    return ResolutionConfig(
        scoring=scoring,
        policies=tuple(KindPolicy(**policy) for policy in settings.kind_policies),
        threshold=settings.join_threshold,
        shared_limits=settings.shared_limits or defaults.shared_limits,
        matching=MatchingConfig(
            enabled=settings.matching_enabled,
            max_block=settings.match_max_block,
            min_probability=settings.match_min_probability,
            one_per_person=frozenset(settings.one_record_per_person_sources),
        ),
        attribute_policies=tuple(
            AttributePolicy(**policy) for policy in settings.attribute_policies
        )
        + tuple(AttributePolicy.once(source) for source in settings.one_record_per_person_sources),
    )


class Engine:
    """Normalisation, resolution and scoring as the settings configure them.

    Args:
        settings: normalisation region, extra kinds, threshold, policies, matching.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.normaliser = Normaliser(
            settings.default_region,
            settings.extra_kinds,
            settings.global_account_sources,
            record_identifiers=settings.matching_enabled,
            consent_purposes=settings.consent_purposes,
        )
        self.resolver = Resolver(resolution_config(settings), ConsentHistory())
        self._model: MatchModel = default_model()

    @property
    def config(self) -> ResolutionConfig:
        return self.resolver.config

    def match_model(self, unit: ModelUnit) -> MatchModel | None:
        """The model similarity evidence is scored with: the one stored in the graph
        (``idgraph model fit``), else the built-in default; None when matching is off.
        Read in every write transaction so all API replicas score alike."""
        if not self.settings.matching_enabled:
            return None
        stored = unit.active_model(self._model.version)
        if stored is None:
            if self._model.method != "default":
                self._model = default_model()
            return self._model
        params = stored["params"]
        if stored["version"] != self._model.version and params is not None:
            # only a new version carries its params (term frequencies make them large)
            self._model = MatchModel.from_json(params)
        return self._model

    def identifier_key(self, kind: str, value: str, source: str | None = None) -> str:
        """The key of an identifier, normalised as at ingestion."""
        ident = self.normaliser.identifier(kind, value, source)
        return identifier_key(ident.kind, ident.value)

    def parse_ref(self, ref: str, *field: str) -> str:
        """``kind:value`` -> the normalised identifier key; errors name ``field`` (the path
        to the reference in the input: ``"a"``, or ``"override", "a"``)."""
        kind, sep, value = ref.partition(":")
        if not sep or not kind or not value:
            raise InvalidInputError(
                f"{field[-1]} must look like kind:value",
                [FieldError(field, "expected kind:value, e.g. email:jane@example.com")],
            )
        try:
            return self.identifier_key(kind, value)
        except InvalidIdentifierError as exc:
            raise InvalidInputError(
                exc.message, [FieldError(field, exc.message, "invalid_identifier")]
            ) from None
