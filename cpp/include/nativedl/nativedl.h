// Umbrella header: everything an embedder needs.
#pragma once
#include "nativedl/autograd.h"
#include "nativedl/dtype.h"
#include "nativedl/errors.h"
#include "nativedl/ops.h"
#include "nativedl/optim.h"
#include "nativedl/runtime.h"
#include "nativedl/tensor.h"
