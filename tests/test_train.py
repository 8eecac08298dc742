"""nativedl.train: fit, evaluate, History (and its plot), EarlyStopping, ModelCheckpoint, and a digits MLP that
converges. The optimizer and schedulers here are small test-local classes with PyTorch's interface, so these
tests exercise fit's contract with any such optimizer rather than one implementation."""
import numpy as np
import pytest

import nativedl as nd
import nativedl.data
import nativedl.nn as nn
import nativedl.nn.functional as F
from nativedl.data import DataLoader, TensorDataset
from nativedl.train import Callback, EarlyStopping, History, ModelCheckpoint, evaluate, fit


class _ManualSGD:
    """Test-local SGD with momentum (PyTorch's rule: buf = momentum * buf + grad; p -= lr * buf) behind
    PyTorch's optimizer interface: param_groups, zero_grad, step, state_dict."""

    def __init__(self, params, lr, momentum=0.0):
        self.param_groups = [{"params": list(params), "lr": lr, "momentum": momentum}]
        self.state = {}
        self.steps = 0

    def zero_grad(self, set_to_none=True):
        for g in self.param_groups:
            for p in g["params"]:
                p.grad = None

    def step(self):
        self.steps += 1
        with nd.no_grad():
            for g in self.param_groups:
                for p in g["params"]:
                    if p.grad is None:
                        continue
                    buf = self.state.get(id(p))
                    buf = p.grad.clone() if buf is None else buf.mul_(g["momentum"]).add_(p.grad)
                    self.state[id(p)] = buf
                    p.sub_(buf, alpha=g["lr"])

    def state_dict(self):
        return {"state": dict(self.state), "param_groups": [{k: v for k, v in g.items() if k != "params"}
                                                            for g in self.param_groups]}


class _HalveLR:
    """Test-local per-epoch scheduler: halves every group's lr at each step()."""

    def __init__(self, optimizer):
        self.optimizer, self.calls = optimizer, 0

    def step(self):
        self.calls += 1
        for g in self.optimizer.param_groups:
            g["lr"] *= 0.5


class _PlateauBySignature:
    """Records the metric it is stepped with; recognised by its step(metrics) signature."""

    def __init__(self):
        self.seen = []

    def step(self, metrics, epoch=None):
        self.seen.append(metrics)


class _PlateauByFlag:
    """Recognised through is_plateau, whatever its argument is called."""

    is_plateau = True

    def __init__(self):
        self.seen = []

    def step(self, value):
        self.seen.append(value)


def _regression_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    y = (x @ np.array([[1.5], [-2.0], [0.5]], dtype=np.float32) + 0.3).astype(np.float32)
    return TensorDataset(nd.from_numpy(x), nd.from_numpy(y))


def _classification_data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = (rng.standard_normal((n, 2)) + 3.0 * (2 * y[:, None] - 1)).astype(np.float32)  # two far-apart blobs
    return TensorDataset(nd.from_numpy(x), nd.from_numpy(y.astype(np.int64)))


def _linear_fit(**kwargs):
    nd.manual_seed(0)
    model = nn.Linear(3, 1)
    opt = _ManualSGD(model.parameters(), lr=0.05, momentum=0.5)
    loader = DataLoader(_regression_data(), batch_size=16)
    val = DataLoader(_regression_data(seed=1), batch_size=32)
    return model, opt, fit(model, loader, opt, F.mse_loss, kwargs.pop("epochs", 6), val_loader=val,
                           verbose=False, **kwargs)


# ---------------------------------------------------------------- fit and History

def test_fit_returns_history_with_decreasing_loss():
    model, opt, history = _linear_fit()
    assert isinstance(history, History)
    h = history.history
    assert history.epoch == list(range(6))
    assert set(h) == {"loss", "val_loss", "lr"}
    assert all(len(v) == 6 for v in h.values())
    assert all(b < a for a, b in zip(h["loss"], h["loss"][1:]))
    assert all(b < a for a, b in zip(h["val_loss"], h["val_loss"][1:]))
    assert h["val_loss"][-1] < 0.01 * h["val_loss"][0]
    assert opt.steps == 6 * 4  # 64 samples in batches of 16


