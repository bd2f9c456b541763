#include "js/args.h"

#include <cmath>
#include <cstring>

#include "core/codes.h"
#include "core/memory_limit.h"

namespace ascmh {

Napi::Object object_arg(Napi::Env env, Napi::Value value, const char* code, const std::string& what) {
  if (!value.IsObject()) throw_coded(env, code, what + " must be an object");
  return value.As<Napi::Object>();
}

namespace {
std::string bound(double v) {
  if (v >= kMaxSafeInteger) return "2^53 - 1";
  if (v <= -kMaxSafeInteger) return "-(2^53 - 1)";
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}
}  // namespace

int64_t integer_arg(Napi::Env env, Napi::Value value, const char* code, const std::string& what, double lo, double hi) {
  if (!value.IsNumber()) throw_coded(env, code, what + " must be an integer");
  const double d = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < lo || d > hi)
    throw_coded(env, code, what + " must be an integer in [" + bound(lo) + ", " + bound(hi) + "]");
  return static_cast<int64_t>(d);
}

double number_arg(Napi::Env env, Napi::Value value, const char* code, const std::string& what, double lo, double hi) {
  if (!value.IsNumber()) throw_coded(env, code, what + " must be a number");
  const double d = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d < lo || d > hi)
    throw_coded(env, code, what + " must be a finite number in [" + bound(lo) + ", " + bound(hi) + "]");
  return d;
}

int64_t integer_option(Napi::Env env, Napi::Object o, const char* key, int64_t fallback, const char* code, double lo,
                       double hi) {
  Napi::Value v = o.Get(key);
  return v.IsUndefined() ? fallback : integer_arg(env, v, code, key, lo, hi);
}

double number_option(Napi::Env env, Napi::Object o, const char* key, double fallback, const char* code, double lo,
                     double hi) {
  Napi::Value v = o.Get(key);
  return v.IsUndefined() ? fallback : number_arg(env, v, code, key, lo, hi);
}

std::string path_arg(Napi::Env env, Napi::Value value, const std::string& what) {
  if (!value.IsString()) throw_coded(env, "ERR_ASCMH_PATH", what + " must be a string");
  std::string path = value.As<Napi::String>().Utf8Value();
  if (path.empty()) throw_coded(env, "ERR_ASCMH_PATH", what + " must not be empty");
  if (path.find('\0') != std::string::npos) throw_coded(env, "ERR_ASCMH_PATH", what + " contains a NUL byte");
  return path;
}

namespace {

// rows and cols of a matrix object, and rows * cols, exact.
void dimensions(Napi::Env env, Napi::Object m, const char* name, int64_t* rows, int64_t* cols) {
  const std::string n(name);
  *rows = integer_arg(env, m.Get("rows"), "ERR_ASCMH_NOT_MATRIX", n + ".rows", 0, kMaxSafeInteger);
  *cols = integer_arg(env, m.Get("cols"), "ERR_ASCMH_NOT_MATRIX", n + ".cols", 0, kMaxSafeInteger);
  if (static_cast<double>(*rows) * static_cast<double>(*cols) > kMaxSafeInteger)
    throw_coded(env, "ERR_ASCMH_SHAPE", n + ": rows * cols is too large");
}

}  // namespace

MatrixArg matrix_arg(Napi::Env env, Napi::Value value, const char* name) {
  Napi::Object m = object_arg(env, value, "ERR_ASCMH_NOT_MATRIX", name);
  MatrixArg out;
  dimensions(env, m, name, &out.view.rows, &out.view.cols);
  Napi::Value data = m.Get("data");
  const std::string dtype_error = std::string(name) + ".data must be a Float32Array or Float64Array";
  if (!data.IsTypedArray()) throw_coded(env, "ERR_ASCMH_DTYPE", dtype_error);
  out.array = data.As<Napi::TypedArray>();
  const napi_typedarray_type type = out.array.TypedArrayType();
  if (type == napi_float32_array) {
    out.view.is_float32 = true;
    out.view.data = out.array.As<Napi::Float32Array>().Data();
  } else if (type == napi_float64_array) {
    out.view.data = out.array.As<Napi::Float64Array>().Data();
  } else {
    throw_coded(env, "ERR_ASCMH_DTYPE", dtype_error);
  }
  const int64_t expected = out.view.rows * out.view.cols;
  if (static_cast<int64_t>(out.array.ElementLength()) != expected)
    throw_coded(env, "ERR_ASCMH_SHAPE", std::string(name) + ".data has " + std::to_string(out.array.ElementLength()) +
                                            " elements, expected rows * cols = " + std::to_string(expected));
  if (expected == 0) out.view.data = nullptr;
  return out;
}

ByteMatrix byte_matrix_arg(Napi::Env env, Napi::Value value, const char* name) {
  Napi::Object m = object_arg(env, value, "ERR_ASCMH_NOT_MATRIX", name);
  ByteMatrix out;
  dimensions(env, m, name, &out.rows, &out.cols);
  Napi::Value data = m.Get("data");
  if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw_coded(env, "ERR_ASCMH_DTYPE", std::string(name) + ".data must be a Uint8Array");
  auto bytes = data.As<Napi::Uint8Array>();
  if (static_cast<int64_t>(bytes.ElementLength()) != out.rows * out.cols)
    throw_coded(env, "ERR_ASCMH_SHAPE", std::string(name) + ".data length does not equal rows * cols");
  out.data.assign(bytes.Data(), bytes.Data() + bytes.ElementLength());
  return out;
}

std::vector<uint64_t> codes_arg(Napi::Env env, Napi::Value value, const char* name, int64_t count, int bits) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw_coded(env, "ERR_ASCMH_DTYPE", std::string(name) + " must be a Uint8Array of packed codes");
  if (bits < 1) throw_coded(env, "ERR_ASCMH_BITS", "bits must be positive");
  auto bytes = value.As<Napi::Uint8Array>();
  const int words = words_per_code(bits);
  const double needed = static_cast<double>(count) * words * 8;
  if (static_cast<double>(bytes.ByteLength()) < needed)
    throw_coded(env, "ERR_ASCMH_CODES_LENGTH", std::string(name) + " holds " + std::to_string(bytes.ByteLength()) +
                                                   " bytes, " + std::to_string(static_cast<int64_t>(needed)) +
                                                   " needed");
  std::vector<uint64_t> out(static_cast<size_t>(count) * words);
  if (!out.empty()) std::memcpy(out.data(), bytes.Data(), out.size() * 8);
  clear_padding_bits(out.data(), count, bits);
  return out;
}

}  // namespace ascmh
