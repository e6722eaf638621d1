"""A trial whose study's process is killed ends too: it kept training, then waited forever
to hand its events to nobody, with its Keras and torch in memory (the fork server it came
from stays as long as its trials do)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from kerascanvas.graph.project import Project
from kerascanvas.graph.projectfile import to_dict
from kerascanvas.runtime.search.child import _gone
from tests.runtime.test_search import UNITS, mlp_project

STUDY = """
import json, sys, time
from kerascanvas.runtime.search.child import start_trial

if __name__ == "__main__":  # the fork server imports this module too
    process, events, commands = start_trial(json.loads(open(sys.argv[1]).read()))
    print(process.pid, flush=True)
    events.get(timeout=300)  # the trial trains: its first event came
    print("training", flush=True)
    time.sleep(600)
"""


@pytest.mark.slow  # the fork server imports Keras and torch before the trial starts
def test_a_trial_ends_when_the_study_process_is_killed(tmp_path):
    doc = Project.open(mlp_project(tmp_path, [UNITS], epochs=100000)).doc
    payload = tmp_path / "trial.json"
    payload.write_text(json.dumps({"number": 0, "document": to_dict(doc), "threads": 1,
                                   "env": {}, "device": "cpu", "trusted_code": [],
                                   "save": None}))
    script = tmp_path / "study.py"
    script.write_text(STUDY)
    study = subprocess.Popen([sys.executable, str(script), str(payload)],
                             stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        trial = int(study.stdout.readline())
        assert study.stdout.readline().strip() == "training"
        assert not _gone(trial)
        os.kill(study.pid, signal.SIGKILL)  # left unreaped a while: a zombie, as in a
        deadline = time.monotonic() + 30  # container whose init reaps nobody
        while not _gone(trial) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _gone(trial), "the trial outlived its study's process"
    finally:
        study.kill()
        study.wait()
