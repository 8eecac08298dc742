"""RNN, LSTM, GRU and their cells with PyTorch's constructor options, parameter names, layouts,
gate orders and initialization, so PyTorch state_dicts load unchanged.

A whole sequence is one C++ call (nativedl._C._rnn): the time loop, forward and backward,
runs in C++ with the input projections of all steps as one GEMM. Its backward is first-order
(create_graph through a sequence raises); the cells support higher orders."""
import math
import numbers
import warnings

import numpy as np

from ... import _C, _creation
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, _pack_sorted, _unpack_sorted
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """The multi-layer recurrent layer; mode is 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU'."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if mode not in _GATES:
            raise ValueError(f"[{name}] unknown mode {mode!r}")
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(f"[{name}] dropout should be a number in range [0, 1] representing the probability "
                             f"of an element being zeroed, got {dropout!r}")
        for arg, v in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"[{name}] {arg} must be a positive int, got {v!r}")
        if proj_size < 0:
            raise ValueError(f"[{name}] proj_size should be a positive integer or zero to disable projections, "
                             f"got {proj_size}")
        if proj_size >= hidden_size:
            raise ValueError(f"[{name}] proj_size={proj_size} has to be smaller than hidden_size={hidden_size}")
        if proj_size and mode != "LSTM":
            raise ValueError(f"[{name}] proj_size is only supported by LSTM")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        num_directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input = input_size if layer == 0 else real_hidden * num_directions
                shapes = [(gate_size, layer_input), (gate_size, real_hidden)]
                names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    shapes += [(gate_size,), (gate_size,)]
                    names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size > 0:
                    shapes.append((proj_size, hidden_size))
                    names.append("weight_hr_l{}{}")
                suffix = "_reverse" if direction == 1 else ""
                names = [n.format(layer, suffix) for n in names]
                for n, s in zip(names, shapes):
                    setattr(self, n, Parameter(_creation.empty(*s, dtype=dtype, device=device)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def reset_parameters(self):
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def flatten_parameters(self):
        """No-op (PyTorch compacts cuDNN weights here)."""

    def _state_count(self):
        return 2 if self.mode == "LSTM" else 1

    def forward(self, input, hx=None):
        packed = isinstance(input, PackedSequence)
        lengths = None
        if packed:
            sequence = input
            input, lens = _unpack_sorted(sequence)
            lengths = _creation.tensor(lens)
            batch_first = False
            if hx is not None and sequence.sorted_indices is not None:
                hx = self._permute_hidden(hx, sequence.sorted_indices)
        else:
            batch_first = self.batch_first
        states = [] if hx is None else (list(hx) if self.mode == "LSTM" else [hx])
        if self.mode == "LSTM" and hx is not None and len(states) != 2:
            raise ValueError(f"[LSTM] hx must be a tuple (h_0, c_0), got {len(states)} tensors")
        res = _C._rnn(self.mode, input, states, self._flat_weights, self.bias, self.num_layers, self.dropout,
                      self.training, self.bidirectional, batch_first, self.proj_size, lengths)
        output, hidden = res[0], (tuple(res[1:]) if self.mode == "LSTM" else res[1])
        if packed:
            output = PackedSequence(_pack_sorted(output, np.asarray(sequence.batch_sizes.numpy())),
                                    sequence.batch_sizes, sequence.sorted_indices, sequence.unsorted_indices)
            if sequence.unsorted_indices is not None:
                hidden = self._permute_hidden(hidden, sequence.unsorted_indices)
        return output, hidden

    def _permute_hidden(self, hx, permutation):
        if isinstance(hx, (tuple, list)):
            return tuple(h.index_select(1, permutation) for h in hx)
        return hx.index_select(1, permutation)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


def _split_args(cls, args, kwargs, names):
    """RNN/LSTM/GRU take RNNBase's options positionally after input_size and hidden_size."""
    if len(args) > len(names):
        raise TypeError(f"[{cls}] takes at most {len(names)} positional arguments, got {len(args)}")
    for n, v in zip(names, args):
        if n in kwargs:
            raise TypeError(f"[{cls}] got multiple values for argument {n!r}")
        kwargs[n] = v
    return kwargs


_OPTS = ["input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"]


class RNN(RNNBase):
    """Elman RNN: h_t = nonlinearity(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), tanh or relu."""

    def __init__(self, *args, **kwargs):
        names = _OPTS[:3] + ["nonlinearity"] + _OPTS[3:]
        kwargs = _split_args("RNN", args, kwargs, names)
        nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"[RNN] unknown nonlinearity {nonlinearity!r}; use 'tanh' or 'relu'")
        if kwargs.get("proj_size", 0):
            raise ValueError("[RNN] proj_size is only supported by LSTM")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", **kwargs)

    def extra_repr(self):
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + f", nonlinearity={self.nonlinearity!r}"


class LSTM(RNNBase):
    """LSTM with gates i, f, g, o (PyTorch's order); proj_size > 0 adds h_t = W_hr (o * tanh(c_t))."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", **_split_args("LSTM", args, kwargs, _OPTS + ["proj_size"]))


class GRU(RNNBase):
    """GRU with gates r, z, n; n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), as PyTorch."""

    def __init__(self, *args, **kwargs):
        super().__init__("GRU", **_split_args("GRU", args, kwargs, _OPTS))


class RNNCellBase(Module):
    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(_creation.empty(num_chunks * hidden_size, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(_creation.empty(num_chunks * hidden_size, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(_creation.empty(num_chunks * hidden_size, dtype=dtype, device=device))
            self.bias_hh = Parameter(_creation.empty(num_chunks * hidden_size, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity!r}"
        return s


class RNNCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"[RNNCell] unknown nonlinearity {nonlinearity!r}; use 'tanh' or 'relu'")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        cell = F.rnn_tanh_cell if self.nonlinearity == "tanh" else F.rnn_relu_cell
        return cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class LSTMCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        if hx is None:
            shape = (input.shape[0], self.hidden_size) if input.dim() == 2 else (self.hidden_size,)
            zeros = _creation.zeros(*shape, dtype=input.dtype, device=input.device)
            hx = (zeros, zeros)
        return F.lstm_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class GRUCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        return F.gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
