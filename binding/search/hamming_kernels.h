// Transitional: the kernels moved to search/kernels.h and the collector to search/topk.h.
#pragma once
#include "search/kernels.h"
#include "search/topk.h"
