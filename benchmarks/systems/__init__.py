"""The systems the benchmark compares, by name (the order is the table's column order)."""

from systems._autogluon import AUTOGLUON, AUTOGLUON_BEST
from systems._automl import (
    AUTOML,
    AUTOML_1CORE,
    AUTOML_BLEND,
    AUTOML_MLP,
    AUTOML_MLP_PRUNED,
    AUTOML_NO_ES,
    AUTOML_NO_PORTFOLIO,
    AUTOML_PRUNED,
    AUTOML_SINGLE,
)
from systems._base import FitContext, Fitted, System
from systems._flaml import FLAML
from systems._hgb import HGB_DEFAULTS
from systems._optuna_xgb import OPTUNA_XGB
from systems._zero_rule import ZERO_RULE

SYSTEMS: dict[str, System] = {
    s.name: s
    for s in (
        ZERO_RULE,
        HGB_DEFAULTS,
        OPTUNA_XGB,
        FLAML,
        AUTOGLUON,
        AUTOGLUON_BEST,
        AUTOML,
        AUTOML_SINGLE,
        AUTOML_BLEND,
        AUTOML_MLP,
        AUTOML_PRUNED,
        AUTOML_MLP_PRUNED,
        AUTOML_1CORE,
        AUTOML_NO_ES,
        AUTOML_NO_PORTFOLIO,
    )
}
# The comparison with peers; autogluon_best and the automl_* variants are run on request (--systems).
DEFAULT_SYSTEMS: tuple[str, ...] = ("zero_rule", "hgb_defaults", "optuna_xgb", "flaml", "autogluon", "automl")

__all__ = ["DEFAULT_SYSTEMS", "SYSTEMS", "FitContext", "Fitted", "System"]
