// Every op as a free function, one header per family.
#pragma once
#include "nativedl/ops/activation.h"
#include "nativedl/ops/conv.h"
#include "nativedl/ops/dropout.h"
#include "nativedl/ops/elementwise.h"
#include "nativedl/ops/indexing.h"
#include "nativedl/ops/join.h"
#include "nativedl/ops/linalg.h"
#include "nativedl/ops/normalization.h"
#include "nativedl/ops/pooling.h"
#include "nativedl/ops/reduction.h"
#include "nativedl/ops/resample.h"
#include "nativedl/ops/view.h"
