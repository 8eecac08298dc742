"""nativedl.nn.utils: helpers around modules and parameters."""
from .penalties import *  # noqa: F401,F403
from .penalties import __all__  # noqa: F401