def test_fit_logs_are_sample_weighted_means():
    # batches of 3 + 1 samples: the epoch loss is the mean over samples, not over batches
    x = nd.from_numpy(np.array([[0.0], [0.0], [0.0], [2.0]], dtype=np.float32))
    y = nd.zeros(4, 1)
    model = nn.Linear(1, 1)
    with nd.no_grad():
        model.weight.fill_(1.0)
        model.bias.fill_(0.0)
    opt = _ManualSGD(model.parameters(), lr=0.0)
    h = fit(model, DataLoader(TensorDataset(x, y), batch_size=3), opt, F.mse_loss, 1,
            val_loader=DataLoader(TensorDataset(x, y), batch_size=3), verbose=False).history
    assert h["loss"] == [pytest.approx(1.0)]  # (0 + 0 + 0 + 4) / 4; the batch mean would be 2
    assert h["val_loss"] == [pytest.approx(1.0)]


def test_fit_restores_train_mode_and_uses_eval_for_validation():
    modes = []

    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 1)

        def forward(self, x):
            modes.append((self.training, nd.is_grad_enabled()))
            return self.lin(x)

    model = Probe()
    model.eval()
    fit(model, DataLoader(_regression_data(16), batch_size=16), _ManualSGD(model.parameters(), 0.01),
        F.mse_loss, 1, val_loader=DataLoader(_regression_data(16), batch_size=16), verbose=False)
    assert modes == [(True, True), (False, False)]
    assert not model.training


def test_history_plot_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    _, _, history = _linear_fit(metrics={"neg_mse": lambda p, t: -float(((p - t) ** 2).mean())})
    path = tmp_path / "curves.png"
    history.plot(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 1000


def test_history_plot_of_empty_history_raises(tmp_path):
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match=r"\[History.plot\] the history is empty"):
        History().plot(tmp_path / "x.png")


# ---------------------------------------------------------------- metrics

def test_metrics_by_name_and_callable():
    nd.manual_seed(0)
    model = nn.Linear(2, 2)
    data = _classification_data()
    calls = []

    def wrong_rate(y_pred, y_true):
        calls.append((tuple(y_pred.shape), tuple(y_true.shape)))
        return float((y_pred.argmax(1) != y_true).float().mean())

    h = fit(model, DataLoader(data, batch_size=40), _ManualSGD(model.parameters(), 0.1, 0.9),
            F.cross_entropy, 3, val_loader=DataLoader(data, batch_size=60), metrics=["accuracy", wrong_rate],
            verbose=False).history
    assert set(h) == {"loss", "accuracy", "wrong_rate", "val_loss", "val_accuracy", "val_wrong_rate", "lr"}
    for prefix in ("", "val_"):
        assert h[prefix + "accuracy"] == pytest.approx([1 - v for v in h[prefix + "wrong_rate"]])
    assert h["val_accuracy"][-1] == 1.0  # two well separated blobs
    # the final val accuracy is that of the final model over the whole set
    x, y = data.tensors
    with nd.no_grad():
        assert h["val_accuracy"][-1] == nd.metrics.accuracy(y, model(x))
    assert calls[:3] == [((40, 2), (40,))] * 3 and calls[3:5] == [((60, 2), (60,))] * 2


def test_metric_errors():
    model = nn.Linear(3, 1)
    loader = DataLoader(_regression_data(8), batch_size=8)
    opt = _ManualSGD(model.parameters(), 0.01)
    with pytest.raises(ValueError, match=r"\[fit\] unknown metric 'f2'"):
        fit(model, loader, opt, F.mse_loss, 1, metrics=["f2"], verbose=False)
    with pytest.raises(ValueError, match=r"\[fit\] metric .* has no usable name"):
        fit(model, loader, opt, F.mse_loss, 1, metrics=[lambda p, t: 0.0], verbose=False)
    with pytest.raises(ValueError, match=r"\[fit\] metric name 'val_x' is reserved"):
        fit(model, loader, opt, F.mse_loss, 1, metrics={"val_x": "accuracy"}, verbose=False)
    with pytest.raises(TypeError, match=r"\[fit\] a metric must be a name or a callable"):
        fit(model, loader, opt, F.mse_loss, 1, metrics=[3], verbose=False)


