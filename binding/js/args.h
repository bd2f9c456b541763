// Arguments from JS, checked before native code uses them. Each property is read once (a getter
// may answer differently each time), every count is an exact integer in range before it becomes
// a size or an index, and lengths are compared with what the typed arrays really hold.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/buffer_pool.h"
#include "core/matrix_view.h"
#include "js/errors.h"

namespace ascmh {

constexpr double kMaxSafeInteger = 9007199254740991.0;

Napi::Object object_arg(Napi::Env env, Napi::Value value, const char* code, const std::string& what);

// A Number holding an integer in [lo, hi]; anything else throws `code`.
int64_t integer_arg(Napi::Env env, Napi::Value value, const char* code, const std::string& what, double lo, double hi);
// A finite Number in [lo, hi].
double number_arg(Napi::Env env, Napi::Value value, const char* code, const std::string& what, double lo, double hi);
// Property `key` of `o` as above, or `fallback` when it is undefined.
int64_t integer_option(Napi::Env env, Napi::Object o, const char* key, int64_t fallback, const char* code, double lo,
                       double hi);
double number_option(Napi::Env env, Napi::Object o, const char* key, double fallback, const char* code, double lo,
                     double hi);

// A non-empty string without NUL bytes (a NUL would silently cut the path in the C library).
std::string path_arg(Napi::Env env, Napi::Value value, const std::string& what);

// { rows, cols, data: Float32Array | Float64Array }. The view borrows the array's memory: it is
// valid only during the current call on the JS thread. `array` is the typed array the view reads.
struct MatrixArg {
  MatrixView view;
  Napi::TypedArray array;
};
MatrixArg matrix_arg(Napi::Env env, Napi::Value value, const char* name);

// { rows, cols, data: Uint8Array }, copied.
struct ByteMatrix {
  int64_t rows = 0, cols = 0;
  std::vector<uint8_t> data;
};
ByteMatrix byte_matrix_arg(Napi::Env env, Napi::Value value, const char* name);

// count packed codes of `bits` bits from a Uint8Array of any alignment, copied into 64-bit words
// with the bits above `bits` cleared, so no distance can exceed `bits`.
std::vector<uint64_t> codes_arg(Napi::Env env, Napi::Value value, const char* name, int64_t count, int bits);

template <class T>
Napi::TypedArrayOf<T> copy_to_js(Napi::Env env, const std::vector<T>& values) {
  auto out = Napi::TypedArrayOf<T>::New(env, values.size());
  std::copy(values.begin(), values.end(), out.Data());
  return out;
}

// The vector's memory handed to JS as the typed array's buffer: no copy, and no fresh zeroed
// pages (a V8 buffer of megabytes costs milliseconds of first-touch page faults on the JS thread).
template <class T>
Napi::TypedArrayOf<T> move_to_js(Napi::Env env, std::vector<T>&& values) {
  if (values.empty()) return Napi::TypedArrayOf<T>::New(env, 0);
  auto* owned = new std::vector<T>(std::move(values));
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, owned->data(), owned->size() * sizeof(T),
                                                    [](Napi::Env, void*, std::vector<T>* v) { delete v; }, owned);
  return Napi::TypedArrayOf<T>::New(env, owned->size(), buffer, 0);
}

// move_to_js for large vectors, a copy for small ones (a finalizer per tiny answer costs more).
template <class T>
Napi::TypedArrayOf<T> give_to_js(Napi::Env env, std::vector<T>&& values) {
  if (values.size() * sizeof(T) < (size_t(64) << 10)) return copy_to_js(env, values);
  return move_to_js(env, std::move(values));
}

// A pooled array handed to JS: small ones are copied, large ones become the buffer itself and
// return to the pool (core/buffer_pool.h) when JS collects them.
template <class T>
Napi::TypedArrayOf<T> give_to_js(Napi::Env env, PooledArray<T>&& values) {
  const size_t n = values.size();
  if (n * sizeof(T) < (size_t(64) << 10)) {
    auto out = Napi::TypedArrayOf<T>::New(env, n);
    std::copy(values.data(), values.data() + n, out.Data());
    values.reset();
    return out;
  }
  auto* block = new PoolBlock(values.release());
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(
      env, block->data, n * sizeof(T),
      [](Napi::Env, void*, PoolBlock* b) {
        release_block(*b);
        delete b;
      },
      block);
  return Napi::TypedArrayOf<T>::New(env, n, buffer, 0);
}

}  // namespace ascmh
