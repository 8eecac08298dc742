// Elementwise ops as nativedl.<op>, Tensor.<op>, Tensor.<op>_ and Python operators, all
// generated from the op lists.
#include "bindings.h"
#include "inplace.h"

namespace nd::py_bind {

namespace {

// Arguments are converted with the GIL held; the op runs without it, except on small
// tensors where releasing and retaking the GIL would cost more than the op.
template <typename Fn> Tensor nogil(Fn&& fn) {
  py::gil_scoped_release release;
  return fn();
}
template <typename Fn> Tensor nogil(int64_t work, Fn&& fn) {
  if (work < (int64_t(1) << 15)) return fn();
  py::gil_scoped_release release;
  return fn();
}

}  // namespace

void bind_elementwise(py::module_& m, TensorClass& cls) {
#define ND_BIND_UNARY(name)                                                                          \
  m.def(#name, [](const Tensor& x, const py::object& out) {                                         \
    return with_out(out, #name, [&] { return nogil(x.numel(), [&] { return name(x); }); },            \
                    [&](Tensor& o) { nogil(x.numel(), [&] { return name##_out(o, x); }); });          \
  }, py::arg("input"), py::kw_only(), py::arg("out") = py::none());                                 \
  cls.def(#name, [](const Tensor& x) { return nogil(x.numel(), [&] { return name(x); }); });                    \
  cls.def(#name "_", [](py::object self) {                                                           \
    return return_self(self, [](Tensor& x) { nogil(x.numel(), [&] { return name##_(x); }); });      \
  });
  ND_UNARY_FLOAT_OPS(ND_BIND_UNARY)
  ND_UNARY_ANY_OPS(ND_BIND_UNARY)
#undef ND_BIND_UNARY

#define ND_BIND_BINARY(name)                                                                         \
  m.def(#name, [](py::handle a, py::handle b, const py::object& out) {                              \
    Tensor ta = to_tensor(a, #name), tb = to_tensor(b, #name);                                       \
    const int64_t work = ta.numel() + tb.numel();                                                    \
    return with_out(out, #name, [&] { return nogil(work, [&] { return name(ta, tb); }); },           \
                    [&](Tensor& o) { nogil(work, [&] { return name##_out(o, ta, tb); }); });         \
  }, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("out") = py::none());               \
  cls.def(#name, [](const Tensor& a, py::handle b) {                                                 \
    Tensor tb = to_tensor(b, #name);                                                                 \
    return nogil(a.numel() + tb.numel(), [&] { return name(a, tb); });                                                       \
  }, py::arg("other"));                                                                              \
  cls.def(#name "_", [](py::object self, py::handle b) {                                            \
    Tensor tb = to_tensor(b, #name "_");                                                             \
    return return_self(self, [&](Tensor& a) { nogil(a.numel() + tb.numel(), [&] { return name##_(a, tb); }); }); \
  }, py::arg("other"));
  ND_BINARY_ARITH_OPS(ND_BIND_BINARY)
  ND_BINARY_BOOL_OPS(ND_BIND_BINARY)
#undef ND_BIND_BINARY

  // add/sub with alpha, div with rounding_mode (module function and method).
  for (const char* name : {"add", "sub"}) {
    const bool is_add = std::string(name) == "add";
    auto fn = [is_add](py::handle a, py::handle b, py::handle alpha) {
      Tensor ta = to_tensor(a, is_add ? "add" : "sub"), tb = to_tensor(b, is_add ? "add" : "sub");
      Scalar al = to_scalar(alpha, is_add ? "add" : "sub");
      return nogil([&] { return is_add ? add(ta, tb, al) : sub(ta, tb, al); });
    };
    m.def(name, [is_add](py::handle a, py::handle b, py::handle alpha, const py::object& out) {
      const char* op = is_add ? "add" : "sub";
      Tensor ta = to_tensor(a, op), tb = to_tensor(b, op);
      Scalar al = to_scalar(alpha, op);
      return with_out(out, op, [&] { return nogil([&] { return is_add ? add(ta, tb, al) : sub(ta, tb, al); }); },
                      [&](Tensor& o) {
                        nogil([&] {
                          const Tensor scaled = al.to_double() == 1.0 && !al.is_floating() ? tb : mul(tb, al);
                          return is_add ? add_out(o, ta, scaled) : sub_out(o, ta, scaled);
                        });
                      });
    }, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("alpha") = 1, py::arg("out") = py::none());
    cls.def(name, fn, py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
    cls.def((std::string(name) + "_").c_str(), [is_add](py::object self, py::handle b, py::handle alpha) {
      Tensor tb = to_tensor(b, is_add ? "add_" : "sub_");
      Tensor scaled = mul(tb, to_tensor(alpha, is_add ? "add_" : "sub_"));
      return return_self(self, [&](Tensor& a) { nogil([&] { return is_add ? add_(a, scaled) : sub_(a, scaled); }); });
    }, py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  }
  auto div_fn = [](py::handle a, py::handle b, std::optional<std::string> mode) {
    Tensor ta = to_tensor(a, "div"), tb = to_tensor(b, "div");
    return nogil([&] { return div(ta, tb, mode.value_or("")); });
  };
  auto div_out_fn = [](py::handle a, py::handle b, std::optional<std::string> mode, const py::object& out) {
    Tensor ta = to_tensor(a, "div"), tb = to_tensor(b, "div");
    const std::string md = mode.value_or("");
    return with_out(out, "div", [&] { return nogil([&] { return div(ta, tb, md); }); }, [&](Tensor& o) {
      nogil([&]() -> Tensor {
        if (md.empty()) return div_out(o, ta, tb);
        if (md == "floor") return div_floor_out(o, ta, tb);
        if (md == "trunc") return div_trunc_out(o, ta, tb);
        return div(ta, tb, md);  // raises naming the bad rounding_mode
      });
    });
  };
  for (const char* name : {"div", "divide", "true_divide"})
    m.def(name, div_out_fn, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none(),
          py::arg("out") = py::none());
  cls.def("div", div_fn, py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());
  cls.def("div_", [](py::object self, py::handle b, std::optional<std::string> mode) {
    Tensor tb = to_tensor(b, "div_");
    const std::string md = mode.value_or("");
    return return_self(self, [&](Tensor& a) {
      nogil([&]() -> Tensor {
        if (md.empty()) return div_(a, tb);
        return md == "floor" ? div_floor_(a, tb) : (md == "trunc" ? div_trunc_(a, tb) : div(a, tb, md));
      });
    });
  }, py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());
  m.def("floor_divide", [](py::handle a, py::handle b) { return div_floor(to_tensor(a, "floor_divide"), to_tensor(b, "floor_divide")); });
  cls.def("floor_divide", [](const Tensor& a, py::handle b) { return div_floor(a, to_tensor(b, "floor_divide")); });

  // Python operators, reflected and in-place forms.
  using BinFn = Tensor (*)(const Tensor&, const Tensor&);
  using InFn = Tensor& (*)(Tensor&, const Tensor&);
  struct OpDef { const char* py; const char* rpy; const char* ipy; BinFn fn; InFn ifn; };
  const OpDef defs[] = {
      {"__add__", "__radd__", "__iadd__", static_cast<BinFn>(&add), static_cast<InFn>(&add_)},
      {"__sub__", "__rsub__", "__isub__", static_cast<BinFn>(&sub), static_cast<InFn>(&sub_)},
      {"__mul__", "__rmul__", "__imul__", static_cast<BinFn>(&mul), static_cast<InFn>(&mul_)},
      {"__truediv__", "__rtruediv__", "__itruediv__", static_cast<BinFn>(&div), static_cast<InFn>(&div_)},
      {"__floordiv__", "__rfloordiv__", "__ifloordiv__", static_cast<BinFn>(&div_floor), static_cast<InFn>(&div_floor_)},
      {"__mod__", "__rmod__", "__imod__", static_cast<BinFn>(&remainder), static_cast<InFn>(&remainder_)},
      {"__pow__", "__rpow__", "__ipow__", static_cast<BinFn>(&pow), static_cast<InFn>(&pow_)},
  };
  for (const OpDef& d : defs) {
    BinFn fn = d.fn;
    InFn ifn = d.ifn;
    const char* name = d.py;
    cls.def(d.py, [fn, name](const Tensor& a, py::handle b) {
      Tensor tb = to_tensor(b, name);
      return nogil(a.numel() + tb.numel(), [&] { return fn(a, tb); });
    }, py::is_operator());
    cls.def(d.rpy, [fn, name](const Tensor& a, py::handle b) {
      Tensor tb = to_tensor(b, name);
      return nogil(a.numel() + tb.numel(), [&] { return fn(tb, a); });
    }, py::is_operator());
    cls.def(d.ipy, [ifn, name](py::object self, py::handle b) {
      Tensor tb = to_tensor(b, name);
      return return_self(self, [&](Tensor& a) { nogil(a.numel() + tb.numel(), [&] { return ifn(a, tb); }); });
    }, py::is_operator());
  }
  struct CmpDef { const char* py; BinFn fn; };
  const CmpDef cmps[] = {{"__eq__", static_cast<BinFn>(&eq)}, {"__ne__", static_cast<BinFn>(&ne)},
                         {"__lt__", static_cast<BinFn>(&lt)}, {"__le__", static_cast<BinFn>(&le)},
                         {"__gt__", static_cast<BinFn>(&gt)}, {"__ge__", static_cast<BinFn>(&ge)}};
  for (const CmpDef& c : cmps) {
    BinFn fn = c.fn;
    cls.def(c.py, [fn](const Tensor& a, py::handle b) -> py::object {
      if (b.is_none()) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
      return wrap(fn(a, to_tensor(b, "compare")));
    }, py::is_operator());
  }
  // &, |, ^, ~ on bool tensors are the logical ops.
  struct BoolDef { const char* py; const char* rpy; BinFn fn; };
  const BoolDef bools[] = {{"__and__", "__rand__", static_cast<BinFn>(&logical_and)},
                           {"__or__", "__ror__", static_cast<BinFn>(&logical_or)},
                           {"__xor__", "__rxor__", static_cast<BinFn>(&logical_xor)}};
  for (const BoolDef& b : bools) {
    BinFn fn = b.fn;
    auto f = [fn](const Tensor& a, py::handle o) {
      Tensor t = to_tensor(o, "bitwise");
      ND_CHECK(a.dtype() == DType::Bool && t.dtype() == DType::Bool, TypeError, "[bitwise] &, |, ^ are "
               "supported for bool tensors only, got ", dtype_name(a.dtype()), " and ", dtype_name(t.dtype()));
      return fn(a, t);
    };
    cls.def(b.py, f, py::is_operator());
    cls.def(b.rpy, f, py::is_operator());
  }
  cls.def("__invert__", [](const Tensor& a) {
    ND_CHECK(a.dtype() == DType::Bool, TypeError, "[bitwise_not] ~ is supported for bool tensors only, got ", dtype_name(a.dtype()));
    return logical_not(a);
  });
  cls.def("__neg__", [](const Tensor& a) { return neg(a); });
  cls.def("__pos__", [](const Tensor& a) { return a; });
  cls.def("__abs__", [](const Tensor& a) { return abs(a); });
  cls.def("__hash__", [](py::handle self) { return reinterpret_cast<intptr_t>(self.ptr()) >> 4; });

  m.def("logical_not", &logical_not, py::arg("input"));
  cls.def("logical_not", &logical_not);
  for (auto [name, fn] : {std::pair{"isnan", &isnan}, std::pair{"isinf", &isinf}, std::pair{"isfinite", &isfinite}}) {
    m.def(name, fn, py::arg("input"));
    cls.def(name, fn);
  }
  auto where_fn = [](const Tensor& c, py::handle a, py::handle b) {
    Tensor ta = to_tensor(a, "where"), tb = to_tensor(b, "where");
    return nogil([&] { return where(c, ta, tb); });
  };
  m.def("where", where_fn, py::arg("condition"), py::arg("input"), py::arg("other"));
  cls.def("where", [where_fn](const Tensor& self, const Tensor& c, py::handle other) { return where_fn(c, py::cast(self), other); },
          py::arg("condition"), py::arg("other"));
  auto clamp_fn = [](const Tensor& x, py::handle lo, py::handle hi) {
    auto bound = [](py::handle h) -> std::optional<Tensor> {
      if (h.is_none()) return std::nullopt;
      return to_tensor(h, "clamp");
    };
    return clamp(x, bound(lo), bound(hi));
  };
  for (const char* name : {"clamp", "clip"}) {
    m.def(name, clamp_fn, py::arg("input"), py::arg("min") = py::none(), py::arg("max") = py::none());
    cls.def(name, clamp_fn, py::arg("min") = py::none(), py::arg("max") = py::none());
    cls.def((std::string(name) + "_").c_str(), [clamp_fn](py::object self, py::handle lo, py::handle hi) {
      return return_self(self, [&](Tensor& x) {
        autograd::check_inplace(x, {}, "clamp_");
        Tensor r = clamp_fn(autograd::any_requires_grad({&x}) ? clone(x) : x, lo, hi);
        copy_(x, r);
      });
    }, py::arg("min") = py::none(), py::arg("max") = py::none());
  }
  auto lerp_fn = [](const Tensor& a, const Tensor& b, py::handle w) { return lerp(a, b, to_tensor(w, "lerp")); };
  m.def("lerp", lerp_fn, py::arg("input"), py::arg("end"), py::arg("weight"));
  cls.def("lerp", lerp_fn, py::arg("end"), py::arg("weight"));
  auto addc = [](bool mul_form) {
    return [mul_form](const Tensor& a, const Tensor& t1, const Tensor& t2, py::handle value) {
      Scalar v = to_scalar(value, mul_form ? "addcmul" : "addcdiv");
      return mul_form ? addcmul(a, t1, t2, v) : addcdiv(a, t1, t2, v);
    };
  };
  m.def("addcmul", addc(true), py::arg("input"), py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1);
  m.def("addcdiv", addc(false), py::arg("input"), py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1);
  cls.def("addcmul", addc(true), py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1);
  cls.def("addcdiv", addc(false), py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1);

  m.def("clone", [](const Tensor& x) { return nogil([&] { return clone(x); }); }, py::arg("input"));
  cls.def("clone", [](const Tensor& x) { return nogil([&] { return clone(x); }); });
  cls.def("_to_dtype", [](const Tensor& x, DType d) { return nogil([&] { return to_dtype(x, d); }); });
  cls.def("copy_", [](py::object self, py::handle src) {
    Tensor s = to_tensor(src, "copy_");
    return return_self(self, [&](Tensor& t) { nogil([&] { return copy_(t, s); }); });
  }, py::arg("src"));
  cls.def("fill_", [](py::object self, py::handle v) {
    Scalar s = to_scalar(v, "fill_");
    return return_self(self, [&](Tensor& t) { fill_(t, s); });
  }, py::arg("value"));
  cls.def("zero_", [](py::object self) { return return_self(self, [](Tensor& t) { zero_(t); }); });
}

}  // namespace nd::py_bind
