// The parameters of an MLP hash function (encoders/mlp_hash.h) from JS, every size and value
// checked: { dim, hidden, bits, inputMean, inputScale, W1, b1, W2, b2 }, the arrays all Float64Array
// or all Float32Array (the model's precision), of exactly the lengths the sizes imply, finite.
#pragma once
#include <napi.h>

#include <memory>
#include <variant>

#include "encoders/mlp_hash.h"

namespace ascmh {

using AnyMlp = std::variant<std::shared_ptr<const MlpHash<double>>, std::shared_ptr<const MlpHash<float>>>;

// `code` is the error code of a bad parameter (ERR_ASCMH_MODEL_FORMAT for model files).
AnyMlp mlp_arg(Napi::Env env, Napi::Value spec, const char* code);

// An MLP's parameters as the JS object mlp_arg reads (the vectors are moved out).
template <class T>
Napi::Object mlp_to_js(Napi::Env env, MlpHash<T>&& net);

}  // namespace ascmh
