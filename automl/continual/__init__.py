"""Continual learning: stateful / stateless / search updates, retrain triggers and a replay simulator.

``update`` builds a challenger from a registered champion on new labelled rows
and runs the promotion gate on the newest of them; ``evaluate_triggers`` decides
whether new data warrants an update; ``simulate`` replays a time-ordered table
to show which update policy pays.
"""

from automl.continual._strategies import STRATEGIES, Built, stateful, stateless
from automl.continual._update import MIN_HOLDOUT_ROWS, MODES, UpdateConfig, UpdateResult, check_new_data, update

__all__ = [
    "MIN_HOLDOUT_ROWS",
    "MODES",
    "STRATEGIES",
    "Built",
    "UpdateConfig",
    "UpdateResult",
    "check_new_data",
    "stateful",
    "stateless",
    "update",
]