def test_fit_argument_errors():
    model = nn.Linear(3, 1)
    opt = _ManualSGD(model.parameters(), 0.01)
    loader = DataLoader(_regression_data(8), batch_size=8)
    with pytest.raises(ValueError, match=r"\[fit\] epochs must be an int >= 0"):
        fit(model, loader, opt, F.mse_loss, -1, verbose=False)
    with pytest.raises(ValueError, match=r"\[fit\] train_loader yielded no batches"):
        fit(model, [], opt, F.mse_loss, 1, verbose=False)
    with pytest.raises(ValueError, match=r"\[fit\] val_loader yielded no batches"):
        fit(model, loader, opt, F.mse_loss, 1, val_loader=[], verbose=False)
    with pytest.raises(TypeError, match=r"\[fit\] each batch must be a tuple/list \(input, \.\.\., target\)"):
        fit(model, [nd.zeros(2, 3)], opt, F.mse_loss, 1, verbose=False)
    with pytest.raises(ValueError, match=r"\[fit\] loss_fn must return a one-element tensor, got \(8, 1\)"):
        fit(model, loader, opt, lambda p, t: p - t, 1, verbose=False)


def test_evaluate_returns_means_and_restores_mode():
    model = nn.Linear(2, 2)
    data = _classification_data(30)
    result = evaluate(model, DataLoader(data, batch_size=7), F.cross_entropy, metrics=["accuracy"])
    x, y = data.tensors
    with nd.no_grad():
        assert result["accuracy"] == pytest.approx(nd.metrics.accuracy(y, model(x)))
        assert result["loss"] == pytest.approx(F.cross_entropy(model(x), y).item(), rel=1e-6)
    assert model.training
    with pytest.raises(ValueError, match=r"\[evaluate\] loader yielded no batches"):
        evaluate(model, [], F.cross_entropy)
    with pytest.raises(ValueError, match=r"\[evaluate\] unknown metric 'auc'"):
        evaluate(model, DataLoader(data, batch_size=7), F.cross_entropy, metrics=["auc"])
    assert model.training


# ---------------------------------------------------------------- schedulers

def test_scheduler_steps_once_per_epoch():
    model = nn.Linear(3, 1)
    opt = _ManualSGD(model.parameters(), lr=0.08)
    sched = _HalveLR(opt)
    h = fit(model, DataLoader(_regression_data(), batch_size=16), opt, F.mse_loss, 4, scheduler=sched,
            verbose=False).history
    assert sched.calls == 4
    assert h["lr"] == [0.08, 0.04, 0.02, 0.01]  # the lr each epoch trained with
    assert opt.param_groups[0]["lr"] == 0.005


@pytest.mark.parametrize("scheduler_cls", [_PlateauBySignature, _PlateauByFlag])
def test_plateau_scheduler_gets_val_loss(scheduler_cls):
    sched = scheduler_cls()
    _, _, history = _linear_fit(epochs=3, scheduler=sched)
    assert sched.seen == history.history["val_loss"]


def test_plateau_scheduler_without_val_loader_gets_train_loss():
    model = nn.Linear(3, 1)
    sched = _PlateauBySignature()
    h = fit(model, DataLoader(_regression_data(), batch_size=16), _ManualSGD(model.parameters(), 0.05),
            F.mse_loss, 2, scheduler=sched, verbose=False).history
    assert sched.seen == h["loss"]


# ---------------------------------------------------------------- callbacks

class _Scripted(nn.Module):
    """A model whose validation loss is scripted: val_loss of epoch e is script[e]. One parameter, moved by
    each training step, so every epoch's weights differ."""

    def __init__(self, script):
        super().__init__()
        self.w = nn.Parameter(nd.zeros(1))
        self.script, self.epoch = list(script), 0

    def forward(self, x):
        if self.training:
            return self.w * x
        return nd.full_like(x, self.script[self.epoch])


