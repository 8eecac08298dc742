// Joining, splitting and rearranging ops: cat, stack, split, flip, roll, repeat, pad, tril ...
#pragma once
#include <string>
#include <vector>

#include "nativedl/tensor.h"

namespace nd {

/// Concatenates along dim; dtypes promote; 1-d empty tensors are skipped (PyTorch's legacy rule).
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
/// Joins same-shaped tensors along a new dim.
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
/// Views of consecutive pieces of `split_size` along dim (the last may be smaller).
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim = 0);
/// Views of consecutive pieces with the given sizes (summing to the dim's size).
std::vector<Tensor> split_with_sizes(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim = 0);
/// At most `chunks` views of ceil(size / chunks) along dim.
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim = 0);
/// A copy with the order of entries reversed along each of dims.
Tensor flip(const Tensor& x, const std::vector<int64_t>& dims);
/// Entries shifted along dims (wrapping around); with no dims, along the flattened tensor.
Tensor roll(const Tensor& x, const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims = {});
/// x repeated repeats[i] times along dim i (extra leading repeats add dims).
Tensor repeat(const Tensor& x, const std::vector<int64_t>& repeats);
/// repeat, with repeats padded with leading ones to x's dims.
Tensor tile(const Tensor& x, const std::vector<int64_t>& dims);
/// Pads the last len(pad)/2 dims, pad = (last_left, last_right, second_last_left, ...).
/// mode: "constant" (value; negative pads crop), "reflect", "replicate" or "circular".
Tensor pad(const Tensor& x, const std::vector<int64_t>& pad, const std::string& mode = "constant",
           double value = 0.0);
/// The lower triangle of the last two dims (entries with col - row <= diagonal), zeros elsewhere.
Tensor tril(const Tensor& x, int64_t diagonal = 0);
/// The upper triangle (col - row >= diagonal).
Tensor triu(const Tensor& x, int64_t diagonal = 0);

}  // namespace nd
