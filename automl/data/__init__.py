"""Loading tables, inferring the task and schema, fingerprints and preprocessing."""

from automl.data._fingerprint import Fingerprint, fingerprint
from automl.data._frame import as_frame
from automl.data._load import Dataset, load_dataset, read_table, split_target
from automl.data._preprocess import DATA_TRUSTED_TYPES, CategoricalEncoding, build_preprocessor
from automl.data._schema import Schema, infer_schema
from automl.data._task import TASKS, Task, check_target, infer_task, sklearn_score
from automl.data._validate import check_enough_rows

__all__ = [
    "DATA_TRUSTED_TYPES",
    "TASKS",
    "CategoricalEncoding",
    "Dataset",
    "Fingerprint",
    "Schema",
    "Task",
    "as_frame",
    "build_preprocessor",
    "check_enough_rows",
    "check_target",
    "fingerprint",
    "infer_schema",
    "infer_task",
    "load_dataset",
    "read_table",
    "sklearn_score",
    "split_target",
]
