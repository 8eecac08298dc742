"""Case families: every module here is one family and defines CASES, a list of bench.case.Case."""
from __future__ import annotations

import importlib
import pkgutil
from typing import Iterator

from bench.case import Case


def discover() -> Iterator[tuple[str, Case]]:
    """(full name "family.case", case) for every case of every family module, families alphabetically, cases in list order."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for case in module.CASES:
            yield f"{info.name}.{case.name}", case
