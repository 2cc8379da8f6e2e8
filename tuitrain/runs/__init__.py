"""Run directories: layout, event schema, the trainer's writer, the readers' tailer, status and listing.

Pure Python (pydantic and the standard library): the dashboard imports this without TensorFlow.

Trainer side: :class:`EventWriter`, :class:`StatusFile` / :func:`write_status`, :class:`HistoryCsvWriter`.
Reader side: :func:`read_events`, :class:`EventTailer`, :func:`load_run`, :func:`list_runs`,
:func:`resolve_run`, :func:`latest_running`, :func:`delete_run`, :func:`trainer_alive`, :func:`last_error`.
"""

from tuitrain.runs import events
from tuitrain.runs.events import (
    BatchProgress,
    EpochEnded,
    Event,
    FinalEvent,
    FlagRaised,
    LrStep,
    RunFailed,
    RunFinished,
    RunStarted,
    dump_event,
    is_final,
    one_line,
    parse_event,
)
from tuitrain.runs.layout import (
    RunPaths,
    looks_like_run,
    new_run_dir,
    runs_root,
    safe_child,
    sanitize_name,
)
from tuitrain.runs.listing import (
    LATEST,
    AmbiguousRun,
    RunBusy,
    RunNotFound,
    RunSummary,
    delete_run,
    latest_running,
    list_runs,
    resolve_run,
)
from tuitrain.runs.reader import EventLog, EventTailer, read_events
from tuitrain.runs.record import RunRecord, last_error, load_run, trainer_alive
from tuitrain.runs.status import (
    RUN_STATES,
    RunState,
    RunStatus,
    process_alive,
    process_start_time,
    read_status,
    status_alive,
    this_host,
    write_status,
)
from tuitrain.runs.writer import EventWriter, HistoryCsvWriter, StatusFile, history_csv_text

__all__ = [
    "LATEST",
    "RUN_STATES",
    "AmbiguousRun",
    "BatchProgress",
    "EpochEnded",
    "Event",
    "EventLog",
    "EventTailer",
    "EventWriter",
    "FinalEvent",
    "FlagRaised",
    "HistoryCsvWriter",
    "LrStep",
    "RunBusy",
    "RunFailed",
    "RunFinished",
    "RunNotFound",
    "RunPaths",
    "RunRecord",
    "RunStarted",
    "RunState",
    "RunStatus",
    "RunSummary",
    "StatusFile",
    "delete_run",
    "dump_event",
    "events",
    "history_csv_text",
    "is_final",
    "last_error",
    "latest_running",
    "list_runs",
    "load_run",
    "looks_like_run",
    "new_run_dir",
    "one_line",
    "parse_event",
    "process_alive",
    "process_start_time",
    "read_events",
    "read_status",
    "resolve_run",
    "runs_root",
    "safe_child",
    "sanitize_name",
    "status_alive",
    "this_host",
    "trainer_alive",
    "write_status",
]
