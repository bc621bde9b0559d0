"""Continual learning: stateful / stateless / search updates, retrain triggers and a replay simulator.

``update`` builds a challenger from a registered champion on new labelled rows
and runs the promotion gate on the newest of them; ``evaluate_triggers`` decides
whether new data warrants an update; ``simulate`` replays a time-ordered table
to show which update policy pays.
"""

from automl.continual._simulate import POLICIES, PolicySummary, SimulationConfig, SimulationResult, WindowResult, simulate
from automl.continual._simulation_report import summary_rows, write_simulation_report
from automl.continual._strategies import STRATEGIES, Built, stateful, stateless
from automl.continual._triggers import TriggerCheck, TriggerConfig, check_triggers, parse_drift, reference_score
from automl.continual._update import MIN_HOLDOUT_ROWS, MODES, UpdateConfig, UpdateResult, check_new_data, update
from automl.continual._watch import WatchOutcome, WatchState, watch_once

__all__ = [
    "MIN_HOLDOUT_ROWS",
    "MODES",
    "POLICIES",
    "STRATEGIES",
    "Built",
    "PolicySummary",
    "SimulationConfig",
    "SimulationResult",
    "TriggerCheck",
    "TriggerConfig",
    "UpdateConfig",
    "UpdateResult",
    "WatchOutcome",
    "WatchState",
    "WindowResult",
    "check_new_data",
    "check_triggers",
    "parse_drift",
    "reference_score",
    "simulate",
    "stateful",
    "stateless",
    "summary_rows",
    "update",
    "watch_once",
    "write_simulation_report",
]
