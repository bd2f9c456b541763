#include "js/js_util.h"

#include <cstdint>

namespace ascmh {

Napi::Error coded_error(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

void throw_coded(Napi::Env env, const std::string& code, const std::string& message) {
  throw coded_error(env, code, message);
}

namespace {

Napi::Object object_arg(Napi::Env env, Napi::Value value, const char* name) {
  if (!value.IsObject()) throw_coded(env, "ERR_ASCMH_NOT_MATRIX", std::string(name) + " must be a matrix object");
  return value.As<Napi::Object>();
}

int64_t dimension(Napi::Env env, Napi::Object m, const char* key, const char* name) {
  Napi::Value v = m.Get(key);
  if (!v.IsNumber()) throw_coded(env, "ERR_ASCMH_NOT_MATRIX", std::string(name) + "." + key + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != static_cast<double>(static_cast<int64_t>(d)) || d > 9e15)
    throw_coded(env, "ERR_ASCMH_NOT_MATRIX", std::string(name) + "." + key + " must be a non-negative integer");
  return static_cast<int64_t>(d);
}

}  // namespace

MatrixView matrix_arg(Napi::Env env, Napi::Value value, const char* name) {
  Napi::Object m = object_arg(env, value, name);
  MatrixView view;
  view.rows = dimension(env, m, "rows", name);
  view.cols = dimension(env, m, "cols", name);
  Napi::Value data = m.Get("data");
  if (!data.IsTypedArray()) throw_coded(env, "ERR_ASCMH_DTYPE", std::string(name) + ".data must be a Float32Array or Float64Array");
  auto typed = data.As<Napi::TypedArray>();
  if (typed.TypedArrayType() == napi_float32_array) {
    view.is_float32 = true;
    view.data = typed.As<Napi::Float32Array>().Data();
  } else if (typed.TypedArrayType() == napi_float64_array) {
    view.data = typed.As<Napi::Float64Array>().Data();
  } else {
    throw_coded(env, "ERR_ASCMH_DTYPE", std::string(name) + ".data must be a Float32Array or Float64Array");
  }
  if (static_cast<int64_t>(typed.ElementLength()) != view.rows * view.cols)
    throw_coded(env, "ERR_ASCMH_SHAPE", std::string(name) + ".data has " + std::to_string(typed.ElementLength()) +
                                            " elements, expected rows * cols = " + std::to_string(view.rows * view.cols));
  return view;
}

const uint8_t* byte_matrix_arg(Napi::Env env, Napi::Value value, const char* name, int64_t* rows, int64_t* cols) {
  Napi::Object m = object_arg(env, value, name);
  *rows = dimension(env, m, "rows", name);
  *cols = dimension(env, m, "cols", name);
  Napi::Value data = m.Get("data");
  if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw_coded(env, "ERR_ASCMH_DTYPE", std::string(name) + ".data must be a Uint8Array");
  auto bytes = data.As<Napi::Uint8Array>();
  if (static_cast<int64_t>(bytes.ElementLength()) != *rows * *cols)
    throw_coded(env, "ERR_ASCMH_SHAPE", std::string(name) + ".data length does not equal rows * cols");
  return bytes.Data();
}

const uint64_t* codes_arg(Napi::Env env, Napi::Value value, const char* name, int64_t count, int bits) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw_coded(env, "ERR_ASCMH_DTYPE", std::string(name) + " must be a Uint8Array of packed codes");
  auto bytes = value.As<Napi::Uint8Array>();
  const int64_t needed = count * ((bits + 63) / 64) * 8;
  if (static_cast<int64_t>(bytes.ByteLength()) < needed)
    throw_coded(env, "ERR_ASCMH_CODES_LENGTH", std::string(name) + " holds " + std::to_string(bytes.ByteLength()) +
                                                   " bytes, " + std::to_string(needed) + " needed");
  if (reinterpret_cast<uintptr_t>(bytes.Data()) % 8 != 0)
    throw_coded(env, "ERR_ASCMH_ALIGNMENT", std::string(name) + " must start at a multiple of 8 bytes in its buffer");
  return reinterpret_cast<const uint64_t*>(bytes.Data());
}

double number_option(Napi::Object options, const char* key, double fallback) {
  Napi::Value v = options.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
}

}  // namespace ascmh
