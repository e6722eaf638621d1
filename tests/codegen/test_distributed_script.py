"""The torchrun script (`codegen --script --distributed`) and the Slurm batch file."""

from __future__ import annotations

import ast
import doctest
import shutil
import subprocess
from pathlib import Path

import pytest

from kerascanvas.app.cli import main
from kerascanvas.codegen import CodegenError, generate
from kerascanvas.codegen.slurm import SlurmJob, sbatch
from kerascanvas.graph.project import Project

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.mark.parametrize("name", ["digits_cnn", "mnist_mlp", "customer_tickets"])
def test_distributed_script_is_python_that_uses_ddp(name):
    source = generate(Project.open(EXAMPLES / f"{name}.json").doc, script=True, distributed=True)
    tree = ast.parse(source)
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert {"build_model", "join_process_group", "rank_loader", "train_step",
            "global_results", "average_moving_statistics", "main"} <= functions
    assert "DistributedDataParallel(" in source and "DistributedSampler(" in source
    assert "import kerascanvas" not in source
    assert source.startswith("# Data-parallel Keras training script")


def test_distributed_needs_a_script_and_refuses_a_fine_tune():
    doc = Project.open(EXAMPLES / "digits_cnn.json").doc
    with pytest.raises(CodegenError, match="--script"):
        generate(doc, distributed=True)
    doc.training = {**doc.training, "finetune": {"phases": [{"epochs": 1}, {"epochs": 1}]}}
    with pytest.raises(CodegenError):
        generate(doc, script=True, distributed=True)


def test_codegen_command_writes_the_distributed_script(tmp_path):
    out = tmp_path / "train.py"
    assert main(["codegen", str(EXAMPLES / "digits_cnn.json"), "--script", "--distributed",
                 "-o", str(out)]) == 0
    assert "dist.init_process_group" in out.read_text()


def test_sbatch_starts_one_torchrun_per_node(tmp_path):
    out = tmp_path / "job.sbatch"
    assert main(["export", str(EXAMPLES / "digits_cnn.json"), "--format", "slurm", "-o",
                 str(out), "--nodes", "2", "--gpus-per-node", "4", "--partition", "gpu"]) == 0
    text = out.read_text()
    for line in ("#SBATCH --nodes=2", "#SBATCH --ntasks-per-node=1",
                 "#SBATCH --gpus-per-node=4", "#SBATCH --partition=gpu",
                 "--nnodes \"$SLURM_NNODES\" --nproc-per-node 4", "--rdzv-id \"$SLURM_JOB_ID\""):
        assert line in text
    assert "srun kerascanvas run " in text
    if shutil.which("bash"):
        assert subprocess.run(["bash", "-n", str(out)]).returncode == 0
    assert main(["export", str(EXAMPLES / "digits_cnn.json"), "--format", "slurm", "-o",
                 str(out), "--script", "--gpus-per-node", "0", "--nproc-per-node", "2"]) == 0
    assert "srun torchrun --rdzv-backend c10d" in out.read_text()
    assert "job.py --save model.keras" in out.read_text()
    assert "dist.init_process_group" in (tmp_path / "job.py").read_text()


@pytest.mark.parametrize("job, field", [
    (SlurmJob(project="p.json", time="soon"), "time"),
    (SlurmJob(project="p.json\nrm -rf ~"), "project"),
    (SlurmJob(project="p.json", gpus_per_node=2, nproc_per_node=4), "nproc_per_node"),
    (SlurmJob(project="p.json", job_name="a b"), "job_name"),
])
def test_sbatch_refuses_what_slurm_or_a_shell_would_misread(job, field):
    with pytest.raises(CodegenError, match=field):
        sbatch(job)


def test_sbatch_quotes_paths():
    text = sbatch(SlurmJob(project="my project's.json"))
    assert "srun kerascanvas run 'my project'\"'\"'s.json'" in text


def test_sbatch_of_a_project_whose_name_slurm_refuses_takes_a_job_name_from_it(tmp_path):
    """Without --job-name the job is named after the project file: `my model (v2).json`
    was refused with "job_name: expected letters, digits...", a flag never given."""
    from kerascanvas.codegen import slurm

    path = tmp_path / "my model (v2).json"
    path.write_text((EXAMPLES / "digits_cnn.json").read_text())
    out = tmp_path / "job.sbatch"
    assert main(["export", str(path), "--format", "slurm", "-o", str(out)]) == 0
    assert "#SBATCH --job-name=my_model_v2\n" in out.read_text()
    assert doctest.testmod(slurm).failed == 0
