#include "js/mlp_args.h"

#include <cmath>

#include "core/memory_limit.h"
#include "js/args.h"

namespace ascmh {
namespace {

template <class T>
std::vector<T> parameter(Napi::Env env, Napi::Object spec, const char* key, size_t length, const char* code) {
  constexpr napi_typedarray_type type = std::is_same<T, float>::value ? napi_float32_array : napi_float64_array;
  Napi::Value v = spec.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    throw_coded(env, code, std::string(key) + " must be a " + (std::is_same<T, float>::value ? "Float32Array" : "Float64Array") +
                               " like W1");
  auto a = v.As<Napi::TypedArrayOf<T>>();
  if (a.ElementLength() != length)
    throw_coded(env, code, std::string(key) + " has " + std::to_string(a.ElementLength()) + " values, " +
                               std::to_string(length) + " expected");
  std::vector<T> out(a.Data(), a.Data() + length);
  for (const T x : out)
    if (!std::isfinite(x)) throw_coded(env, code, std::string(key) + " holds a non-finite value");
  return out;
}

template <class T>
std::shared_ptr<const MlpHash<T>> make(Napi::Env env, Napi::Object spec, const char* code) {
  auto net = std::make_shared<MlpHash<T>>();
  net->dim = integer_option(env, spec, "dim", 0, code, 1, 1 << 24);
  net->hidden = static_cast<int>(integer_option(env, spec, "hidden", 0, code, 1, 1 << 16));
  net->bits = static_cast<int>(integer_option(env, spec, "bits", 0, code, 1, 1024));
  const double d = static_cast<double>(net->dim), h = net->hidden, r = net->bits;
  require_memory(d * h + h * r + 2 * d + h + r, sizeof(T), "the hash network");
  net->mean = parameter<T>(env, spec, "inputMean", static_cast<size_t>(net->dim), code);
  net->scale = parameter<T>(env, spec, "inputScale", static_cast<size_t>(net->dim), code);
  net->W1 = parameter<T>(env, spec, "W1", static_cast<size_t>(net->dim) * net->hidden, code);
  net->b1 = parameter<T>(env, spec, "b1", static_cast<size_t>(net->hidden), code);
  net->W2 = parameter<T>(env, spec, "W2", static_cast<size_t>(net->hidden) * net->bits, code);
  net->b2 = parameter<T>(env, spec, "b2", static_cast<size_t>(net->bits), code);
  return net;
}

}  // namespace

AnyMlp mlp_arg(Napi::Env env, Napi::Value value, const char* code) {
  Napi::Object spec = object_arg(env, value, code, "the hash network parameters");
  Napi::Value w1 = spec.Get("W1");
  const napi_typedarray_type type = w1.IsTypedArray() ? w1.As<Napi::TypedArray>().TypedArrayType() : napi_int8_array;
  return guarded(env, [&]() -> AnyMlp {
    if (type == napi_float32_array) return make<float>(env, spec, code);
    if (type == napi_float64_array) return make<double>(env, spec, code);
    throw_coded(env, code, "W1 must be a Float32Array or Float64Array");
  });
}

template <class T>
Napi::Object mlp_to_js(Napi::Env env, MlpHash<T>&& net) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("dim", static_cast<double>(net.dim));
  o.Set("hidden", net.hidden);
  o.Set("inputMean", move_to_js(env, std::move(net.mean)));
  o.Set("inputScale", move_to_js(env, std::move(net.scale)));
  o.Set("W1", move_to_js(env, std::move(net.W1)));
  o.Set("b1", move_to_js(env, std::move(net.b1)));
  o.Set("W2", move_to_js(env, std::move(net.W2)));
  o.Set("b2", move_to_js(env, std::move(net.b2)));
  return o;
}

template Napi::Object mlp_to_js<double>(Napi::Env, MlpHash<double>&&);
template Napi::Object mlp_to_js<float>(Napi::Env, MlpHash<float>&&);

}  // namespace ascmh
