// The C++ optimizers as nativedl._C._optim: each class with its options struct; the
// PyTorch-style classes in nativedl/optim/ wrap them (parameter groups as dicts, state_dict).
#include "bindings.h"
#include "nativedl/optim.h"

namespace nd::py_bind {

namespace {

using namespace nd::optim;

// Binds Options with a default constructor and read/write fields named as PyTorch's arguments.
template <typename Options, typename... Fields>
void bind_options(py::module_& m, const char* name, const std::pair<const char*, Fields Options::*>&... fields) {
  py::class_<Options> cls(m, name);
  cls.def(py::init<>());
  (cls.def_readwrite(fields.first, fields.second), ...);
}

template <typename M> std::pair<const char*, M> field(const char* name, M member) { return {name, member}; }

template <typename Cls>
void bind_optimizer(py::module_& m, const char* name) {
  using Options = std::decay_t<decltype(std::declval<Cls>().options(0))>;
  using WithOptions = OptimizerWithOptions<Options>;
  py::class_<Cls, Optimizer>(m, name)
      .def(py::init<>())
      .def("add_param_group", static_cast<void (WithOptions::*)(const TensorList&, const Options&)>(
                                  &WithOptions::add_param_group),
           py::arg("params"), py::arg("options"))
      .def("set_options", &WithOptions::set_options, py::arg("options"))
      .def("options", &WithOptions::options, py::arg("group"));
}

}  // namespace

void bind_optim(py::module_& parent) {
  py::module_ m = parent.def_submodule("_optim", "C++ optimizers behind nativedl.optim");
  bind_options<SGDOptions>(m, "SGDOptions", field("lr", &SGDOptions::lr), field("momentum", &SGDOptions::momentum),
                           field("dampening", &SGDOptions::dampening), field("weight_decay", &SGDOptions::weight_decay),
                           field("nesterov", &SGDOptions::nesterov), field("maximize", &SGDOptions::maximize));
  bind_options<AdagradOptions>(m, "AdagradOptions", field("lr", &AdagradOptions::lr),
                               field("lr_decay", &AdagradOptions::lr_decay),
                               field("weight_decay", &AdagradOptions::weight_decay),
                               field("initial_accumulator_value", &AdagradOptions::initial_accumulator_value),
                               field("eps", &AdagradOptions::eps), field("maximize", &AdagradOptions::maximize));
  bind_options<AdadeltaOptions>(m, "AdadeltaOptions", field("lr", &AdadeltaOptions::lr), field("rho", &AdadeltaOptions::rho),
                                field("eps", &AdadeltaOptions::eps), field("weight_decay", &AdadeltaOptions::weight_decay),
                                field("maximize", &AdadeltaOptions::maximize));
  bind_options<RMSpropOptions>(m, "RMSpropOptions", field("lr", &RMSpropOptions::lr), field("alpha", &RMSpropOptions::alpha),
                               field("eps", &RMSpropOptions::eps), field("weight_decay", &RMSpropOptions::weight_decay),
                               field("momentum", &RMSpropOptions::momentum), field("centered", &RMSpropOptions::centered),
                               field("maximize", &RMSpropOptions::maximize));
  bind_options<AdamOptions>(m, "AdamOptions", field("lr", &AdamOptions::lr), field("betas", &AdamOptions::betas),
                            field("eps", &AdamOptions::eps), field("weight_decay", &AdamOptions::weight_decay),
                            field("amsgrad", &AdamOptions::amsgrad), field("maximize", &AdamOptions::maximize));
  bind_options<AdamaxOptions>(m, "AdamaxOptions", field("lr", &AdamaxOptions::lr), field("betas", &AdamaxOptions::betas),
                              field("eps", &AdamaxOptions::eps), field("weight_decay", &AdamaxOptions::weight_decay),
                              field("maximize", &AdamaxOptions::maximize));
  bind_options<NAdamOptions>(m, "NAdamOptions", field("lr", &NAdamOptions::lr), field("betas", &NAdamOptions::betas),
                             field("eps", &NAdamOptions::eps), field("weight_decay", &NAdamOptions::weight_decay),
                             field("momentum_decay", &NAdamOptions::momentum_decay),
                             field("decoupled_weight_decay", &NAdamOptions::decoupled_weight_decay),
                             field("maximize", &NAdamOptions::maximize));
  bind_options<RAdamOptions>(m, "RAdamOptions", field("lr", &RAdamOptions::lr), field("betas", &RAdamOptions::betas),
                             field("eps", &RAdamOptions::eps), field("weight_decay", &RAdamOptions::weight_decay),
                             field("decoupled_weight_decay", &RAdamOptions::decoupled_weight_decay),
                             field("maximize", &RAdamOptions::maximize));

  py::class_<Optimizer>(m, "Optimizer")
      .def_property_readonly("name", &Optimizer::name)
      .def("step", &Optimizer::step, py::call_guard<py::gil_scoped_release>())
      .def("zero_grad", &Optimizer::zero_grad, py::arg("set_to_none") = true)
      .def("state", [](const Optimizer& o, const Tensor& p) {
        py::dict d;
        for (const auto& [k, v] : o.state(p)) d[py::str(k)] = wrap(v);
        return d;
      }, py::arg("param"))
      .def("load_state", &Optimizer::load_state, py::arg("states"));
  bind_optimizer<SGD>(m, "SGD");
  bind_optimizer<Adagrad>(m, "Adagrad");
  bind_optimizer<Adadelta>(m, "Adadelta");
  bind_optimizer<RMSprop>(m, "RMSprop");
  bind_optimizer<Adam>(m, "Adam");
  bind_optimizer<AdamW>(m, "AdamW");
  bind_optimizer<Adamax>(m, "Adamax");
  bind_optimizer<NAdam>(m, "NAdam");
  bind_optimizer<RAdam>(m, "RAdam");
}

}  // namespace nd::py_bind
