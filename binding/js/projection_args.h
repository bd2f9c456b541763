// Real-valued query projections from JS ({ rows, cols, data: Float32Array | Float64Array }, cols =
// bits), checked and copied as doubles: every value finite, and each row's sum of |values| small
// enough that its single-precision scores (search/asymmetric.h) cannot overflow.
#pragma once
#include <napi.h>

#include <cstdint>
#include <vector>

namespace ascmh {

constexpr double kMaxProjectionSum = 1e37;

std::vector<double> projections_arg(Napi::Env env, Napi::Value value, const char* name, int bits, int64_t* rows);

}  // namespace ascmh