def _scripted_fit(script, callbacks, epochs=None):
    model = _Scripted(script)
    x = nd.ones(4, 1)
    train = DataLoader(TensorDataset(x, nd.ones(4, 1)), batch_size=2)
    # val loss = script[e] exactly: the script's values are exact in float32
    val = DataLoader(TensorDataset(x, nd.zeros(4, 1)), batch_size=4)

    class Advance(Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.epoch += 1

    opt = _ManualSGD(model.parameters(), lr=0.1)
    history = fit(model, train, opt, F.l1_loss, epochs or len(script), val_loader=val,
                  callbacks=[*callbacks, Advance()], verbose=False)
    return model, history


class _Recorder(Callback):
    """Snapshots the weights after every epoch."""

    def __init__(self):
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append({k: v.clone() for k, v in self.model.state_dict().items()})


def test_early_stopping_stops_after_patience_epochs_without_improvement():
    stop = EarlyStopping(monitor="val_loss", patience=2)
    _, history = _scripted_fit([3.0, 2.0, 1.0, 1.5, 1.25, 0.5, 0.125], [stop])
    assert history.history["val_loss"] == [3.0, 2.0, 1.0, 1.5, 1.25]  # best at epoch 2, two epochs without
    assert (stop.best, stop.best_epoch, stop.stopped_epoch) == (1.0, 2, 4)


def test_early_stopping_min_delta_and_mode_max():
    stop = EarlyStopping(monitor="val_loss", patience=1, min_delta=0.5)
    _, history = _scripted_fit([3.0, 2.0, 1.75, 0.125], [stop])
    assert len(history.epoch) == 3 and stop.best == 2.0  # 2.0 -> 1.75 is not an improvement by > 0.5

    stop = EarlyStopping(monitor="val_loss", patience=2, mode="max")
    _, history = _scripted_fit([1.0, 2.0, 1.5, 1.875, 3.0], [stop])
    assert len(history.epoch) == 4 and stop.best == 2.0 and stop.stopped_epoch == 3


def test_early_stopping_patience_zero_and_never_stopping():
    stop = EarlyStopping(patience=0)
    _, history = _scripted_fit([2.0, 3.0, 1.0], [stop])
    assert len(history.epoch) == 2
    stop = EarlyStopping(patience=1)
    _, history = _scripted_fit([3.0, 2.0, 1.0], [stop])
    assert len(history.epoch) == 3 and stop.stopped_epoch == -1


def test_early_stopping_restore_best_weights_bit_identical():
    recorder = _Recorder()
    stop = EarlyStopping(patience=2, restore_best_weights=True)
    model, _ = _scripted_fit([3.0, 1.0, 2.0, 2.5, 0.0], [stop, recorder])
    assert len(recorder.weights) == 4 and stop.best_epoch == 1
    best = recorder.weights[1]["w"].numpy()
    assert not np.array_equal(recorder.weights[-1]["w"].numpy(), best)  # the weights moved on after epoch 1
    final = model.state_dict()["w"].numpy()
    assert final.tobytes() == best.tobytes()


def test_early_stopping_without_restore_keeps_last_weights():
    recorder = _Recorder()
    model, _ = _scripted_fit([3.0, 1.0, 2.0, 2.5], [EarlyStopping(patience=2), recorder])
    assert model.state_dict()["w"].numpy().tobytes() == recorder.weights[-1]["w"].numpy().tobytes()


def test_early_stopping_auto_mode_and_errors():
    assert EarlyStopping(monitor="val_accuracy")._monitor.mode == "max"
    assert EarlyStopping(monitor="val_loss")._monitor.mode == "min"
    with pytest.raises(ValueError, match=r"\[EarlyStopping\] mode must be 'auto', 'min' or 'max'"):
        EarlyStopping(mode="up")
    with pytest.raises(ValueError, match=r"\[EarlyStopping\] patience must be an int >= 0"):
        EarlyStopping(patience=-1)
    model = nn.Linear(3, 1)
    with pytest.raises(KeyError, match=r"\[EarlyStopping\] monitor 'val_loss' is not among the epoch's logs"):
        fit(model, DataLoader(_regression_data(8), batch_size=8), _ManualSGD(model.parameters(), 0.01),
            F.mse_loss, 1, callbacks=[EarlyStopping()], verbose=False)


def test_model_checkpoint_saves_only_on_improvement(tmp_path, monkeypatch):
    import nativedl.train as train_mod
    saved = []
    real_save = train_mod.save

    def counting_save(obj, path):
        saved.append(path)
        real_save(obj, path)

    monkeypatch.setattr(train_mod, "save", counting_save)
    path = str(tmp_path / "best.safetensors")
    ckpt, recorder = ModelCheckpoint(path), _Recorder()
    model, _ = _scripted_fit([3.0, 1.0, 2.0, 0.5, 0.75], [ckpt, recorder])
    assert saved == [path] * 3  # epochs 0, 1 and 3 improved
    assert ckpt.best == 0.5
    fresh = _Scripted([0.0])
    fresh.load_state_dict(nd.load(path))
    saved_w = fresh.w.detach().numpy().tobytes()
    assert saved_w == recorder.weights[3]["w"].numpy().tobytes()
    assert model.w.detach().numpy().tobytes() != saved_w


def test_model_checkpoint_every_epoch_with_formatted_paths(tmp_path):
    pattern = str(tmp_path / "run" / "ep{epoch:02d}-{val_loss:.1f}.safetensors")
    ckpt = ModelCheckpoint(pattern, save_best_only=False)
    _scripted_fit([3.0, 1.0, 2.0], [ckpt])
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "ep01-3.0.safetensors", "ep02-1.0.safetensors", "ep03-2.0.safetensors"]
    assert ckpt.last_saved == str(tmp_path / "run" / "ep03-2.0.safetensors")


