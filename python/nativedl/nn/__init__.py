"""nativedl.nn: modules, parameters, the functional API and initialization."""
from . import functional, init, utils
from .parameter import Buffer, Parameter
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all

__all__ = ["functional", "init", "utils", "Parameter", "Buffer"] + list(_modules_all)
