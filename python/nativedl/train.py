"""The training loop: fit() and evaluate(), the History they record, and callbacks (EarlyStopping,
ModelCheckpoint) in the style of Keras.

fit uses only public API (model.train()/eval(), no_grad, loss.backward(), the optimizer's zero_grad/step and
param_groups, the scheduler's step), so a hand-written loop can do everything it does. Any optimizer and
scheduler with PyTorch's interface work.
"""
import inspect
import math
import os
import sys

from tqdm import tqdm

from . import _C
from . import metrics as _metrics
from .autograd import no_grad
from .io import save

__all__ = ["fit", "evaluate", "History", "Callback", "EarlyStopping", "ModelCheckpoint"]


# ---------------------------------------------------------------- metrics

def _accuracy(y_pred, y_true):
    return _metrics.accuracy(y_true, y_pred)


# Metrics known by name; each takes (y_pred, y_true) as fit passes them.
_NAMED_METRICS = {"accuracy": _accuracy}


def _resolve_metrics(metrics, owner):
    """[(log key, fn(y_pred, y_true) -> float)] from names, callables, or a dict key -> name/callable."""
    items = metrics.items() if isinstance(metrics, dict) else ((None, m) for m in metrics)
    out = []
    for key, m in items:
        if isinstance(m, str):
            if m not in _NAMED_METRICS:
                raise ValueError(f"[{owner}] unknown metric {m!r}; known names: {sorted(_NAMED_METRICS)}, or pass a "
                                 f"callable (y_pred, y_true) -> float")
            key, fn = key or m, _NAMED_METRICS[m]
        elif callable(m):
            key, fn = key or getattr(m, "__name__", None), m
            if not key or not key.isidentifier():
                raise ValueError(f"[{owner}] metric {m!r} has no usable name ({key!r}); pass metrics as a dict "
                                 f"{{'name': fn}}")
        else:
            raise TypeError(f"[{owner}] a metric must be a name or a callable (y_pred, y_true) -> float, got "
                            f"{type(m).__name__}")
        if key == "loss" or key.startswith("val_") or key == "lr" or key in (k for k, _ in out):
            raise ValueError(f"[{owner}] metric name {key!r} is reserved or given twice")
        out.append((key, fn))
    return out


# ---------------------------------------------------------------- one pass over a loader

def _split_batch(batch):
    """(inputs tuple, target) of a batch laid out as (input, ..., target)."""
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise TypeError(f"[fit] each batch must be a tuple/list (input, ..., target), got {type(batch).__name__}"
                        + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else ""))
    return tuple(batch[:-1]), batch[-1]


def _batch_size(inputs, target):
    for t in (target, *inputs):
        if isinstance(t, _C.Tensor) and t.dim() > 0:
            return t.shape[0]
        if hasattr(t, "__len__"):
            return len(t)
    raise TypeError("[fit] can't tell the batch size: neither the target nor any input has a first dimension")


class _Averages:
    """Sample-weighted running means of the loss and the metrics over one pass (exact for per-sample means
    such as accuracy; for other metrics, the mean of their per-batch values)."""

    def __init__(self, keys):
        self.keys, self.sums, self.count = keys, dict.fromkeys(keys, 0.0), 0

    def add(self, values, n):
        for k, v in values.items():
            self.sums[k] += float(v) * n
        self.count += n

    def means(self):
        return {k: s / self.count for k, s in self.sums.items()}


def _run_batch(model, loss_fn, metrics, batch):
    """(loss tensor, {metric: value}, batch size) of one forward pass."""
    inputs, target = _split_batch(batch)
    output = model(*inputs)
    loss = loss_fn(output, target)
    if not isinstance(loss, _C.Tensor) or loss.numel() != 1:
        shape = tuple(loss.shape) if isinstance(loss, _C.Tensor) else type(loss).__name__
        raise ValueError(f"[fit] loss_fn must return a one-element tensor, got {shape}")
    pred = output.detach()
    return loss, {k: fn(pred, target) for k, fn in metrics}, _batch_size(inputs, target)


def _no_batches(owner, name):
    return ValueError(f"[{owner}] {name} yielded no batches")


def _evaluate(model, loader, loss_fn, metrics, progress=None, owner="fit", name="val_loader"):
    """Mean loss and metrics of model over loader, in eval mode and without autograd; progress, if given, gets
    the running means after each batch."""
    model.eval()
    avg = _Averages(["loss"] + [k for k, _ in metrics])
    with no_grad():
        for batch in loader:
            loss, values, n = _run_batch(model, loss_fn, metrics, batch)
            avg.add({"loss": loss.item(), **values}, n)
            if progress is not None:
                progress(avg.means())
    if avg.count == 0:
        raise _no_batches(owner, name)
    return avg.means()


def evaluate(model, loader, loss_fn, metrics=()):
    """{'loss': mean loss, metric: mean value} of model over loader (eval mode, no autograd); the model's
    train/eval mode is restored afterwards."""
    was_training = model.training
    try:
        return _evaluate(model, loader, loss_fn, _resolve_metrics(metrics, "evaluate"), owner="evaluate",
                         name="loader")
    finally:
        model.train(was_training)


