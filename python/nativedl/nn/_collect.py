"""Collects the public names of every submodule of a package, so adding an area is adding a file."""
import importlib
import pkgutil


def collect(package_name, package_path, namespace):
    names = []
    for info in sorted(pkgutil.iter_modules(package_path), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{package_name}.{info.name}")
        public = getattr(mod, "__all__", [n for n in vars(mod) if not n.startswith("_")])
        for n in public:
            namespace[n] = getattr(mod, n)
        names.extend(public)
    return names
