"""Side-by-side workers: how many, on how many threads, and what a job sees."""

import pytest
import torch

from poser_lib.parallel import cores, job_threads, run_each, torch_threads, worker_count


def _threads_and_square(x: int) -> tuple[int, int]:
    return torch.get_num_threads(), x * x


def test_zero_workers_is_one_per_core_on_a_cpu_and_one_on_a_gpu():
    assert worker_count(0, torch.device("cpu")) == cores()
    assert worker_count(3, torch.device("cpu")) == 3
    assert worker_count(0, torch.device("cuda")) == 1
    assert worker_count(1, torch.device("cuda")) == 1


def test_forked_workers_on_a_gpu_are_refused_naming_the_key():
    with pytest.raises(ValueError, match="model.workers: 2 worker processes on cuda"):
        worker_count(2, torch.device("cuda"))


@pytest.mark.parametrize("workers", [1, 2])
def test_every_job_runs_once_on_the_thread_count_its_fingerprint_records(workers):
    with torch_threads(2):
        expected = job_threads(workers)
        results = dict(run_each(_threads_and_square, list(range(5)), workers))
        assert torch.get_num_threads() == 2  # restored in this process
    assert results == {x: (expected, x * x) for x in range(5)}
    assert expected == (1 if workers > 1 else 2)
