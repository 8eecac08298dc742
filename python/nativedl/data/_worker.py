"""DataLoader worker processes: fetch and collate batches (tensors pickle as NumPy arrays, see Tensor.__reduce__)."""
import queue
import random
import sys
import traceback

__all__ = ["WorkerInfo", "get_worker_info"]


class WorkerInfo:
    """What a worker knows about itself: id, num_workers, seed, dataset (its own copy)."""

    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


_worker_info = None


def get_worker_info():
    """This worker's WorkerInfo inside a DataLoader worker process; None in the main process."""
    return _worker_info


class ExceptionWrapper:
    """An exception raised in a worker, carried as its type and traceback text (tracebacks don't pickle)."""

    def __init__(self, exc_info, where):
        self.exc_type = exc_info[0]
        self.msg = f"Caught {exc_info[0].__name__} {where}.\nOriginal " + "".join(traceback.format_exception(*exc_info))

    def reraise(self):
        try:  # the worker's exception type, its message extended by the traceback text
            exc = self.exc_type(self.msg)
        except Exception:
            exc = RuntimeError(self.msg)
        raise exc


def worker_loop(dataset, index_queue, result_queue, done_event, collate_fn, auto_collation, seed,
                worker_init_fn, worker_id, num_workers):
    """Runs in a worker process until it reads None: (batch_idx, indices) in, (batch_idx, batch) out."""
    global _worker_info
    from .. import _C
    _C.manual_seed(seed)  # same seed -> same transforms' random draws in this worker, run after run
    random.seed(seed)
    _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
    init_error = None
    if worker_init_fn is not None:
        try:
            worker_init_fn(worker_id)
        except Exception:
            init_error = ExceptionWrapper(sys.exc_info(), f"in DataLoader worker process {worker_id}")
    while not done_event.is_set():
        try:
            task = index_queue.get(timeout=0.5)
        except queue.Empty:
            continue
        if task is None:
            break
        batch_idx, indices = task
        if init_error is not None:
            result_queue.put((batch_idx, init_error))
            init_error = None  # reported once; the main process raises and shuts down
            continue
        try:
            samples = [dataset[i] for i in indices] if auto_collation else dataset[indices]
            result = collate_fn(samples)
        except Exception:
            result = ExceptionWrapper(sys.exc_info(), f"in DataLoader worker process {worker_id}")
        result_queue.put((batch_idx, result))
    result_queue.cancel_join_thread()  # never block exit on data the main process no longer wants
