// Conversions between JS values and native views, and errors that carry a stable `code`.
#pragma once
#include <napi.h>

#include <string>
#include <vector>

#include "core/matrix_view.h"

namespace ascmh {

[[noreturn]] void throw_coded(Napi::Env env, const std::string& code, const std::string& message);
Napi::Error coded_error(Napi::Env env, const std::string& code, const std::string& message);

// { rows, cols, data: Float32Array | Float64Array }, validated against its length.
MatrixView matrix_arg(Napi::Env env, Napi::Value value, const char* name);
// { rows, cols, data: Uint8Array }.
const uint8_t* byte_matrix_arg(Napi::Env env, Napi::Value value, const char* name, int64_t* rows, int64_t* cols);
// A Uint8Array holding count codes of `bits` bits; returns it as 64-bit words (8-byte aligned).
const uint64_t* codes_arg(Napi::Env env, Napi::Value value, const char* name, int64_t count, int bits);

double number_option(Napi::Object options, const char* key, double fallback);

template <class T>
Napi::TypedArrayOf<T> copy_to_js(Napi::Env env, const std::vector<T>& values) {
  auto out = Napi::TypedArrayOf<T>::New(env, values.size());
  std::copy(values.begin(), values.end(), out.Data());
  return out;
}

}  // namespace ascmh