def test_callback_hooks_order():
    events = []

    class Log(Callback):
        def on_train_begin(self, logs=None):
            events.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            events.append(f"epoch_begin {epoch}")

        def on_batch_end(self, batch, logs=None):
            events.append(f"batch_end {batch} {logs['size']}")

        def on_epoch_end(self, epoch, logs=None):
            events.append(f"epoch_end {epoch} {sorted(logs)}")

        def on_train_end(self, logs=None):
            events.append("train_end")

    model = nn.Linear(3, 1)
    cb = Log()
    fit(model, DataLoader(_regression_data(24), batch_size=16), _ManualSGD(model.parameters(), 0.01),
        F.mse_loss, 2, callbacks=[cb], verbose=False)
    assert cb.model is model
    assert events == ["train_begin",
                      "epoch_begin 0", "batch_end 0 16", "batch_end 1 8", "epoch_end 0 ['loss', 'lr']",
                      "epoch_begin 1", "batch_end 0 16", "batch_end 1 8", "epoch_end 1 ['loss', 'lr']",
                      "train_end"]


# ---------------------------------------------------------------- output

def test_verbose_false_prints_nothing(capfd):
    _linear_fit(epochs=2)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_verbose_shows_progress_on_stderr(capfd):
    model = nn.Linear(3, 1)
    fit(model, DataLoader(_regression_data(), batch_size=16), _ManualSGD(model.parameters(), 0.01), F.mse_loss, 2,
        val_loader=DataLoader(_regression_data(), batch_size=64), verbose=True)
    out, err = capfd.readouterr()
    assert out == ""
    assert "Epoch 1/2" in err and "Epoch 2/2" in err and "loss=" in err and "val_loss=" in err


# ---------------------------------------------------------------- convergence

@pytest.mark.parametrize("make_optimizer", [
    lambda params: nd.optim.SGD(params, lr=0.05, momentum=0.9),
    lambda params: nd.optim.Adam(params, lr=3e-3),
], ids=["sgd_momentum", "adam"])
def test_digits_mlp_converges(make_optimizer):
    """A 2-layer MLP on scikit-learn's real 8x8 digits reaches >= 95 % accuracy on the held-out test split."""
    nd.manual_seed(0)
    train = nd.data.datasets.load_digits(split="train")
    test = nd.data.datasets.load_digits(split="test")
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = make_optimizer(model.parameters())
    loader = DataLoader(train, batch_size=32, shuffle=True, generator=nd.Generator().manual_seed(0))
    test_loader = DataLoader(test, batch_size=256)
    history = fit(model, loader, opt, nn.CrossEntropyLoss(), 8, val_loader=test_loader, metrics=["accuracy"],
                  verbose=False)
    result = evaluate(model, test_loader, nn.CrossEntropyLoss(), metrics=["accuracy"])
    with nd.no_grad():
        direct = nd.metrics.accuracy(test.targets, model(test.data))
    assert result["accuracy"] == direct == history.history["val_accuracy"][-1]
    assert direct >= 0.95, history.history
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]
