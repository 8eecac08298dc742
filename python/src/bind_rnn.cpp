// Recurrent cells and sequences, embeddings and attention (the numerics behind
// nativedl.nn.functional's rnn area), with PyTorch's argument names.
#include "bindings.h"

namespace nd::py_bind {

namespace {
Tensor opt(const std::optional<Tensor>& t) { return t ? *t : Tensor{}; }
}  // namespace

void bind_rnn(py::module_& m, TensorClass& cls) {
  (void)cls;
  using OptT = std::optional<Tensor>;
  const auto none = py::none();
  m.def("rnn_tanh_cell", [](const Tensor& x, OptT hx, const Tensor& w_ih, const Tensor& w_hh, OptT b_ih, OptT b_hh) {
    py::gil_scoped_release release;
    return rnn_tanh_cell(x, opt(hx), w_ih, w_hh, opt(b_ih), opt(b_hh));
  }, py::arg("input"), py::arg("hx"), py::arg("w_ih"), py::arg("w_hh"), py::arg("b_ih") = none,
     py::arg("b_hh") = none);
  m.def("rnn_relu_cell", [](const Tensor& x, OptT hx, const Tensor& w_ih, const Tensor& w_hh, OptT b_ih, OptT b_hh) {
    py::gil_scoped_release release;
    return rnn_relu_cell(x, opt(hx), w_ih, w_hh, opt(b_ih), opt(b_hh));
  }, py::arg("input"), py::arg("hx"), py::arg("w_ih"), py::arg("w_hh"), py::arg("b_ih") = none,
     py::arg("b_hh") = none);
  // hx is (h, c) as in torch.lstm_cell.
  m.def("lstm_cell", [](const Tensor& x, const std::vector<Tensor>& hx, const Tensor& w_ih, const Tensor& w_hh,
                        OptT b_ih, OptT b_hh) {
    if (hx.size() != 2)
      throw ValueError("[lstm_cell] hx must be a pair (h, c), got " + std::to_string(hx.size()) + " tensors");
    py::gil_scoped_release release;
    auto r = lstm_cell(x, hx[0], hx[1], w_ih, w_hh, opt(b_ih), opt(b_hh));
    return std::make_tuple(r[0], r[1]);
  }, py::arg("input"), py::arg("hx"), py::arg("w_ih"), py::arg("w_hh"), py::arg("b_ih") = none,
     py::arg("b_hh") = none);
  m.def("gru_cell", [](const Tensor& x, OptT hx, const Tensor& w_ih, const Tensor& w_hh, OptT b_ih, OptT b_hh) {
    py::gil_scoped_release release;
    return gru_cell(x, opt(hx), w_ih, w_hh, opt(b_ih), opt(b_hh));
  }, py::arg("input"), py::arg("hx"), py::arg("w_ih"), py::arg("w_hh"), py::arg("b_ih") = none,
     py::arg("b_hh") = none);
  // The whole-sequence layer (nn.RNN / LSTM / GRU); `_`: its signature is nativedl's own.
  m.def("_rnn", [](const std::string& mode, const Tensor& x, const std::vector<std::optional<Tensor>>& hx,
                   const std::vector<Tensor>& params, bool has_biases, int64_t num_layers, double dropout, bool train,
                   bool bidirectional, bool batch_first, int64_t proj_size, OptT lengths) {
    std::vector<Tensor> h;
    for (const auto& t : hx) h.push_back(opt(t));
    py::gil_scoped_release release;
    return rnn(mode, x, h, params, has_biases, num_layers, dropout, train, bidirectional, batch_first, proj_size,
               opt(lengths));
  }, py::arg("mode"), py::arg("input"), py::arg("hx"), py::arg("params"), py::arg("has_biases"),
     py::arg("num_layers"), py::arg("dropout"), py::arg("train"), py::arg("bidirectional"), py::arg("batch_first"),
     py::arg("proj_size") = 0, py::arg("lengths") = none);

  // torch.embedding's argument order (weight first); F.embedding reorders.
  m.def("embedding", [](const Tensor& weight, const Tensor& input, std::optional<int64_t> padding_idx,
                        bool scale_grad_by_freq) {
    py::gil_scoped_release release;
    return embedding(weight, input, padding_idx, scale_grad_by_freq);
  }, py::arg("weight"), py::arg("input"), py::arg("padding_idx") = none, py::arg("scale_grad_by_freq") = false);
  m.def("embedding_renorm_", [](Tensor& weight, const Tensor& input, double max_norm, double norm_type) {
    py::gil_scoped_release release;
    return embedding_renorm_(weight, input, max_norm, norm_type);
  }, py::arg("weight"), py::arg("input"), py::arg("max_norm"), py::arg("norm_type"));
  // `_`: torch.embedding_bag returns a 4-tuple; this returns the bags only (F.embedding_bag).
  m.def("_embedding_bag", [](const Tensor& input, const Tensor& weight, OptT offsets, const std::string& mode,
                            OptT per_sample_weights, bool include_last_offset, std::optional<int64_t> padding_idx) {
    py::gil_scoped_release release;
    return embedding_bag(weight, input, opt(offsets), mode, opt(per_sample_weights), include_last_offset,
                         padding_idx);
  }, py::arg("input"), py::arg("weight"), py::arg("offsets") = none, py::arg("mode") = "mean",
     py::arg("per_sample_weights") = none, py::arg("include_last_offset") = false, py::arg("padding_idx") = none);

  m.def("scaled_dot_product_attention", [](const Tensor& q, const Tensor& k, const Tensor& v, OptT mask,
                                           double dropout_p, bool is_causal, std::optional<double> scale) {
    py::gil_scoped_release release;
    return scaled_dot_product_attention(q, k, v, opt(mask), dropout_p, is_causal, scale);
  }, py::arg("query"), py::arg("key"), py::arg("value"), py::arg("attn_mask") = none, py::arg("dropout_p") = 0.0,
     py::arg("is_causal") = false, py::arg("scale") = none);
  // Also returns the attention weights (nn.MultiheadAttention with need_weights).
  m.def("_attention_with_weights", [](const Tensor& q, const Tensor& k, const Tensor& v, OptT mask, double dropout_p,
                                      bool is_causal, std::optional<double> scale) {
    py::gil_scoped_release release;
    auto r = attention_with_weights(q, k, v, opt(mask), dropout_p, is_causal, scale);
    return std::make_tuple(r[0], r[1]);
  }, py::arg("query"), py::arg("key"), py::arg("value"), py::arg("attn_mask") = none, py::arg("dropout_p") = 0.0,
     py::arg("is_causal") = false, py::arg("scale") = none);
}

}  // namespace nd::py_bind
