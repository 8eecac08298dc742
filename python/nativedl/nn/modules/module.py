"""nn.Module: parameters, buffers and sub-modules registered by attribute, PyTorch's API."""
from collections import OrderedDict, namedtuple

import numpy as np

from ... import _C
from ..._C import Tensor
from ..._device import device
from ...autograd import no_grad
from ..parameter import Buffer, Parameter

__all__ = ["Module", "Parameter"]

_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class _HookHandle:
    def __init__(self, hooks, key):
        self._hooks, self._key = hooks, key

    def remove(self):
        self._hooks.pop(self._key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Module:
    """Base class of every layer and model."""

    _next_hook_id = 0

    def __init__(self):
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"[{type(self).__name__}] Module subclasses must define forward()")

    # ------------------------------------------------------------------ registration
    def register_parameter(self, name, param):
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameters before Module.__init__() call")
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"[register_parameter] cannot assign {type(param).__name__} object to parameter "
                            f"'{name}' (nativedl.nn.Parameter or None required)")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"[register_buffer] cannot assign {type(tensor).__name__} object to buffer '{name}' "
                            "(nativedl.Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"[add_module] {type(module).__name__} is not a Module subclass")
        self._check_name(name, "module")
        self._modules[name] = module

    register_module = add_module

    def _check_name(self, name, kind):
        if not isinstance(name, str):
            raise TypeError(f"[register_{kind}] {kind} name should be a string, got {type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(f"[register_{kind}] {kind} name can't contain '.' or be empty, got '{name}'")
        own = {"parameter": self._parameters, "buffer": self._buffers, "module": self._modules}[kind]
        if hasattr(self, name) and name not in own:
            raise KeyError(f"[register_{kind}] attribute '{name}' already exists")

    def __setattr__(self, name, value):
        d = self.__dict__
        params, buffers, modules = d.get("_parameters"), d.get("_buffers"), d.get("_modules")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._discard(name, keep="_parameters")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(nativedl.nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._discard(name, keep="_modules")
            modules[name] = value
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}'")
            modules[name] = None
        elif isinstance(value, Buffer):
            self._discard(name, keep="_buffers")
            self.register_buffer(name, Tensor(value), value.persistent)
        elif buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}'")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _discard(self, name, keep):
        """Forgets `name` everywhere but in the store `keep`, where re-assignment keeps its position."""
        self.__dict__.pop(name, None)
        for key in ("_parameters", "_buffers", "_modules"):
            if key != keep:
                self.__dict__[key].pop(name, None)
        if keep != "_buffers":
            self._non_persistent_buffers_set.discard(name)

    def __getattr__(self, name):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            store = d.get(key)
            if store is not None and name in store:
                return store[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for key in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__[key]:
                del self.__dict__[key][name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        if memo is None:
            memo = set()
        if remove_duplicate and self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            yield from m.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and m not in seen:
                seen.add(m)
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, get, prefix="", recurse=True, remove_duplicate=True):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for name, v in get(mod):
                if v is None or (remove_duplicate and id(v) in seen):
                    continue
                if remove_duplicate:
                    seen.add(id(v))
                yield mod_prefix + ("." if mod_prefix else "") + name, v

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members(lambda m: m._parameters.items(), prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target):
        mod = self
        for part in target.split(".") if target else []:
            if part not in mod._modules:
                raise AttributeError(f"{type(mod).__name__} has no attribute `{part}`")
            mod = mod._modules[part]
        return mod

    def get_parameter(self, target):
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if name not in mod._parameters:
            raise AttributeError(f"{type(mod).__name__} has no parameter `{name}`")
        return mod._parameters[name]

    # ------------------------------------------------------------------ modes and transforms
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("[train] training mode is expected to be boolean")
        self.__dict__["training"] = mode
        for m in self.children():
            m.train(mode)  # through each child's own train(), which a layer may override
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                # In place, as PyTorch does, so whoever holds the grad (an optimizer) sees the zeros.
                if p.grad.grad_fn is not None:
                    p.grad = p.grad.detach()
                with no_grad():
                    p.grad.zero_()

    def apply(self, fn):
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def _apply_to_tensors(self, fn):
        """Replaces the data of every parameter and buffer with fn(data), in place."""
        with no_grad():
            for m in self.modules():
                for p in m._parameters.values():
                    if p is not None:
                        p._set_data(fn(p.detach()))
                        if p.grad is not None:
                            p.grad._set_data(fn(p.grad))
                for name, b in m._buffers.items():
                    if b is not None:
                        m._buffers[name] = fn(b)
        return self

    def to(self, *args, **kwargs):
        """to(device), to(dtype), to(device, dtype) or to(tensor): parameters and buffers move to the
        device; floating ones change dtype. Parameters keep their identity (an optimizer built
        before the move keeps working)."""
        target, dev = kwargs.get("dtype"), kwargs.get("device")
        for a in args:
            if isinstance(a, _C.dtype):
                target = a
            elif isinstance(a, _C.Tensor):
                target, dev = a.dtype, a.device
            else:
                dev = a
        if target is not None and not target.is_floating_point:
            raise TypeError(f"[Module.to] nn.Module.to only accepts floating point dtypes, got {target}")
        if dev is not None:
            dev = device(dev)
        if target is None and dev is None:
            return self

        def convert(t):
            if dev is not None:
                t = t.to(dev)
            return t.to(target) if target is not None and t.dtype.is_floating_point else t
        return self._apply_to_tensors(convert)

    def float(self):
        return self.to(_C.dtype.float32)

    def double(self):
        return self.to(_C.dtype.float64)

    def cuda(self, device=None):
        return self.to("cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else device)

    def cpu(self):
        return self.to("cpu")

    # ------------------------------------------------------------------ state
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        out = OrderedDict() if destination is None else destination
        for name, p in self._parameters.items():
            if p is not None:
                out[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                out[prefix + name] = b if keep_vars else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=out, prefix=prefix + name + ".", keep_vars=keep_vars)
        return out

    def _state_targets(self):
        """(key, owner module, attribute name, tensor) for everything state_dict() saves."""
        for prefix, mod in self.named_modules(remove_duplicate=False):
            base = prefix + "." if prefix else ""
            for name, p in mod._parameters.items():
                if p is not None:
                    yield base + name, mod, name, p
            for name, b in mod._buffers.items():
                if b is not None and name not in mod._non_persistent_buffers_set:
                    yield base + name, mod, name, b

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copies values (nativedl tensors or NumPy arrays) into parameters and buffers.

        Everything is checked before anything is written: a missing or unexpected key (with
        strict) or a shape mismatch raises and leaves the module unchanged. With assign=True the
        given tensors replace the parameters and buffers instead of being copied into them.
        """
        targets = {key: (mod, name, t) for key, mod, name, t in self._state_targets()}
        values = {}
        errors = []
        for key, value in state_dict.items():
            if key not in targets:
                continue
            if not isinstance(value, Tensor):
                arr = np.asarray(value)
                if arr.dtype.kind not in "biuf":
                    errors.append(f"value for '{key}' is not numeric ({arr.dtype})")
                    continue
                value = _C.from_numpy(np.ascontiguousarray(arr))
            target = targets[key][2]
            if tuple(value.shape) != tuple(target.shape):
                errors.append(f"size mismatch for {key}: copying a param with shape {tuple(value.shape)} from "
                              f"checkpoint, the shape in current model is {tuple(target.shape)}")
                continue
            values[key] = value
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing))
        if errors:
            raise RuntimeError(f"[load_state_dict] Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        with no_grad():
            for key, value in values.items():
                mod, name, target = targets[key]
                if not assign:
                    target.copy_(value)
                elif name in mod._parameters:
                    # The given tensor becomes the parameter (sharing its storage), as in PyTorch.
                    mod._parameters[name] = Parameter(value, requires_grad=target.requires_grad)
                else:
                    mod._buffers[name] = value
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ calling and hooks
    def _add_hook(self, store, hook):
        key = Module._next_hook_id
        Module._next_hook_id += 1
        store[key] = hook
        return _HookHandle(store, key)

    def register_forward_pre_hook(self, hook):
        """hook(module, args) may return new args (a tuple, or a single value)."""
        return self._add_hook(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook):
        """hook(module, args, output) may return a new output."""
        return self._add_hook(self._forward_hooks, hook)

    def __call__(self, *args, **kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            r = hook(self, args)
            if r is not None:
                args = r if isinstance(r, tuple) else (r,)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            r = hook(self, args, out)
            if r is not None:
                out = r
        return out

    # ------------------------------------------------------------------ printing
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [line for line in self.extra_repr().split("\n") if line]
        for name, m in self._modules.items():
            child = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        main = type(self).__name__ + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                return main + lines[0] + ")"
            return main + "\n  " + "\n  ".join(lines) + "\n)"
        return main + ")"

