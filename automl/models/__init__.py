"""Model families as sklearn estimators, the builder table, model cards and artifacts."""

from automl.models import _linear, _mlp_builder, _neighbors, _trees, _xgboost  # noqa: F401  (register builders)
from automl.models._budget import fit_budgeted, model_size_bytes, predict_budgeted
from automl.models._builders import Builder, builder_names, get_builder, register_builder
from automl.models._card import ModelCard
from automl.models._continue import CannotContinue, added_units, continuation_for
from automl.models._persist import MODEL_TRUSTED_TYPES, artifact_digests, load_card, load_model, prepare_saving, save_model
from automl.models._rounds import REFIT_ROUNDS_SCALE, early_stopped_rounds, with_fixed_rounds
from automl.models._tabular import TabularModel, shared_preprocessing
from automl.models._trust import FUNCTIONS, MODEL_ALLOW_LIST, declare_trusted
from automl.models._xgboost import XGBoostModel

__all__ = [
    "FUNCTIONS",
    "MODEL_ALLOW_LIST",
    "MODEL_TRUSTED_TYPES",
    "REFIT_ROUNDS_SCALE",
    "Builder",
    "CannotContinue",
    "ModelCard",
    "TabularModel",
    "XGBoostModel",
    "added_units",
    "artifact_digests",
    "builder_names",
    "continuation_for",
    "declare_trusted",
    "early_stopped_rounds",
    "fit_budgeted",
    "get_builder",
    "load_card",
    "load_model",
    "model_size_bytes",
    "predict_budgeted",
    "prepare_saving",
    "register_builder",
    "save_model",
    "shared_preprocessing",
    "with_fixed_rounds",
]
