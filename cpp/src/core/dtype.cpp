#include "nativedl/tensor.h"

namespace nd {

size_t element_size(DType t) {
  switch (t) {
    case DType::Bool: case DType::UInt8: return 1;
    case DType::Int32: case DType::Float32: return 4;
    case DType::Int64: case DType::Float64: return 8;
  }
  return 0;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::Bool: return "bool";
    case DType::UInt8: return "uint8";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
  }
  return "?";
}

static DType g_default_float = DType::Float32;
DType default_float_dtype() { return g_default_float; }
void set_default_float_dtype(DType t) {
  ND_CHECK(is_floating(t), TypeError, "[set_default_dtype] only float32 and float64 are supported, got ",
           dtype_name(t));
  g_default_float = t;
}

std::string Device::str() const {
  if (type == DeviceType::CPU) return "cpu";
  return index < 0 ? "cuda" : "cuda:" + std::to_string(index);
}

Device parse_device(const std::string& s, const char* op) {
  const size_t colon = s.find(':');
  const std::string type = s.substr(0, colon);
  Device d;
  if (type == "cuda") d.type = DeviceType::CUDA;
  else ND_CHECK(type == "cpu", ValueError, "[", op, "] expected a device type 'cpu' or 'cuda', got '", s, "'");
  if (colon != std::string::npos) {
    const std::string idx = s.substr(colon + 1);
    ND_CHECK(!idx.empty() && idx.find_first_not_of("0123456789") == std::string::npos, ValueError, "[", op,
             "] invalid device index in '", s, "'");
    d.index = std::stoi(idx);
    ND_CHECK(d.type == DeviceType::CUDA || d.index == 0, ValueError, "[", op, "] the CPU device has index 0, got '", s, "'");
    if (d.type == DeviceType::CPU) d.index = -1;
  }
  return d;
}

DType Scalar::natural_dtype() const {
  switch (kind_) {
    case Kind::Bool: return DType::Bool;
    case Kind::Int: return DType::Int64;
    default: return default_float_dtype();
  }
}

}  // namespace nd
