"""Ensembles built from search results: arrays of OOF predictions and fitted models.

Nothing here knows about Optuna; the search hands over OOF arrays and fitted
members, and gets back weights, meta-learners and sklearn-style estimators.
"""

from automl.ensembles._average import WeightedAverageEnsemble
from automl.ensembles._bagging import BaggedModel
from automl.ensembles._selection import SelectionResult, greedy_selection
from automl.ensembles._stacking import StackedEnsemble, fit_stacking, select_diverse, stacking_oof_score

#: Type names to add to ``skops.io.loads(..., trusted=...)`` for these estimators: the
#: three classes, plus ``numpy.dtype``, which skops 0.16 does not trust by default and
#: the passthrough meta-learner's ``SimpleImputer`` stores. Members' own types (e.g.
#: ``sklearn.tree._tree.Tree``) are the model families' business, not listed here.
ENSEMBLE_TRUSTED_TYPES: list[str] = [
    f"{cls.__module__}.{cls.__qualname__}" for cls in (WeightedAverageEnsemble, StackedEnsemble, BaggedModel)
] + ["numpy.dtype"]

__all__ = [
    "ENSEMBLE_TRUSTED_TYPES",
    "BaggedModel",
    "SelectionResult",
    "StackedEnsemble",
    "WeightedAverageEnsemble",
    "fit_stacking",
    "greedy_selection",
    "select_diverse",
    "stacking_oof_score",
]
