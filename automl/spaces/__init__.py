"""Declarative search spaces: YAML files -> frozen dataclasses -> Optuna suggestions."""

from automl.spaces._loader import Override, default_spaces_dir, load_space, load_spaces, load_spaces_with_overrides, parse_space
from automl.spaces._schema import FamilySpace, Param, ParamType, PortfolioEntry, Preprocessing
from automl.spaces._suggest import default_trial_params, portfolio_trials, suggest, trial_key

__all__ = [
    "FamilySpace",
    "Override",
    "Param",
    "ParamType",
    "PortfolioEntry",
    "Preprocessing",
    "default_spaces_dir",
    "default_trial_params",
    "load_space",
    "load_spaces",
    "load_spaces_with_overrides",
    "parse_space",
    "portfolio_trials",
    "suggest",
    "trial_key",
]
