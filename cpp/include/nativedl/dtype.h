// Element types and devices of nativedl tensors.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace nd {

/// Element type of a tensor. The order is the promotion order among these types
/// (bool < uint8 < int32 < int64 < float32 < float64), so promotion is a max.
enum class DType : int8_t { Bool = 0, UInt8, Int32, Int64, Float32, Float64 };

/// Number of dtypes; used to size dtype-indexed tables.
constexpr int kNumDTypes = 6;

/// Bytes per element.
size_t element_size(DType t);
/// PyTorch's spelling: "float32", "int64", "bool" ...
const char* dtype_name(DType t);
/// True for float32 and float64.
inline bool is_floating(DType t) { return t == DType::Float32 || t == DType::Float64; }
/// True for the integer types and bool.
inline bool is_integral(DType t, bool include_bool) {
  return !is_floating(t) && (include_bool || t != DType::Bool);
}
/// The smallest type both a and b convert to without losing their category.
inline DType promote_types(DType a, DType b) { return a < b ? b : a; }
/// The dtype used for floating results of integer inputs (as torch.get_default_dtype()).
DType default_float_dtype();
/// Sets the default floating dtype (float32 or float64).
void set_default_float_dtype(DType t);

/// Kind of memory a tensor lives in. Only CPU tensors can be created for now;
/// the CUDA backend fills in the rest.
enum class DeviceType : int8_t { CPU = 0, CUDA = 1 };

/// A device: its type and, for accelerators, an index.
struct Device {
  DeviceType type = DeviceType::CPU;
  int index = -1;
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  /// "cpu" or "cuda:0".
  std::string str() const;
};

/// Maps a C++ element type to its DType.
template <typename T> struct dtype_of;
template <> struct dtype_of<bool> { static constexpr DType value = DType::Bool; };
template <> struct dtype_of<uint8_t> { static constexpr DType value = DType::UInt8; };
template <> struct dtype_of<int32_t> { static constexpr DType value = DType::Int32; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::Int64; };
template <> struct dtype_of<float> { static constexpr DType value = DType::Float32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::Float64; };

}  // namespace nd
