"""Reading TensorBoard files back as TensorBoard itself does, for tests (``tests/`` is on ``sys.path``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def read_tensorboard(folder: Path) -> dict[str, list[tuple[int, Any]]]:
    """Every summary in ``folder``'s event files by tag: (step, value) pairs, as TensorBoard reads them."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    acc = EventAccumulator(str(folder), size_guidance={"tensors": 0})
    acc.Reload()
    out: dict[str, list[tuple[int, Any]]] = {}
    for tag in acc.Tags()["tensors"]:
        out[tag] = [(e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in acc.Tensors(tag)]
    return out


def hparams_view(logdir: Path) -> tuple[Any, Any]:
    """(experiment, session groups) as TensorBoard's HParams tab gets them for ``logdir``."""
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.hparams import api_pb2, backend_context, get_experiment, list_session_groups

    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(logdir))
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, str(logdir))
    tb = base_plugin.TBContext(logdir=str(logdir), data_provider=provider, multiplexer=multiplexer)
    backend, request = backend_context.Context(tb), context.RequestContext()
    experiment = get_experiment.Handler(request, backend, "", api_pb2.GetExperimentRequest()).run()
    query = api_pb2.ListSessionGroupsRequest(
        allowed_statuses=[api_pb2.STATUS_UNKNOWN, api_pb2.STATUS_SUCCESS], start_index=0, slice_size=100
    )
    for info in experiment.hparam_infos:
        query.col_params.add(hparam=info.name)
    for info in experiment.metric_infos:
        query.col_params.add(metric=info.name)
    return experiment, list_session_groups.Handler(request, backend, "", query).run()


def proto_value(value: Any) -> Any:
    """The Python value of a ``google.protobuf.Value`` (number, string or bool)."""
    return getattr(value, value.WhichOneof("kind"))
