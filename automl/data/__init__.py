"""Loading tables, inferring the task and schema, fingerprints and preprocessing."""

from automl.data._fingerprint import SKETCH_SIZE, Fingerprint, RowSketch, fingerprint, row_hashes, row_sketch
from automl.data._frame import as_frame
from automl.data._load import Dataset, load_dataset, split_target
from automl.data._preprocess import DATA_TRUSTED_TYPES, CategoricalEncoding, build_preprocessor
from automl.data._read import LimitExceeded, read_table
from automl.data._schema import Schema, infer_schema
from automl.data._split import DataSplit, order_by_time, split_frame, time_order
from automl.data._summary import ColumnDrift, drift, summarize
from automl.data._task import TASKS, Task, as_task, check_target, infer_task, sklearn_score
from automl.data._validate import check_enough_rows

__all__ = [
    "DATA_TRUSTED_TYPES",
    "SKETCH_SIZE",
    "TASKS",
    "CategoricalEncoding",
    "ColumnDrift",
    "DataSplit",
    "Dataset",
    "Fingerprint",
    "LimitExceeded",
    "RowSketch",
    "Schema",
    "Task",
    "as_frame",
    "as_task",
    "build_preprocessor",
    "check_enough_rows",
    "check_target",
    "drift",
    "fingerprint",
    "infer_schema",
    "infer_task",
    "load_dataset",
    "order_by_time",
    "read_table",
    "row_hashes",
    "row_sketch",
    "sklearn_score",
    "split_frame",
    "split_target",
    "summarize",
    "time_order",
]
