"""Memory estimates from the spec against what the machine has (issue 9): refuse above it, warn near it."""

from __future__ import annotations

import pytest

from tuitrain import presets
from tuitrain.spec.checks import check_experiment
from tuitrain.spec.memory import (
    FRAMEWORK_BYTES,
    MachineMemory,
    estimate,
    machine_memory,
    memory_issues,
    optimizer_slots,
)

GB = 10**9


def _exp(*overrides: str):
    data = presets.apply_overrides(presets.read_preset_data(presets.find("digits-mlp")), list(overrides))
    return presets.experiment_from_data(data)


def _estimate(*overrides: str):
    exp = _exp(*overrides)
    check = check_experiment(exp)
    assert check.shape is not None and check.params is not None and check.output is not None
    return estimate(exp, check.shape, check.params.total, check.params.trainable, check.output.units)


def test_an_absurd_model_is_refused_at_validation_with_one_line() -> None:
    """Two layers of 10^6 units: 10^12 parameters, terabytes of weights and Adam state."""
    with pytest.raises(presets.PresetError) as info:
        presets.load("digits-mlp", ['model.layers=[{kind="dense", units=1000000}, {kind="dense", units=1000000}]'])
    (issue,) = info.value.issues
    assert issue.path == "model.layers" and "\n" not in issue.message
    assert "training needs about 24.0 TB" in issue.message and "1,000,076,000,010 parameters" in issue.message
    assert "use fewer or smaller layers" in issue.message


def test_the_estimate_counts_weights_gradients_optimizer_slots_activations_and_data() -> None:
    est = _estimate('model.layers=[{kind="dense", units=100}]', 'optimizer={name="adam"}', "training.batch_size=10")
    params = 64 * 100 + 100 + 100 * 10 + 10
    assert est.params == params and est.weights == est.gradients == 4 * params
    assert est.optimizer == 2 * 4 * params and est.model == 16 * params
    assert est.activations == 10 * (64 + 100 + 10) * 3 * 4
    assert est.data == (1347 + 450) * 64 * 4 and est.host == est.data + FRAMEWORK_BYTES + 2 * est.weights
    assert optimizer_slots(_exp('optimizer={name="sgd", momentum=0.0}')) == 0
    assert optimizer_slots(_exp('optimizer={name="sgd", momentum=0.9}')) == 1
    assert optimizer_slots(_exp('optimizer={name="adam", amsgrad=true}')) == 3
    assert optimizer_slots(_exp('optimizer={name="rmsprop", momentum=0.5, centered=true}')) == 3


def test_above_the_memory_there_is_an_error_near_it_a_warning_naming_the_part_and_the_fix() -> None:
    est = _estimate('model.layers=[{kind="dense", units=20000}]', "training.batch_size=4096")
    need = est.device + est.host
    (error,) = memory_issues(est, MachineMemory(host_total=need // 2))
    assert error.severity == "error" and "more than the" in error.message
    (warning,) = memory_issues(est, MachineMemory(host_total=int(need / 0.9)))
    assert warning.severity == "warning" and "close to" in warning.message
    (busy,) = memory_issues(est, MachineMemory(host_total=need * 10, host_available=need // 2))
    assert busy.severity == "warning" and "free now" in busy.message
    assert memory_issues(est, MachineMemory(host_total=need * 10, host_available=need * 5)) == []
    assert memory_issues(est, MachineMemory(host_total=None)) == []  # unknown: nothing to compare with


def test_with_a_gpu_the_model_must_fit_its_memory_and_the_batch_is_named_when_it_is_the_cause() -> None:
    est = _estimate('model.layers=[{kind="dense", units=512}]', "training.batch_size=1000000")
    (issue,) = memory_issues(est, MachineMemory(host_total=1000 * GB, gpu_total=est.device // 2, gpu_name="T4"))
    assert issue.path == "training.batch_size" and "the GPU's" in issue.message
    assert "the activations of a batch of 1,000,000" in issue.message and "training.batch_size = " in issue.message


def test_this_machines_memory_is_read_without_tensorflow() -> None:
    import subprocess
    import sys

    machine = machine_memory()
    assert machine.host_total is None or machine.host_total > 0
    code = (
        "import sys; from tuitrain.spec.memory import machine_memory; machine_memory(); "
        "print(sorted({'tensorflow', 'keras'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_built_in_presets_fit_a_small_machine() -> None:
    for name in ("digits-mlp", "digits-overfit", "mnist-mlp", "imdb-seed", "imdb-regularized", "fashion-mnist-mlp"):
        exp = presets.load(name).experiment
        check = check_experiment(exp)
        assert check.shape and check.params and check.output
        est = estimate(exp, check.shape, check.params.total, check.params.trainable, check.output.units)
        assert memory_issues(est, MachineMemory(host_total=4 * GB, host_available=3 * GB)) == [], name
