// nativedl._C: one bind function per area.
#include "bindings.h"

namespace nd::py_bind {

static void register_errors(py::module_& m) {
  // Module-local: pybind11 modules built with the same internals version (PyTorch's, say) share the
  // global translator list, and ours must neither see their exceptions nor depend on their translators.
  py::register_local_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const IndexError& e) {
      PyErr_SetString(PyExc_IndexError, e.what());
    } catch (const TypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const ValueError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
  (void)m;
}

}  // namespace nd::py_bind

PYBIND11_MODULE(_C, m) {
  using namespace nd::py_bind;
  m.doc() = "nativedl's C++ core";
  register_errors(m);
  bind_dtype(m);
  TensorClass cls(m, "Tensor", py::dynamic_attr(), py::buffer_protocol());
  bind_tensor(m, cls);
  bind_creation(m);
  bind_elementwise(m, cls);
  bind_view(m, cls);
  bind_reduction(m, cls);
  bind_linalg(m, cls);
  bind_autograd(m, cls);
  bind_interop(m, cls);
  bind_indexing(m, cls);
  bind_join(m, cls);
  bind_conv(m, cls);
  bind_nn(m, cls);
  bind_activation(m, cls);
  bind_optim(m);
  bind_rnn(m, cls);
  bind_machine(m);
}
