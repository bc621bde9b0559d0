"""The systems the benchmark compares, by name (the order is the table's column order)."""

from systems._automl import AUTOML
from systems._base import FitContext, Fitted, System
from systems._flaml import FLAML
from systems._hgb import HGB_DEFAULTS
from systems._optuna_xgb import OPTUNA_XGB
from systems._zero_rule import ZERO_RULE

SYSTEMS: dict[str, System] = {s.name: s for s in (ZERO_RULE, HGB_DEFAULTS, OPTUNA_XGB, AUTOML, FLAML)}

__all__ = ["SYSTEMS", "FitContext", "Fitted", "System"]
