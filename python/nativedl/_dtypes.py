"""dtype objects under their PyTorch names."""
from ._C import dtype

dtype.__repr__ = dtype.__str__ = lambda self: f"nativedl.{self.name}"

bool = dtype.bool  # noqa: A001 (PyTorch's name)
uint8 = dtype.uint8
int32 = dtype.int32
int64 = dtype.int64
float32 = dtype.float32
float64 = dtype.float64
int = int32  # noqa: A001
long = int64
float = float32  # noqa: A001
double = float64

__all__ = ["bool", "uint8", "int32", "int64", "float32", "float64", "int", "long", "float", "double"]
