"""Probabilistic record matching: are two customer records the same person?

The Fellegi-Sunter model in the vocabulary of Splink, one concept per module:

* :mod:`~app.engine.matching.profiles` -- the comparable view of a record;
* :mod:`~app.engine.matching.comparisons` -- comparisons and their levels (the
  comparison vector, gamma), including the one address comparison;
* :mod:`~app.engine.matching.blocking` -- which pairs are compared at all;
* :mod:`~app.engine.matching.frequencies` -- term-frequency adjustments;
* :mod:`~app.engine.matching.model` -- m, u, the prior, scoring and the default model;
* :mod:`~app.engine.matching.estimation` -- fitting m, u and the prior (random sampling,
  EM, labels).
"""

from app.engine.matching.blocking import (
    blocking_keys,
    candidate_pairs,
    cannot_match,
    possible_pairs,
)
from app.engine.matching.comparisons import (
    DEFAULT_COMPARISONS,
    ELSE_LEVEL,
    METHODS,
    NULL_LEVEL,
    Comparison,
    compare,
    dates_typo_equal,
    email_local,
    similarities,
)
from app.engine.matching.estimation import (
    PROBABILITY_FLOOR,
    estimate_u_given,
    estimate_u_random,
    fit_em,
    fit_labelled,
    fit_unsupervised,
)
from app.engine.matching.frequencies import (
    TERM_PREFIX,
    TermFrequencies,
    is_term_block,
    term_block_keys,
    term_hash,
)
from app.engine.matching.model import (
    DEFAULT_PRIOR,
    FieldEvidence,
    MatchModel,
    ScoredPair,
    default_model,
    manual_model,
    probability_from_weight,
)
from app.engine.matching.profiles import (
    MatchProfile,
    clean_code,
    clean_date,
    clean_text,
    profile_of,
    stored_profile,
)

__all__ = [
    "DEFAULT_COMPARISONS",
    "DEFAULT_PRIOR",
    "ELSE_LEVEL",
    "METHODS",
    "NULL_LEVEL",
    "PROBABILITY_FLOOR",
    "TERM_PREFIX",
    "Comparison",
    "FieldEvidence",
    "MatchModel",
    "MatchProfile",
    "ScoredPair",
    "TermFrequencies",
    "blocking_keys",
    "candidate_pairs",
    "cannot_match",
    "clean_code",
    "clean_date",
    "clean_text",
    "compare",
    "dates_typo_equal",
    "default_model",
    "email_local",
    "estimate_u_given",
    "estimate_u_random",
    "fit_em",
    "fit_labelled",
    "fit_unsupervised",
    "is_term_block",
    "manual_model",
    "possible_pairs",
    "probability_from_weight",
    "profile_of",
    "similarities",
    "stored_profile",
    "term_block_keys",
    "term_hash",
]
