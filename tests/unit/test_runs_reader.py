"""Reading the event log: torn and garbled lines, incremental tailing, a writer appending meanwhile."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from tuitrain.runs import (
    BatchProgress,
    EpochEnded,
    EventTailer,
    EventWriter,
    RunFinished,
    dump_event,
    read_events,
)


def epoch(n: int, loss: float = 0.5) -> EpochEnded:
    return EpochEnded(epoch=n, logs={"loss": loss, "val_loss": loss + 0.1}, learning_rate=0.01, epoch_seconds=1.0)


def batch(n: int, step: int) -> BatchProgress:
    return BatchProgress(epoch=n, step=step, steps=10, logs={"loss": 0.5})


def line(event: object) -> bytes:
    return (dump_event(event) + "\n").encode()  # type: ignore[arg-type]


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as fh:
        fh.write(data)


def test_missing_file_has_no_events(tmp_path: Path) -> None:
    log = read_events(tmp_path / "events.jsonl")
    assert log.events == [] and not log.torn_tail and log.bad_lines == []


def test_torn_last_line_is_dropped_and_reported_earlier_events_kept(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    whole = line(epoch(3))
    append(path, line(epoch(1)) + line(epoch(2)) + whole[: len(whole) // 2])
    log = read_events(path)
    assert [e.epoch for e in log.events] == [1, 2]  # type: ignore[union-attr]
    assert log.torn_tail and log.bad_lines == []


def test_complete_but_unreadable_last_line_counts_as_torn(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    append(path, line(epoch(1)) + b'{"type":"epoch_end","ti\n')
    log = read_events(path)
    assert len(log.events) == 1 and log.torn_tail and log.bad_lines == []
    # Zeros left by a power cut (no newline) are a torn tail too.
    path.write_bytes(line(epoch(1)) + b"\0" * 40)
    assert read_events(path).torn_tail


def test_garbled_middle_line_is_skipped_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    append(path, line(epoch(1)) + b"}}garbage{{\n" + line(epoch(2)) + b"\n" + line(epoch(3)))
    for collapse in (False, True):
        log = read_events(path, collapse_batches=collapse)
        assert [e.epoch for e in log.events] == [1, 2, 3]  # type: ignore[union-attr]
        assert log.bad_lines == [2] and not log.torn_tail


def test_run_directory_is_accepted_for_the_file(tmp_path: Path) -> None:
    append(tmp_path / "events.jsonl", line(epoch(1)))
    assert len(read_events(tmp_path).events) == 1
    assert len(EventTailer(tmp_path).poll()) == 1


def test_collapse_keeps_only_batch_progress_that_is_still_current(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    data = b"".join(line(batch(1, s)) for s in range(1, 6)) + line(epoch(1))
    data += b"".join(line(batch(2, s)) for s in range(1, 4))
    append(path, data)
    assert len(read_events(path).events) == 9
    events = read_events(path, collapse_batches=True).events
    assert [(type(e).__name__, e.epoch) for e in events] == [("EpochEnded", 1), ("BatchProgress", 2)]
    assert events[-1].step == 3  # type: ignore[union-attr]
    append(path, line(epoch(2)))
    events = read_events(path, collapse_batches=True).events
    assert [type(e).__name__ for e in events] == ["EpochEnded", "EpochEnded"]


def test_collapse_also_handles_batch_lines_written_in_another_key_order(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    foreign = b'{"time": 1, "type": "batch", "epoch": 1, "step": 2, "steps": 10, "logs": {}}\n'
    append(path, foreign + line(epoch(1)) + foreign.replace(b'"epoch": 1', b'"epoch": 2'))
    events = read_events(path, collapse_batches=True).events
    assert [(type(e).__name__, e.epoch) for e in events] == [("EpochEnded", 1), ("BatchProgress", 2)]


def test_tailer_waits_for_the_file_and_for_each_newline(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    tailer = EventTailer(path)
    assert tailer.poll() == []  # not there yet
    whole = line(epoch(1))
    append(path, whole[:10])
    assert tailer.poll() == [] and tailer.partial_line
    append(path, whole[10:-1])  # everything but the newline
    assert tailer.poll() == []
    append(path, b"\n")
    events = tailer.poll()
    assert [e.epoch for e in events] == [1] and not tailer.partial_line  # type: ignore[union-attr]
    assert tailer.poll() == []
    append(path, line(epoch(2)) + line(epoch(3)))
    assert [e.epoch for e in tailer.poll()] == [2, 3]  # type: ignore[union-attr]


def test_tailer_reads_only_new_bytes(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "events.jsonl"
    append(path, b"".join(line(epoch(n)) for n in range(1, 101)))
    tailer = EventTailer(path)
    assert len(tailer.poll()) == 100
    reads: list[int] = []
    from tuitrain.runs import reader

    real_open = reader.open_regular

    class Spy:
        def __init__(self, fh):
            self.fh = fh

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def read(self, *args):
            data = self.fh.read(*args)
            reads.append(len(data))
            return data

    monkeypatch.setattr(reader, "open_regular", lambda path: Spy(real_open(path)))
    new = line(epoch(101))
    append(path, new)
    assert [e.epoch for e in tailer.poll()] == [101]  # type: ignore[union-attr]
    assert reads == [len(new)]


def test_tailer_restarts_on_replacement_and_truncation(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    append(path, line(epoch(1)) + line(epoch(2)))
    tailer = EventTailer(path)
    assert len(tailer.poll()) == 2
    replacement = tmp_path / "new.jsonl"
    replacement.write_bytes(line(epoch(7)) + line(epoch(8)) + line(epoch(9)))
    os.replace(replacement, path)
    assert [e.epoch for e in tailer.poll()] == [7, 8, 9]  # type: ignore[union-attr]
    assert tailer.restarts == 1
    path.write_bytes(line(epoch(1)))  # same inode, shorter
    assert [e.epoch for e in tailer.poll()] == [1]  # type: ignore[union-attr]
    assert tailer.restarts == 2
    path.unlink()
    assert tailer.poll() == []
    append(path, line(epoch(5)))
    assert [e.epoch for e in tailer.poll()] == [5]  # type: ignore[union-attr]


def test_tailer_reports_garbled_lines_by_number(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    append(path, line(epoch(1)))
    tailer = EventTailer(path)
    tailer.poll()
    append(path, b"garbage\n" + line(epoch(2)))
    assert [e.epoch for e in tailer.poll()] == [2]  # type: ignore[union-attr]
    assert tailer.bad_lines == [2]


def test_tailer_collapses_batches_within_a_poll_only(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    tailer = EventTailer(path)
    append(path, line(batch(1, 1)) + line(batch(1, 2)))
    assert [e.step for e in tailer.poll()] == [2]  # type: ignore[union-attr]
    append(path, line(batch(1, 3)))
    assert [e.step for e in tailer.poll()] == [3]  # type: ignore[union-attr]
    raw = EventTailer(path, collapse_batches=False)
    assert len(raw.poll()) == 3


def test_tailing_while_a_writer_appends_sees_every_event_once_in_order(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    count = 400
    tailer = EventTailer(path, collapse_batches=False)
    seen: list[int] = []
    done = threading.Event()

    def write() -> None:
        with EventWriter(path, batch_fsync_interval=3600) as writer:
            for n in range(1, count + 1):
                writer.write(batch(1, n))
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    while not done.is_set():
        seen.extend(e.step for e in tailer.poll())  # type: ignore[union-attr]
    thread.join()
    seen.extend(e.step for e in tailer.poll())  # type: ignore[union-attr]
    assert seen == list(range(1, count + 1))
    assert tailer.bad_lines == [] and not tailer.partial_line


def test_final_event_is_read(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    append(path, line(epoch(1)) + line(RunFinished(status="finished", epochs_done=1)))
    events = read_events(path, collapse_batches=True).events
    assert isinstance(events[-1], RunFinished)
