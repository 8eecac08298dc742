"""The Optimizer base: PyTorch's parameter groups (dicts, editable between steps), step,
zero_grad and state_dict, over a C++ optimizer (nativedl._C._optim) that does the updates."""
from __future__ import annotations

from .._C import Tensor
from .._creation import as_tensor
from ..autograd import enable_grad

__all__ = ["Optimizer"]


class Optimizer:
    """Base of the optimizers. Subclasses name their C++ class and options struct and pass
    their defaults (PyTorch's argument names) to __init__."""

    _impl_class = None  # a class from nativedl._C._optim
    _options_class = None  # its options struct

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self._impl = self._impl_class()
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {type(params).__name__}")
        param_groups = list(params)
        if not param_groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"

    def _options(self, group):
        options = self._options_class()
        for name in self.defaults:
            value = group[name]
            setattr(options, name, tuple(value) if name == "betas" else value)
        return options

    def add_param_group(self, param_group):
        """Adds a group of parameters; options it does not set take the optimizer's defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but parameter {i} is a {type(p).__name__}")
        group = dict(param_group, params=params)
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._impl.add_param_group(params, self._options(group))  # checks options and parameters
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Resets the gradients of all parameters: to None, or to zeros in place."""
        self._impl.zero_grad(set_to_none)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; closure re-evaluates the loss first."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._impl.set_options([self._options(g) for g in self.param_groups])  # picks up edited groups
        self._impl.step()
        return loss

    def _params(self):
        return [p for group in self.param_groups for p in group["params"]]

    @property
    def state(self):
        """{parameter: {name: tensor}} for the parameters that have state (live tensors)."""
        state = {}
        for p in self._params():
            s = self._impl.state(p)
            if s:
                state[p] = s
        return state

    def state_dict(self):
        """PyTorch's layout: {'state': {index: {name: tensor}}, 'param_groups': [{..., 'params': [index ...]}]},
        parameters indexed in group order. The tensors are the live state (copy to keep a snapshot)."""
        groups, start = [], 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = list(range(start, start + len(group["params"])))
            start += len(group["params"])
            groups.append(packed)
        state = {}
        for i, p in enumerate(self._params()):
            s = self._impl.state(p)
            if s:
                state[i] = s
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Loads a state_dict() of an optimizer of the same kind over same-shaped parameters; copies the state.
        Everything is checked before anything changes."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups but the optimizer has "
                             f"{len(self.param_groups)}")
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(f"loaded state dict's parameter group {i} has {len(saved['params'])} parameters "
                                 f"but the optimizer's has {len(group['params'])}")
        new_groups = [{**self.defaults, **saved, "params": group["params"]}
                      for group, saved in zip(self.param_groups, saved_groups)]
        saved_state = {int(k): v for k, v in state_dict["state"].items()}
        states = [{name: as_tensor(v) for name, v in saved_state.get(int(k), {}).items()}
                  for saved in saved_groups for k in saved["params"]]
        old_options = [self._options(g) for g in self.param_groups]
        self._impl.set_options([self._options(g) for g in new_groups])
        try:
            self._impl.load_state(states)
        except Exception:
            self._impl.set_options(old_options)
            raise
        self.param_groups = new_groups

