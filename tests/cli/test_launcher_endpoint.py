"""The flags that place a run's processes (`--node-rank`, `--rdzv-endpoint`) are checked
before anything starts, and a rendezvous that fails names its flag: an endpoint without
a port, or with a host nobody knows, waited minutes in torch and ended in an internal
error (exit 70); `--node-rank 3` alone was ignored and the run trained as one process."""

from __future__ import annotations

import pytest
import torch.distributed.run
from torch.distributed.elastic.rendezvous.api import RendezvousConnectionError

from kerascanvas.app.cli import main
from kerascanvas.runtime import launch as launch_module
from kerascanvas.runtime.launch import Launch, endpoint_parts
from tests.runtime.test_run import classifier, project


@pytest.mark.parametrize("endpoint, parts", [
    ("node0:29400", ("node0", 29400)), ("[::1]:29400", ("::1", 29400)),
    ("node0", None), ("node0:", None), (":29400", None), ("node0:0", None),
    ("node0:65536", None), ("node0:２９", None), ("node0:-1", None),
])
def test_endpoint_parts(endpoint, parts):
    assert endpoint_parts(endpoint) == parts


def test_an_endpoint_without_a_port_is_a_problem_naming_the_flag_and_value():
    problems = Launch(1, nnodes=2, rdzv_endpoint="nohostport").problems()
    assert problems == ["--rdzv-endpoint: expected HOST:PORT, the port a number from 1 to "
                        "65535. Received: 'nohostport'"]


def test_an_unknown_rendezvous_host_ends_the_launch_at_once_naming_the_flag():
    outcome = launch_module.launch(Launch(1, nnodes=2, rdzv_endpoint="nohost.invalid:29400"),
                                   "kerascanvas.runtime.cli.rank", [], invalid_code=1)
    assert outcome.code == 1
    assert outcome.message.startswith("--rdzv-endpoint nohost.invalid:29400: the host "
                                      "'nohost.invalid' cannot be found")


def test_a_failed_rendezvous_is_an_outcome_naming_the_flag(monkeypatch):
    def meet(_config):
        raise RendezvousConnectionError("The connection to the C10d store has failed.")

    monkeypatch.setattr(torch.distributed.run, "run", meet)
    outcome = launch_module.launch(Launch(1, nnodes=2, rdzv_endpoint="127.0.0.1:29400"),
                                   "kerascanvas.runtime.cli.rank", [], failed_code=3)
    assert outcome.code == 3
    assert outcome.message.startswith("--rdzv-endpoint 127.0.0.1:29400: the machines did not "
                                      "meet there (RendezvousConnectionError: The connection")


@pytest.mark.parametrize("flags, expected", [
    (["--node-rank", "3"], "--node-rank must be in 0..0 (--nnodes 1). Received: 3"),
    (["--nnodes", "2", "--rdzv-endpoint", "node0"], "--rdzv-endpoint: expected HOST:PORT"),
])
def test_run_refuses_placement_flags_it_cannot_use(tmp_path, capsys, flags, expected):
    path = project(tmp_path, classifier())
    assert main(["run", path, "--data", "synthetic:32", "--no-progress", *flags]) == 1
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "model.runs").exists()
