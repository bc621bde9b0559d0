"""Reading trials by their score (the first objective), for single- and multi-objective studies alike."""

from __future__ import annotations

import optuna

_COMPLETE = (optuna.trial.TrialState.COMPLETE,)


def score(trial: optuna.trial.FrozenTrial) -> float:
    """The metric score of a completed trial (objective 0)."""
    return float(trial.values[0])


def score_maximized(study: optuna.Study) -> bool:
    return study.directions[0] == optuna.study.StudyDirection.MAXIMIZE


def ranked(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """Completed trials, best score first; ties go to the earlier trial."""
    sign = -1.0 if score_maximized(study) else 1.0
    trials = [t for t in study.get_trials(deepcopy=False, states=_COMPLETE) if t.values]
    return sorted(trials, key=lambda t: (sign * score(t), t.number))


def pareto_numbers(study: optuna.Study) -> set[int]:
    """Trial numbers on the Pareto front (empty for single-objective studies)."""
    if len(study.directions) < 2:
        return set()
    return {t.number for t in study.best_trials}
