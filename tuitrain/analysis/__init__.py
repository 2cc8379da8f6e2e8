"""Pure-Python analysis of training histories: early stopping, overfitting, smoothing, learning-rate regimes.

No TensorFlow and no UI: the engine, the dashboard and the runs list all call this on plain lists of
per-epoch Keras logs. Everything works online (one epoch at a time) and offline (a whole history) with the
same results.
"""

from tuitrain.analysis.analyzer import AnalysisResult, StreamingAnalyzer, analyze
from tuitrain.analysis.chance import Guessing, NotLearned, chance_loss, experiment_guessing, guessing_for, not_learned
from tuitrain.analysis.early_stopping import (
    EarlyStoppingPoint,
    EarlyStoppingTracker,
    early_stopping_point,
    keras_early_stopping_arguments,
    keras_plateau_arguments,
    resolve_mode,
)
from tuitrain.analysis.flags import CRITERIA, Flag, Severity
from tuitrain.analysis.lr_regime import LrRegime, LrRegimeReport, LrRegimeTracker, classify_lr_regime
from tuitrain.analysis.onset import Confidence, Onset
from tuitrain.analysis.prechelt import (
    PrecheltPoint,
    PrecheltSeries,
    PrecheltTracker,
    generalization_loss,
    prechelt_series,
    progress_quotient,
    training_progress,
)
from tuitrain.analysis.smoothing import EmaSmoother, ema_smooth

__all__ = [
    "CRITERIA",
    "AnalysisResult",
    "Confidence",
    "EarlyStoppingPoint",
    "EarlyStoppingTracker",
    "EmaSmoother",
    "Flag",
    "Guessing",
    "LrRegime",
    "LrRegimeReport",
    "LrRegimeTracker",
    "NotLearned",
    "Onset",
    "PrecheltPoint",
    "PrecheltSeries",
    "PrecheltTracker",
    "Severity",
    "StreamingAnalyzer",
    "analyze",
    "chance_loss",
    "classify_lr_regime",
    "early_stopping_point",
    "ema_smooth",
    "experiment_guessing",
    "generalization_loss",
    "guessing_for",
    "keras_early_stopping_arguments",
    "keras_plateau_arguments",
    "not_learned",
    "prechelt_series",
    "progress_quotient",
    "resolve_mode",
    "training_progress",
]
