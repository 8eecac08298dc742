// Autograd history of views written in place; see Note [In-place on views] in view.cpp.
#pragma once
#include "nativedl/tensor.h"

namespace nd::ops {

/// Whether an in-place write to this view can be recorded against its base.
bool view_history_rebasable(const Tensor& view);
/// After `result`'s values were written into `view`: the base's history becomes "old base
/// outside the view, result inside", and the view a fresh view of the new base.
void rebase_view_history(const Tensor& view, const Tensor& result);
/// If the base was written since this view's history was made, remakes it from the base.
void refresh_view_history(const Tensor& view);

}  // namespace nd::ops
