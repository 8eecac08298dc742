"""nativedl.nn: modules, parameters, the functional API and initialization."""
from . import functional
from . import utils
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all

__all__ = ["functional"] + list(_modules_all)
