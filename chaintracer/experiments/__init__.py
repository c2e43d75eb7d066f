"""Prompt experiments: run variants of a target over a dataset, score every answer, compare.

``chaintracer.evaluate(...)`` (see ``runner.evaluate``) returns an ``Experiment``; built-in
scorers are in ``chaintracer.scorers``. Method and usage: ``docs/experiments.md``.
"""

from chaintracer.experiments.experiment import Experiment, load_experiment
from chaintracer.experiments.runner import evaluate
from chaintracer.experiments.scoring import Score

__all__ = ["Experiment", "Score", "evaluate", "load_experiment"]
