"""Loading tables, inferring the task and schema, fingerprints and preprocessing."""

from automl.data._fingerprint import Fingerprint, fingerprint
from automl.data._load import Dataset, load_dataset, split_target
from automl.data._read import LimitExceeded, read_table
from automl.data._preprocess import DATA_TRUSTED_TYPES, CategoricalEncoding, build_preprocessor
from automl.data._schema import Schema, infer_schema
from automl.data._task import TASKS, Task, check_target, infer_task
from automl.data._validate import check_enough_rows

__all__ = [
    "DATA_TRUSTED_TYPES",
    "TASKS",
    "CategoricalEncoding",
    "Dataset",
    "Fingerprint",
    "LimitExceeded",
    "Schema",
    "Task",
    "build_preprocessor",
    "check_enough_rows",
    "check_target",
    "fingerprint",
    "infer_schema",
    "infer_task",
    "load_dataset",
    "read_table",
    "split_target",
]
