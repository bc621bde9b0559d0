"""Ensembles built from search results: arrays of OOF predictions and fitted models.

Nothing here knows about Optuna; the search hands over OOF arrays and fitted
members, and gets back weights, meta-learners and sklearn-style estimators.
"""

from automl.ensembles._average import WeightedAverageEnsemble
from automl.ensembles._bagging import BaggedModel
from automl.ensembles._selection import SelectionResult, cross_fitted_selection, greedy_selection
from automl.ensembles._stacking import (
    STACKING_FOLDS,
    StackedEnsemble,
    fit_stacking,
    select_diverse,
    stacking_oof,
    stacking_oof_score,
)
from automl.models import declare_trusted

#: Fully qualified names of the ensemble classes, to add to ``skops.io.loads``'s
#: ``trusted`` (or ``automl.models.load_model``'s) next to the members' own types
#: (``automl.models.MODEL_TRUSTED_TYPES``).
ENSEMBLE_TRUSTED_TYPES: list[str] = [
    f"{cls.__module__}.{cls.__qualname__}" for cls in (WeightedAverageEnsemble, StackedEnsemble, BaggedModel)
]
declare_trusted(ENSEMBLE_TRUSTED_TYPES)

__all__ = [
    "ENSEMBLE_TRUSTED_TYPES",
    "STACKING_FOLDS",
    "BaggedModel",
    "SelectionResult",
    "StackedEnsemble",
    "WeightedAverageEnsemble",
    "cross_fitted_selection",
    "fit_stacking",
    "greedy_selection",
    "select_diverse",
    "stacking_oof",
    "stacking_oof_score",
]
