// Encoder: the hash function of one modality, held natively so each encode call borrows the
// input zero-copy and pays no model conversion.
#include <napi.h>

#include <memory>
#include <variant>

#include "core/codes.h"
#include "encoders/kernel_hash.h"
#include "js/js_util.h"
#include "linalg/linalg.h"

namespace ascmh {
namespace {

using AnyHash = std::variant<std::shared_ptr<HashFunction<double>>, std::shared_ptr<HashFunction<float>>>;

template <class T, class Array>
std::shared_ptr<HashFunction<T>> make_hash(Napi::Env env, Napi::Object spec) {
  auto h = std::make_shared<HashFunction<T>>();
  auto anchors = spec.Get("anchors").As<Array>();
  auto mean = spec.Get("mean").As<Array>();
  auto W = spec.Get("W").As<Array>();
  h->bits = static_cast<int>(number_option(spec, "bits", 0));
  h->kernel.anchors = static_cast<int64_t>(number_option(spec, "count", 0));
  h->kernel.dim = static_cast<int64_t>(number_option(spec, "dim", 0));
  h->kernel.sigma = static_cast<T>(number_option(spec, "sigma", 0));
  const int64_t k = h->kernel.anchors, d = h->kernel.dim;
  if (h->bits < 1 || k < 1 || d < 1 || !(h->kernel.sigma > 0) || static_cast<int64_t>(anchors.ElementLength()) != k * d ||
      static_cast<int64_t>(mean.ElementLength()) != k || static_cast<int64_t>(W.ElementLength()) != k * h->bits)
    throw_coded(env, "ERR_ASCMH_MODEL_FORMAT", "hash function parameters have inconsistent sizes");
  h->kernel.anchor_rows.assign(anchors.Data(), anchors.Data() + k * d);
  h->kernel.mean.assign(mean.Data(), mean.Data() + k);
  h->W.assign(W.Data(), W.Data() + k * h->bits);
  prepare_anchors(h->kernel);
  return h;
}

void run_encode(const AnyHash& hash, const MatrixView& X, uint64_t* out) {
  std::visit([&](const auto& h) { encode_rows(*h, X, out); }, hash);
}

int hash_bits(const AnyHash& hash) {
  return std::visit([](const auto& h) { return h->bits; }, hash);
}
int64_t hash_dim(const AnyHash& hash) {
  return std::visit([](const auto& h) { return h->kernel.dim; }, hash);
}

class EncodeWorker : public Napi::AsyncWorker {
 public:
  EncodeWorker(Napi::Env env, AnyHash hash, MatrixView X, Napi::Value keep, Napi::Uint8Array out)
      : Napi::AsyncWorker(env, "ascmh:encode"),
        deferred_(Napi::Promise::Deferred::New(env)),
        hash_(std::move(hash)),
        X_(X),
        keep_(Napi::Persistent(keep)),
        out_ref_(Napi::Persistent(out)),
        out_(reinterpret_cast<uint64_t*>(out.Data())) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      run_encode(hash_, X_, out_);
    } catch (const LinalgError& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(out_ref_.Value()); }
  void OnError(const Napi::Error& e) override {
    deferred_.Reject(coded_error(Env(), "ERR_ASCMH_LAPACK", e.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  AnyHash hash_;
  MatrixView X_;
  Napi::Reference<Napi::Value> keep_;
  Napi::Reference<Napi::Uint8Array> out_ref_;
  uint64_t* out_;
};

class Encoder : public Napi::ObjectWrap<Encoder> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Encoder",
                       {InstanceMethod<&Encoder::Encode>("encode"), InstanceMethod<&Encoder::EncodeAsync>("encodeAsync")});
  }
  explicit Encoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Encoder>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) throw_coded(env, "ERR_ASCMH_MODEL_FORMAT", "Encoder needs a parameter object");
    Napi::Object spec = info[0].As<Napi::Object>();
    Napi::Value anchors = spec.Get("anchors");
    const bool f32 = anchors.IsTypedArray() && anchors.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array;
    if (f32)
      hash_ = make_hash<float, Napi::Float32Array>(env, spec);
    else if (anchors.IsTypedArray() && anchors.As<Napi::TypedArray>().TypedArrayType() == napi_float64_array)
      hash_ = make_hash<double, Napi::Float64Array>(env, spec);
    else
      throw_coded(env, "ERR_ASCMH_MODEL_FORMAT", "anchors must be a Float32Array or Float64Array");
  }

 private:
  Napi::Uint8Array prepare(const Napi::CallbackInfo& info, MatrixView* X) {
    Napi::Env env = info.Env();
    *X = matrix_arg(env, info[0], "features");
    if (X->cols != hash_dim(hash_))
      throw_coded(env, "ERR_ASCMH_SHAPE", "features have " + std::to_string(X->cols) + " columns, the model expects " +
                                              std::to_string(hash_dim(hash_)));
    return Napi::Uint8Array::New(env, static_cast<size_t>(X->rows * words_per_code(hash_bits(hash_)) * 8));
  }
  Napi::Value Encode(const Napi::CallbackInfo& info) {
    MatrixView X;
    Napi::Uint8Array out = prepare(info, &X);
    try {
      run_encode(hash_, X, reinterpret_cast<uint64_t*>(out.Data()));
    } catch (const LinalgError& e) {
      throw_coded(info.Env(), e.code(), e.what());
    }
    return out;
  }
  Napi::Value EncodeAsync(const Napi::CallbackInfo& info) {
    MatrixView X;
    Napi::Uint8Array out = prepare(info, &X);
    auto* worker = new EncodeWorker(info.Env(), hash_, X, info[0].As<Napi::Object>().Get("data"), out);
    Napi::Promise promise = worker->promise();
    worker->Queue();
    return promise;
  }

  AnyHash hash_;
};

}  // namespace

void InitEncode(Napi::Env env, Napi::Object exports) { exports.Set("Encoder", Encoder::Define(env)); }

}  // namespace ascmh
