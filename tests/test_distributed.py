"""Data-parallel training with torchrun: two CPU processes (gloo) on this machine.

Why two processes are not bit-identical to one: the gradients of the two halves of a
global batch are summed by an all-reduce, in another order than one process sums
them (float addition is not associative), and each rank draws its own dropout masks.
Without dropout the difference is float32 rounding: the tests allow 1e-5 (measured:
1.7e-7 on the validation loss, 2.7e-7 on the weights, after 3 epochs).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from lstmcast.engine.distributed import shard

HERE = Path(__file__).resolve().parent
JOB = HERE / "distributed_job.py"


def torchrun(*args, timeout=300, **kwargs):
    """``torchrun --standalone --nproc-per-node 2 ARGS``; a job past ``timeout`` fails the
    test with what it printed (a hang must not pass unnoticed, nor hide its output)."""
    try:
        return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                               "--nproc-per-node", "2", *map(str, args)],
                              capture_output=True, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as exc:
        said = "".join(part.decode() if isinstance(part, bytes) else part
                       for part in (exc.stdout or "", exc.stderr or ""))
        raise AssertionError(f"torchrun {args} ran past {timeout} s:\n{said[-3000:]}") from None


def test_shards_of_a_batch_are_disjoint_and_cover_it():
    for n in (1, 2, 7, 64, 65):
        batch = torch.randperm(1000)[:n]
        for parts in (1, 2, 3, 8):
            pieces = [shard(batch, k, parts).tolist() for k in range(parts)]
            flat = [i for piece in pieces for i in piece]
            assert sorted(flat) == sorted(batch.tolist())  # every window once
            sizes = [len(piece) for piece in pieces]
            assert max(sizes) - min(sizes) <= 1


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp") / "fit.json"
    result = torchrun(JOB, out, "fit")
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(out.read_text())


def test_each_epoch_the_ranks_take_disjoint_windows_that_cover_all(two_processes):
    # per rank, each call of `shard`: an epoch's 15 training batches (900 windows in
    # batches of 64), then its part of the 100 validation windows
    taken = two_processes["taken"]
    assert len(taken[0]) == len(taken[1]) == 3 * 16
    epochs = []
    for epoch in range(3):
        rank_sets = [set(i for step in rank[epoch * 16:epoch * 16 + 15] for i in step)
                     for rank in taken]
        assert not rank_sets[0] & rank_sets[1]
        assert rank_sets[0] | rank_sets[1] == set(range(900))
        validation = [set(rank[epoch * 16 + 15]) for rank in taken]
        assert not validation[0] & validation[1]
        assert validation[0] | validation[1] == set(range(100))
        epochs.append(set(taken[0][epoch * 16]) | set(taken[1][epoch * 16]))
    assert epochs[0] != epochs[1]  # the first batch differs: reshuffled every epoch


def test_two_processes_train_as_one_with_the_same_global_batch(two_processes):
    sys.path.insert(0, str(HERE))
    import distributed_job as job

    torch.set_num_threads(1)
    x, y, xv, yv = job.data()
    single = job.model()
    history = single.fit(x, y, epochs=3, batch_size=64, validation_data=(xv, yv), verbose=0)
    np.testing.assert_allclose(two_processes["history"]["val_loss"],
                               history.history["val_loss"], rtol=1e-5)
    np.testing.assert_allclose(two_processes["history"]["loss"], history.history["loss"],
                               rtol=1e-5)
    for got, want in zip(two_processes["weights"], single.get_weights()):
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_a_rank_that_dies_stops_the_job_with_a_clear_message(tmp_path):
    started = time.perf_counter()
    result = torchrun(JOB, tmp_path / "die.json", "die", timeout=120)
    assert result.returncode != 0
    assert time.perf_counter() - started < 60  # not the 600 s timeout
    # torchrun names the rank that failed first and ends the others; rank 0, if it saw the
    # closed connection before that, says so itself
    cause = result.stderr.split("Root Cause")[1]
    assert "rank      : 1" in cause and "exitcode  : 3" in cause, result.stderr[-2000:]
    if (tmp_path / "die.json").exists():
        said = json.loads((tmp_path / "die.json").read_text())["rank0"]
        assert said.startswith("TrainingError: Rank 0 of 2: a collective operation failed")
        assert "--resume" in said


def test_more_processes_than_windows_is_refused(tmp_path):
    result = torchrun(JOB, tmp_path / "few.json", "few")
    said = json.loads((tmp_path / "few.json").read_text())["rank0"]
    assert "2 processes but only 1 training windows" in said, (said, result.stderr[-2000:])


def parquet_set(folder: Path, series: int = 9) -> Path:
    """``series`` series of 100 to 180 rows, one file each (id=K/part-0.parquet)."""
    rng = np.random.default_rng(1)
    for k in range(series):
        n = 100 + 10 * k
        t = np.arange(n)
        frame = pd.DataFrame({"t": t, "y": np.sin(t / 5 + k) + rng.normal(0, 0.1, n),
                              "x": rng.normal(size=n)})
        (folder / f"id={k}").mkdir(parents=True)
        frame.to_parquet(folder / f"id={k}" / "part-0.parquet")
    return folder


def test_ranks_read_disjoint_shards_of_a_parquet_set_every_epoch(tmp_path):
    # 9 files of 100-180 rows in shards of at most 250 rows: 7 shards (the first two
    # hold two files each), 4 on one rank and 3 on the other, which joins the last
    # round's steps with nothing to add
    folder = parquet_set(tmp_path / "set")
    result = torchrun(JOB, tmp_path / "out", "shards", folder)
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"out.rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0]["streamed"]["shards"] == 7 and ranks[0]["streamed"]["most_rows"] <= 250
    orders = []
    for epoch in range(3):
        per_rank = []
        for rank in ranks:
            read = rank["read"]
            start = read.index(["epoch", epoch])
            stop = read.index(["epoch", epoch + 1]) if epoch < 2 else len(read)
            per_rank.append(read[start + 1:stop])
        trained = [[k for kind, k in r if kind == "train"] for r in per_rank]
        scored = [[k for kind, k in r if kind == "validation"] for r in per_rank]
        assert not set(trained[0]) & set(trained[1])
        assert sorted(trained[0] + trained[1]) == list(range(7))
        assert not set(scored[0]) & set(scored[1])
        assert sorted(scored[0] + scored[1]) == list(range(7))
        orders.append(trained)
    assert orders[0] != orders[1] or orders[1] != orders[2]  # reshuffled per epoch
    # one model: the same all-reduced losses, and the same weights, on both ranks
    assert ranks[0]["history"] == ranks[1]["history"]
    assert ranks[0]["weights"] == pytest.approx(ranks[1]["weights"], rel=1e-6)
    losses = ranks[0]["history"]["val_loss"]
    assert losses[-1] < losses[0]


def test_more_processes_than_shards_is_refused(tmp_path):
    folder = parquet_set(tmp_path / "set", series=2)
    result = torchrun(JOB, tmp_path / "few.json", "fewshards", folder)
    said = json.loads((tmp_path / "few.json").read_text())["rank0"]
    assert "2 processes but the table has only 1 shards" in said, (said, result.stderr[-2000:])


def test_torchrun_trains_through_the_cli_and_resumes_after_a_kill(tmp_path):
    rng = np.random.default_rng(0)
    t = np.arange(1500)
    frame = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=1500, freq="h")
                          .strftime("%Y-%m-%d %H:%M:%S"),
                          "load": np.sin(t / 12) + rng.normal(0, 0.1, 1500)})
    frame.to_csv(tmp_path / "load.csv", index=False)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc-per-node", "2", "-m", "lstmcast", "train", "load.csv", "--target",
               "load", "--time", "date", "--window", "12", "--units", "16", "--epochs", "30",
               "--patience", "30", "--batch-size", "16", "--out", "run"]
    job = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, start_new_session=True)
    checkpoint = tmp_path / ".run.partial" / "checkpoint.lstmcast"
    deadline = time.time() + 120
    while not checkpoint.exists() and time.time() < deadline and job.poll() is None:
        time.sleep(0.05)
    assert checkpoint.exists(), job.communicate()[0][-2000:]
    # the machine dies: the launcher and every rank, at once
    for pid in [job.pid, *_children(job.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    job.wait()
    time.sleep(0.5)
    assert not (tmp_path / "run").exists()
    resumed = torchrun("-m", "lstmcast", "train", "--resume", "run", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "2 processes with DistributedDataParallel (gloo)" in resumed.stdout
    first = int(resumed.stdout.split("Epoch ")[1].split("/")[0])
    assert first > 1, resumed.stdout[:3000]  # it went on from the checkpoint
    history = pd.read_csv(tmp_path / "run" / "history.csv")
    assert len(history) == 30 and (tmp_path / "run" / "report.html").exists()
    assert not (tmp_path / ".run.partial").exists()


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (the ranks torchrun started)."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True).stdout
    parents = {}
    for line in out.splitlines():
        child, parent = map(int, line.split())
        parents.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@pytest.mark.benchmark
def test_the_scaling_benchmark_runs_on_tiny_sizes(tmp_path):
    script = HERE.parent / "benchmarks" / "distributed.py"
    out = subprocess.run([sys.executable, str(script), "--quick", "--out",
                          str(tmp_path / "distributed.md")], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    doc = (tmp_path / "distributed.md").read_text()
    assert "| 1 | " in doc and "| 2 | 1 | cpu |" in doc
    runs = json.loads((tmp_path / "distributed.json").read_text())
    assert all(r["windows_per_s"] > 0 for rounds in runs.values() for r in rounds)
    assert runs["2"][0]["processes"] == 2


END = ("import atexit, sys, torch\n"
       "from lstmcast.engine.launcher import end\n"
       "atexit.register(print, ' and the teardown')\n"
       "print('done', end='')\n"
       "end(3)\n"
       "print(' and on')\n")


@pytest.mark.parametrize("world, said, code", [("2", "done", 3),
                                               ("1", "done and on\n and the teardown\n", 0)])
def test_a_launched_process_ends_with_its_output_and_without_the_teardown(world, said, code):
    result = subprocess.run([sys.executable, "-c", END], capture_output=True, text=True,
                            env={**os.environ, "WORLD_SIZE": world}, timeout=120)
    assert (result.stdout, result.returncode) == (said, code), result.stderr


def test_a_process_is_launched_when_its_launcher_gives_it_several_ranks(monkeypatch):
    from lstmcast.engine.launcher import launched

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert not launched()  # started by hand
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert not launched()  # torchrun with one process: nothing to share
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert launched()