# ---------------------------------------------------------------- callbacks

class Callback:
    """Base class of fit's callbacks: override any hook. fit sets self.model before on_train_begin; a callback
    ends training after the current epoch by setting self.stop_training = True."""

    model = None
    stop_training = False

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass


class History(Callback):
    """Per-epoch logs of a fit: history['loss'], history['val_loss'], history[metric], history['lr'], ...;
    epoch lists the (0-based) epoch indices recorded."""

    def __init__(self):
        self.epoch, self.history = [], {}

    def on_train_begin(self, logs=None):
        self.epoch, self.history = [], {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

    def plot(self, path):
        """Writes a PNG of the learning curves to path: one panel per quantity (loss, each metric, lr), with
        the training and, when recorded, the validation curve. Needs matplotlib (pip install 'nativedl[plot]')
        and draws with its Agg backend, leaving pyplot's global state alone."""
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
        except ImportError as e:
            raise ImportError("[History.plot] needs matplotlib: pip install 'nativedl[plot]'") from e
        if not self.epoch:
            raise ValueError("[History.plot] the history is empty: nothing was recorded (call fit first)")
        names = [k for k in self.history if not k.startswith("val_")]
        names += [k[4:] for k in self.history if k.startswith("val_") and k[4:] not in self.history]
        fig = Figure(figsize=(4.5 * len(names), 3.5), layout="constrained")
        FigureCanvasAgg(fig)
        x = [e + 1 for e in self.epoch]
        for i, name in enumerate(names):
            ax = fig.add_subplot(1, len(names), i + 1)
            for key, label in ((name, "train"), ("val_" + name, "validation")):
                if key in self.history:
                    ax.plot(x, self.history[key], marker="o", markersize=3, label=label)
            ax.set_xlabel("epoch")
            ax.set_title(name)
            ax.grid(True, alpha=0.3)
            if name == "lr":
                ax.set_yscale("log")
            else:
                ax.legend()
        fig.savefig(os.fspath(path), format="png", dpi=100)


class _Monitor:
    """Which way is better for a logged quantity, and the best value seen so far."""

    def __init__(self, owner, monitor, mode, min_delta=0.0):
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"[{owner}] mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":  # Keras's rule: accuracies grow, everything else (losses) shrinks
            mode = "max" if "acc" in monitor else "min"
        self.owner, self.monitor, self.mode, self.min_delta = owner, monitor, mode, abs(min_delta)
        self.reset()

    def reset(self):
        self.best = math.inf if self.mode == "min" else -math.inf

    def value(self, logs):
        logs = logs or {}
        if self.monitor not in logs:
            raise KeyError(f"[{self.owner}] monitor {self.monitor!r} is not among the epoch's logs {sorted(logs)}; "
                           f"pass val_loader to fit to get 'val_*' values, or monitor one of those")
        return float(logs[self.monitor])

    def improved(self, current):
        """Whether current beats the best by more than min_delta (NaN never does); records it if so."""
        if self.mode == "min":
            better = current < self.best - self.min_delta
        else:
            better = current > self.best + self.min_delta
        if better:
            self.best = current
        return better


def _copy_state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class EarlyStopping(Callback):
    """Stops training once monitor has not improved by more than min_delta for patience epochs in a row.

    mode 'min' / 'max' says which way is better ('auto': 'max' for accuracies, else 'min'). With
    restore_best_weights the model gets, at the end of training, the weights of the best epoch (copied, so
    they are bit-identical). best, best_epoch and stopped_epoch (-1 if it never stopped) are kept.
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, mode="auto", restore_best_weights=False):
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"[EarlyStopping] patience must be an int >= 0, got {patience!r}")
        self._monitor = _Monitor("EarlyStopping", monitor, mode, min_delta)
        self.monitor, self.patience, self.restore_best_weights = monitor, patience, restore_best_weights
        self.on_train_begin()

    @property
    def best(self):
        return self._monitor.best

    def on_train_begin(self, logs=None):
        self._monitor.reset()
        self.wait, self.best_epoch, self.stopped_epoch = 0, -1, -1
        self.best_weights, self.stop_training = None, False

    def on_epoch_end(self, epoch, logs=None):
        if self._monitor.improved(self._monitor.value(logs)):
            self.wait, self.best_epoch = 0, epoch
            if self.restore_best_weights:
                self.best_weights = _copy_state(self.model)
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch, self.stop_training = epoch, True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)


class ModelCheckpoint(Callback):
    """Saves model.state_dict() with nativedl.save (atomically: a crash mid-save leaves the previous file) at
    the end of an epoch: only when monitor improved (save_best_only, mode as EarlyStopping's), else every
    epoch. filepath may hold format fields filled from the epoch (1-based) and its logs, e.g.
    'ckpt-{epoch:02d}-{val_loss:.3f}.safetensors'. Load it back with model.load_state_dict(nativedl.load(f)).
    """

    def __init__(self, filepath, monitor="val_loss", save_best_only=True, mode="auto"):
        self.filepath, self.monitor, self.save_best_only = os.fspath(filepath), monitor, save_best_only
        self._monitor = _Monitor("ModelCheckpoint", monitor, mode)
        self.last_saved = None

    @property
    def best(self):
        return self._monitor.best

    def on_train_begin(self, logs=None):
        self._monitor.reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.save_best_only and not self._monitor.improved(self._monitor.value(logs)):
            return
        path = self.filepath.format(epoch=epoch + 1, **logs)
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        save(self.model.state_dict(), path)
        self.last_saved = path


# ---------------------------------------------------------------- fit

def _steps_on_metric(scheduler):
    """Whether scheduler.step wants the monitored value (ReduceLROnPlateau-style): it says so with
    is_plateau, or its step takes a `metrics` argument as PyTorch's ReduceLROnPlateau.step(metrics)."""
    if getattr(scheduler, "is_plateau", False):
        return True
    try:
        return "metrics" in inspect.signature(scheduler.step).parameters
    except (TypeError, ValueError):  # a builtin without a signature: an ordinary per-epoch step()
        return False


def fit(model, train_loader, optimizer, loss_fn, epochs, val_loader=None, scheduler=None, callbacks=(),
        metrics=(), verbose=True):
    """Trains model for epochs passes over train_loader and returns the History of per-epoch logs.

    Each batch is (input, ..., target): loss_fn(model(*inputs), target) is minimised with optimizer (PyTorch's
    interface: zero_grad(), step(), param_groups). metrics are names ('accuracy'), callables
    (y_pred, y_true) -> float, or a dict name -> either; each is averaged over samples on the training batches
    and on val_loader (eval mode, no autograd) as 'val_<name>'. Logs hold 'loss', the metrics, 'val_*' with a
    val_loader, and 'lr' (the first param group's lr during the epoch). scheduler steps once per epoch, after
    validation; a ReduceLROnPlateau-style one gets val_loss (loss without val_loader). callbacks are Callback
    objects; any of them may end training early. With verbose, a tqdm progress bar per epoch on stderr shows
    the running loss and metrics; verbose=False prints nothing. The model's train/eval mode is restored at the
    end.
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"[fit] epochs must be an int >= 0, got {epochs!r}")
    metrics = _resolve_metrics(metrics, "fit")
    plateau = scheduler is not None and _steps_on_metric(scheduler)
    history = History()
    callbacks = [history, *callbacks]
    for cb in callbacks:
        cb.set_model(model)
    was_training = model.training
    logs = {}
    try:
        for cb in callbacks:
            cb.on_train_begin()
        for epoch in range(epochs):
            for cb in callbacks:
                cb.on_epoch_begin(epoch, {})
            lr = optimizer.param_groups[0]["lr"]
            # The bar is advanced by hand (not wrapped around the loader, which would close it when the batches
            # run out) so that it shows the validation values too before it closes.
            with tqdm(total=_length(train_loader), desc=f"Epoch {epoch + 1}/{epochs}", file=sys.stderr,
                      disable=not verbose, unit="batch", dynamic_ncols=True) as bar:
                logs = _train_epoch(model, train_loader, bar, optimizer, loss_fn, metrics, callbacks)
                if val_loader is not None:
                    train_logs = dict(logs)

                    def show(means):
                        bar.set_postfix({**train_logs, **{"val_" + k: v for k, v in means.items()}}, refresh=False)

                    logs.update({"val_" + k: v for k, v in _evaluate(model, val_loader, loss_fn, metrics,
                                                                     show).items()})
            logs["lr"] = float(lr)
            if scheduler is not None:
                if plateau:
                    scheduler.step(logs["val_loss" if val_loader is not None else "loss"])
                else:
                    scheduler.step()
            for cb in callbacks:
                cb.on_epoch_end(epoch, logs)
            if any(getattr(cb, "stop_training", False) for cb in callbacks):
                break
        for cb in callbacks:
            cb.on_train_end(logs)
    finally:
        model.train(was_training)
    return history


def _length(loader):
    """Number of batches, or None for a loader that can't tell (an iterable dataset)."""
    try:
        return len(loader)
    except TypeError:
        return None


def _train_epoch(model, loader, bar, optimizer, loss_fn, metrics, callbacks):
    model.train()
    avg = _Averages(["loss"] + [k for k, _ in metrics])
    for i, batch in enumerate(loader):
        optimizer.zero_grad()
        loss, values, n = _run_batch(model, loss_fn, metrics, batch)
        loss.backward()
        optimizer.step()
        batch_logs = {"loss": loss.item(), **values}
        avg.add(batch_logs, n)
        bar.set_postfix(avg.means(), refresh=False)
        bar.update()
        for cb in callbacks:
            cb.on_batch_end(i, {**batch_logs, "size": n})
    if avg.count == 0:
        raise _no_batches("fit", "train_loader")
    return avg.means()
