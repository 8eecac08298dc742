// Autograd: requires_grad, .grad, backward, grad(), grad mode, hooks.
#include <pybind11/functional.h>

#include "autograd/meta.h"
#include "bindings.h"

namespace nd::py_bind {

namespace {

// A Python callable used from C++: the GIL is taken to call it and to drop it, since the
// engine may run and free hooks without holding the GIL.
struct PyHook {
  std::shared_ptr<py::object> fn;
  explicit PyHook(py::object f)
      : fn(new py::object(std::move(f)), [](py::object* o) { py::gil_scoped_acquire g; delete o; }) {}
  Tensor operator()(const Tensor& grad) const {
    py::gil_scoped_acquire g;
    py::object r = (*fn)(wrap(grad));
    return r.is_none() ? Tensor() : r.cast<Tensor>();
  }
};

TensorList to_list(py::handle obj, const char* op, bool allow_none) {
  TensorList out;
  if (py::isinstance<Tensor>(obj)) return {obj.cast<Tensor>()};
  for (py::handle h : obj) {
    if (h.is_none() && allow_none) out.emplace_back();
    else out.push_back(to_tensor(h, op));
  }
  return out;
}

}  // namespace

void bind_autograd(py::module_& m, TensorClass& cls) {
  cls.def_property("requires_grad", &Tensor::requires_grad,
                   [](Tensor& t, bool r) { t.set_requires_grad(r); });
  cls.def("requires_grad_", [](py::object self, bool r) { self.cast<Tensor&>().set_requires_grad(r); return self; },
          py::arg("requires_grad") = true);
  // An absent gradient is None (an undefined Tensor must never reach Python).
  cls.def_property("grad", [](const Tensor& t) -> py::object { Tensor g = t.grad(); return g.defined() ? wrap(g) : py::none(); },
                   [](const Tensor& t, std::optional<Tensor> g) { t.set_grad(g.value_or(Tensor())); });
  cls.def_property_readonly("is_leaf", &Tensor::is_leaf);
  cls.def_property_readonly("grad_fn", [](const Tensor& t) -> py::object {
    if (!t.grad_fn()) return py::none();
    return py::cast(t.grad_fn());
  });
  cls.def_property_readonly("retains_grad", &Tensor::retains_grad);
  cls.def("retain_grad", &Tensor::retain_grad);
  cls.def("detach_", [](py::object self) {
    Tensor& t = self.cast<Tensor&>();
    ND_CHECK(!t.impl()->is_view || !t.requires_grad(), Error, "[detach_] can't detach views in-place; use detach() instead");
    t.impl()->autograd.reset();
    return self;
  });
  cls.def("register_hook", [](const Tensor& t, py::object fn) {
    auto remover = t.register_hook(PyHook(fn));
    py::object handle = py::module_::import("nativedl.autograd").attr("RemovableHandle")(py::cpp_function(remover));
    return handle;
  }, py::arg("hook"));
  cls.def("backward", [](const Tensor& t, std::optional<Tensor> gradient, std::optional<bool> retain_graph, bool create_graph) {
    py::gil_scoped_release release;
    t.backward(gradient.value_or(Tensor()), retain_graph.value_or(create_graph), create_graph);
  }, py::arg("gradient") = py::none(), py::arg("retain_graph") = py::none(), py::arg("create_graph") = false);

  py::class_<Node, std::shared_ptr<Node>>(m, "Node")
      .def("name", &Node::name)
      .def("__repr__", [](const Node& n) { return "<" + n.name() + " object>"; })
      .def_property_readonly("next_functions", [](const Node& n) {
        py::list out;
        for (const Edge& e : n.next_edges)
          out.append(py::make_tuple(e.node ? py::cast(e.node) : py::none(), e.input_nr));
        return py::tuple(out);
      });

  m.def("_backward", [](py::handle tensors, py::handle grads, bool retain_graph, bool create_graph) {
    TensorList ts = to_list(tensors, "backward", false), gs = grads.is_none() ? TensorList() : to_list(grads, "backward", true);
    py::gil_scoped_release release;
    autograd::backward(ts, gs, retain_graph, create_graph);
  });
  m.def("_grad", [](py::handle outputs, py::handle inputs, py::handle grad_outputs, bool retain_graph,
                    bool create_graph, bool allow_unused) {
    TensorList os = to_list(outputs, "grad", false), is = to_list(inputs, "grad", false);
    TensorList gs = grad_outputs.is_none() ? TensorList() : to_list(grad_outputs, "grad", true);
    TensorList r;
    {
      py::gil_scoped_release release;
      r = autograd::grad(os, is, gs, retain_graph, create_graph, allow_unused);
    }
    py::list out;
    for (Tensor& t : r) out.append(t.defined() ? wrap(t) : py::none());
    return py::tuple(out);
  });
  m.def("is_grad_enabled", &grad_mode_enabled);
  m.def("_set_grad_enabled", &set_grad_mode_enabled);
}

}  // namespace nd::py_bind
