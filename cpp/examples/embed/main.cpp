// Embedding nativedl without Python: create tensors, run ops, back-propagate, print a gradient.
#include <cstdio>

#include "nativedl/nativedl.h"

int main() {
  nd::manual_seed(0);
  nd::Tensor w = nd::from_vector<float>({0.5f, -1.0f, 2.0f}, {3}, /*requires_grad=*/true);
  nd::Tensor x = nd::ones({4, 3});
  // loss = sum(tanh(x * w)^2): d/dw_j = sum_i 2 tanh(w_j) (1 - tanh(w_j)^2) for x = 1
  nd::Tensor loss = nd::sum(nd::square(nd::tanh(x * w)));
  loss.backward();
  const float* g = w.grad().data<float>();
  std::printf("nativedl %s (%s kernels)\n", nd::version(), nd::cpu_isa());
  std::printf("loss = %.6f\n", loss.item<double>());
  std::printf("grad = [%.6f, %.6f, %.6f]\n", g[0], g[1], g[2]);
  return 0;
}
