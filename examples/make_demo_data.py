"""Write the demo table: the Wisconsin breast-cancer data that ships inside scikit-learn.

It is real clinical data (569 rows, 30 numeric features), needs no network, and the
label is written as strings ("malignant"/"benign") so the demo exercises label handling.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sklearn.datasets import load_breast_cancer


def main(out: str) -> None:
    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.frame.rename(columns={"target": "diagnosis"})
    frame["diagnosis"] = frame["diagnosis"].map(dict(enumerate(bunch.target_names)))
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    print(f"demo data: {path} ({len(frame)} rows, target 'diagnosis')")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "demo/breast_cancer.csv")
