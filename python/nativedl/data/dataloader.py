"""DataLoader: batches from a dataset, in this process or in worker processes (spawn/forkserver, never fork)."""
import itertools
import multiprocessing
import queue
import time

from .._creation import randint
from ._worker import ExceptionWrapper, worker_loop
from .collate import default_collate, default_convert
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader"]

# A process that ran an OpenMP parallel region can hang after fork() (BUILD-NOTES): workers never fork.
_START_METHODS = ("spawn", "forkserver")
_POLL_S = 0.5  # how often a waiting main process checks that its workers are alive


class DataLoader:
    """Iterates over dataset in batches, with torch.utils.data.DataLoader's arguments and semantics.

    pin_memory is accepted for scripts written for PyTorch; with no accelerator it has nothing to do (as
    PyTorch on a machine without one). Worker processes start with 'spawn' unless multiprocessing_context
    says 'forkserver'; the dataset, collate_fn and worker_init_fn must therefore be picklable.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"[DataLoader] num_workers option should be a non-negative integer, got {num_workers!r}")
        if timeout < 0:
            raise ValueError(f"[DataLoader] timeout option should be non-negative, got {timeout!r}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("[DataLoader] prefetch_factor option could only be specified in multiprocessing; "
                             "let num_workers > 0 to enable multiprocessing")
        if prefetch_factor is not None and prefetch_factor < 1:
            raise ValueError(f"[DataLoader] prefetch_factor option should be a positive integer, got {prefetch_factor}")
        if sampler is not None and shuffle:
            raise ValueError("[DataLoader] sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("[DataLoader] batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("[DataLoader] batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size, self.drop_last = batch_size, drop_last
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.num_workers, self.timeout = num_workers, timeout
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_sampler is not None else default_convert)
        self.pin_memory = pin_memory
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = _context(multiprocessing_context) if num_workers > 0 else None
        self.generator = generator
        self.prefetch_factor = (2 if prefetch_factor is None else prefetch_factor) if num_workers > 0 else None

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self):
        return len(self._index_sampler)

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        return _MultiProcessIter(self)


def _context(ctx):
    method = ctx.get_start_method() if hasattr(ctx, "get_start_method") else ("spawn" if ctx is None else ctx)
    if method not in _START_METHODS:
        raise ValueError(f"[DataLoader] multiprocessing_context {method!r} is not supported: use one of "
                         f"{_START_METHODS} (fork can hang a process that ran OpenMP threads)")
    return multiprocessing.get_context(method)


def _base_seed(loader):
    # Drawn first, before the sampler runs, by both iterators (as PyTorch): num_workers doesn't change the order.
    return randint(0, 1 << 62, (1,), generator=loader.generator).item()


class _SingleProcessIter:
    def __init__(self, loader):
        self._loader = loader
        _base_seed(loader)
        self._indices = iter(loader._index_sampler)

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader)

    def __next__(self):
        loader = self._loader
        indices = next(self._indices)
        if loader._auto_collation:
            return loader.collate_fn([loader.dataset[i] for i in indices])
        return loader.collate_fn(loader.dataset[indices])


class _MultiProcessIter:
    """Hands index lists to workers round-robin, keeps prefetch_factor*num_workers in flight, yields in order."""

    def __init__(self, loader):
        self._loader = loader
        ctx, n = loader.multiprocessing_context, loader.num_workers
        seed = _base_seed(loader)
        self._indices = enumerate(iter(loader._index_sampler))
        self._done_event = ctx.Event()
        self._result_queue = ctx.Queue()
        self._index_queues, self._workers = [], []
        self._shut = False  # from here on, _shutdown has something to stop
        for wid in range(n):
            iq = ctx.Queue()
            iq.cancel_join_thread()  # a stopped worker may leave tasks unread; exiting must not wait on them
            w = ctx.Process(target=worker_loop, daemon=True,
                            args=(loader.dataset, iq, self._result_queue, self._done_event, loader.collate_fn,
                                  loader._auto_collation, seed + wid, loader.worker_init_fn, wid, n))
            w.start()
            self._index_queues.append(iq)
            self._workers.append(w)
        self._next_worker = itertools.cycle(range(n))
        self._sent = self._rcvd = 0
        self._buffer = {}
        self._exhausted = False
        for _ in range(loader.prefetch_factor * n):
            self._send()

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader)

    def _send(self):
        if self._exhausted:
            return
        try:
            idx, indices = next(self._indices)
        except StopIteration:
            self._exhausted = True
            return
        self._index_queues[next(self._next_worker)].put((idx, indices))
        self._sent += 1

    def _get(self):
        start = time.monotonic()
        while True:
            try:
                return self._result_queue.get(timeout=_POLL_S)
            except queue.Empty:
                dead = [w for w in self._workers if not w.is_alive()]
                if dead:
                    self._shutdown()
                    raise RuntimeError(f"[DataLoader] worker (pid(s) {', '.join(str(w.pid) for w in dead)}) "
                                       f"exited unexpectedly with exit code {dead[0].exitcode}")
                if self._loader.timeout and time.monotonic() - start > self._loader.timeout:
                    self._shutdown()
                    raise RuntimeError(f"[DataLoader] timed out after {self._loader.timeout} s waiting for a batch")

    def __next__(self):
        if self._shut or self._rcvd == self._sent:
            self._shutdown()
            raise StopIteration
        while self._rcvd not in self._buffer:
            idx, data = self._get()
            self._buffer[idx] = data
        data = self._buffer.pop(self._rcvd)
        self._rcvd += 1
        if isinstance(data, ExceptionWrapper):
            self._shutdown()
            data.reraise()
        self._send()
        return data

    def _shutdown(self):
        if getattr(self, "_shut", True):  # done, or __init__ failed before starting any worker
            return
        self._shut = True
        self._done_event.set()
        for iq in self._index_queues:
            iq.put(None)
        for w in self._workers:
            w.join(timeout=5)
            if w.is_alive():
                w.terminate()
                w.join()
        for q in self._index_queues + [self._result_queue]:
            q.cancel_join_thread()
            q.close()

    def __del__(self):
        self._shutdown()
