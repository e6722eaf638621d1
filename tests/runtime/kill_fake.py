"""A simulated training child for the Kill tests (`test_kill_keeps_what_was_written`,
`tests/app/test_kill_keeps_model.py`): a module of its own, light to import, since each
test's child process imports it to run `fake_agent`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from kerascanvas.runtime.events import EpochBegin, EpochEnd, TrainBegin, TrainEnd, to_wire

# A rank (or, on one process, the training itself), held in its final evaluation once it
# has written what `mode` says: "nothing"; "saved", the model whole (under a partial name,
# renamed) and part of the predictions; "predicted", both whole; "snapshot", in training,
# the model's epoch-end snapshot after epoch 2 of 4 and its run record (`runtime.snapshot`).
# With `trap` it writes the model when SIGTERM comes, as rank 0 keeps it when torchrun ends
# it.
RANK = """
import os, signal, sys, time
save, ready, mode, trap = sys.argv[2:6]
predictions = save[:-len(".keras")] + ".predictions.npz"
def whole(path, text):
    partial = os.path.join(os.path.dirname(path), f".partial-{os.getpid()}-" +
                           os.path.basename(path))
    with open(partial, "w") as handle:
        handle.write(text)
    os.replace(partial, path)
def keep(*_):
    whole(save, "model at the kill")
    os._exit(0)
if trap == "trap":
    signal.signal(signal.SIGTERM, keep)
elif trap == "deaf":  # a rank deep in its start, which a SIGTERM does not end
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if mode == "snapshot":
    snapshot = save[:-len(".keras")] + ".last.keras"
    whole(snapshot, "snapshot")
    whole(snapshot + ".run.json", '{"format": "kerascanvas-run", "version": 1, '
          '"data": "synthetic:96", "fingerprint": {}, "epochs": 2, "planned_epochs": 4}')
if mode in ("saved", "predicted"):
    whole(save, "model")
if mode == "predicted":
    whole(predictions, "predictions")
elif mode == "saved":
    open(os.path.join(os.path.dirname(save), f".partial-{os.getpid()}-" +
                      os.path.basename(predictions)), "w").write("half")
open(ready, "w").close()
time.sleep(60)
"""


def fake_agent(payload, events, commands) -> None:
    """Stands for the worker's child: on several processes torchrun's agent, which passes
    SIGTERM on to its rank and waits for it; on one the training itself. With "epochs"
    in the overrides it first sends the events of training that many epochs. In mode
    "starting" the agent has started no rank yet when it says it is ready (`starting`)."""
    save, (ready, mode) = payload["save"], payload["overrides"]["fake"]
    epochs = payload["overrides"].get("epochs", 0)
    if epochs:
        trained = [TrainBegin(epochs=epochs, steps=1, samples=8)]
        for epoch in range(epochs):
            trained += [EpochBegin(epoch), EpochEnd(epoch, {"loss": 1.0 / (epoch + 1)})]
        for event in [*trained, TrainEnd(epochs_run=epochs)]:
            events.put(to_wire(event))
    if mode == "starting":
        starting(save, ready)
        return
    if int(payload["processes"]) == 1:
        sys.argv = ["-c", "kerascanvas.runtime", save, ready, mode, "-"]
        exec(RANK, {"__name__": "__rank__"})  # held until the kill
        return
    rank = subprocess.Popen([sys.executable, "-c", RANK, "kerascanvas.runtime.relay", save,
                             ready, mode, "trap"])

    def pass_on(*_):
        rank.send_signal(signal.SIGTERM)
        rank.wait(10)
        os._exit(0)

    signal.signal(signal.SIGTERM, pass_on)
    time.sleep(60)


def starting(save: str, ready: str) -> None:
    """An agent still starting its ranks as torchrun's does: a SIGTERM that comes now
    finishes the start, then passes the SIGTERM on, and the agent waits for the ranks
    (torchrun gives them 30 s). Rank 0 answers it by keeping a model (`rank_end`), rank 1
    does not hear it. Each rank says it runs in `ready` + ".rankN"."""

    def finish_start(*_):
        ranks = [subprocess.Popen([sys.executable, "-c", RANK, "kerascanvas.runtime.relay",
                                   save, f"{ready}.rank{n}", "nothing", trap])
                 for n, trap in enumerate(("trap", "deaf"))]
        while not all(os.path.exists(f"{ready}.rank{n}") for n in range(len(ranks))):
            time.sleep(0.01)
        for rank in ranks:
            rank.send_signal(signal.SIGTERM)
        time.sleep(60)

    signal.signal(signal.SIGTERM, finish_start)
    open(ready, "w").close()
    time.sleep(60)
