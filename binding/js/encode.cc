// Encoder: the hash function of one modality, held natively so each encode call pays no model
// conversion. encode reads the caller's rows in place (a synchronous call); encodeAsync never does
// (js/row_stream.h).
#include <napi.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <variant>

#include "core/codes.h"
#include "core/memory_limit.h"
#include "encoders/kernel_hash.h"
#include "js/args.h"
#include "js/job.h"
#include "js/row_stream.h"

namespace ascmh {
namespace {

using AnyHash = std::variant<std::shared_ptr<const HashFunction<double>>, std::shared_ptr<const HashFunction<float>>>;

// A typed array of element type T with exactly `length` finite values, copied.
template <class T>
std::vector<T> parameter_array(Napi::Env env, Napi::Value v, size_t length, const char* name) {
  constexpr napi_typedarray_type type = std::is_same<T, float>::value ? napi_float32_array : napi_float64_array;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    throw_coded(env, "ERR_ASCMH_MODEL_FORMAT",
                std::string(name) + " must be a " + (std::is_same<T, float>::value ? "Float32Array" : "Float64Array") +
                    " like the anchors");
  auto a = v.As<Napi::TypedArrayOf<T>>();
  if (a.ElementLength() != length)
    throw_coded(env, "ERR_ASCMH_MODEL_FORMAT", std::string(name) + " has " + std::to_string(a.ElementLength()) +
                                                   " values, " + std::to_string(length) + " expected");
  std::vector<T> out(a.Data(), a.Data() + length);
  for (const T x : out)
    if (!std::isfinite(x)) throw_coded(env, "ERR_ASCMH_MODEL_FORMAT", std::string(name) + " holds a non-finite value");
  return out;
}

template <class T>
std::shared_ptr<const HashFunction<T>> make_hash(Napi::Env env, Napi::Object spec, Napi::Value anchors) {
  auto h = std::make_shared<HashFunction<T>>();
  const char* code = "ERR_ASCMH_MODEL_FORMAT";
  h->bits = static_cast<int>(integer_option(env, spec, "bits", 0, code, 1, 65535));
  h->kernel.anchors = integer_option(env, spec, "count", 0, code, 1, 1 << 24);
  h->kernel.dim = integer_option(env, spec, "dim", 0, code, 1, 1 << 24);
  h->kernel.sigma = static_cast<T>(number_option(env, spec, "sigma", 0, code, 1e-300, 1e300));
  if (!(h->kernel.sigma > 0) || !std::isfinite(h->kernel.sigma))
    throw_coded(env, code, "sigma is out of range for this precision");
  const int64_t k = h->kernel.anchors, d = h->kernel.dim;
  require_memory(static_cast<double>(k) * (d + h->bits + 1) + static_cast<double>(h->bits) * h->bits + d, sizeof(T),
                 "the hash function");
  h->kernel.anchor_rows = parameter_array<T>(env, anchors, static_cast<size_t>(k * d), "anchors");
  h->kernel.mean = parameter_array<T>(env, spec.Get("mean"), static_cast<size_t>(k), "mean");
  h->W = parameter_array<T>(env, spec.Get("W"), static_cast<size_t>(k) * h->bits, "W");
  // The other kinds and settings (issue 13); absent means ASCMH's: mean-distance sigma, no input
  // centring, no rotation, bit where z >= 0.
  Napi::Value rule = spec.Get("sigmaRule");
  const std::string rule_name = rule.IsString() ? rule.As<Napi::String>().Utf8Value() : rule.IsUndefined() ? "mean-distance" : "";
  if (rule_name == "mean-squared-distance") h->kernel.rule = SigmaRule::mean_squared_distance;
  else if (rule_name != "mean-distance") throw_coded(env, code, "sigmaRule must be 'mean-distance' or 'mean-squared-distance'");
  Napi::Value input_mean = spec.Get("inputMean");
  if (!input_mean.IsUndefined())
    h->kernel.input_mean = parameter_array<T>(env, input_mean, static_cast<size_t>(d), "inputMean");
  Napi::Value rotation = spec.Get("rotation");
  if (!rotation.IsUndefined())
    h->rotation = parameter_array<T>(env, rotation, static_cast<size_t>(h->bits) * h->bits, "rotation");
  Napi::Value threshold = spec.Get("threshold");
  const std::string threshold_name =
      threshold.IsString() ? threshold.As<Napi::String>().Utf8Value() : threshold.IsUndefined() ? "nonnegative" : "";
  if (threshold_name == "positive") h->strict = true;
  else if (threshold_name != "nonnegative") throw_coded(env, code, "threshold must be 'nonnegative' or 'positive'");
  prepare_anchors(h->kernel);
  return h;
}

int hash_bits(const AnyHash& hash) {
  return std::visit([](const auto& h) { return h->bits; }, hash);
}
int64_t hash_dim(const AnyHash& hash) {
  return std::visit([](const auto& h) { return h->kernel.dim; }, hash);
}

class Encoder : public Napi::ObjectWrap<Encoder> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Encoder",
                       {InstanceMethod<&Encoder::Encode>("encode"), InstanceMethod<&Encoder::EncodeAsync>("encodeAsync"),
                        InstanceMethod<&Encoder::Project>("project"), InstanceMethod<&Encoder::ProjectAsync>("projectAsync")});
  }
  explicit Encoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Encoder>(info) {
    Napi::Env env = info.Env();
    Napi::Object spec = object_arg(env, info[0], "ERR_ASCMH_MODEL_FORMAT", "the hash function parameters");
    Napi::Value anchors = spec.Get("anchors");
    const napi_typedarray_type type =
        anchors.IsTypedArray() ? anchors.As<Napi::TypedArray>().TypedArrayType() : napi_int8_array;
    guarded(env, [&] {
      if (type == napi_float32_array)
        hash_ = make_hash<float>(env, spec, anchors);
      else if (type == napi_float64_array)
        hash_ = make_hash<double>(env, spec, anchors);
      else
        throw_coded(env, "ERR_ASCMH_MODEL_FORMAT", "anchors must be a Float32Array or Float64Array");
      return 0;
    });
  }

 private:
  // bytes_per_row: of the answer (codes or projections), checked against the memory limit.
  MatrixArg features(const Napi::CallbackInfo& info, double bytes_per_row, const char* answer) {
    Napi::Env env = info.Env();
    MatrixArg X = matrix_arg(env, info[0], "features");
    if (X.view.cols != hash_dim(hash_))
      throw_coded(env, "ERR_ASCMH_SHAPE", "features have " + std::to_string(X.view.cols) +
                                              " columns, the model expects " + std::to_string(hash_dim(hash_)));
    require_memory(static_cast<double>(X.view.rows), bytes_per_row, answer);
    return X;
  }
  MatrixArg features(const Napi::CallbackInfo& info) {
    return features(info, words_per_code(hash_bits(hash_)) * 8.0, "the codes");
  }
  double projection_row_bytes() const {
    return static_cast<double>(hash_bits(hash_)) * std::visit([](const auto& h) { return sizeof(h->W[0]); }, hash_);
  }

  Napi::Value Encode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      MatrixArg X = features(info);
      auto out = Napi::Uint8Array::New(env, static_cast<size_t>(X.view.rows) * words_per_code(hash_bits(hash_)) * 8);
      BorrowedRows rows(X.view);
      std::visit([&](const auto& h) { encode_rows(*h, rows, reinterpret_cast<uint64_t*>(out.Data()), nullptr); }, hash_);
      return out;
    });
  }

  Napi::Value EncodeAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      MatrixArg X = features(info);
      JobTicket ticket(env);
      std::shared_ptr<RowSource> rows = rows_for_job(env, X, ticket.token());
      AnyHash hash = hash_;
      const int words = words_per_code(hash_bits(hash_));
      return Job<std::vector<uint64_t>>::start(
          env, "ascmh:encode",
          [hash, rows, words](const CancelToken& cancel) {
            std::vector<uint64_t> codes(static_cast<size_t>(rows->rows()) * words);
            std::visit([&](const auto& h) { encode_rows(*h, *rows, codes.data(), &cancel); }, hash);
            return codes;
          },
          [](Napi::Env env, std::vector<uint64_t>& codes) -> Napi::Value {
            const size_t bytes = codes.size() * 8;
            return Napi::Uint8Array::New(env, bytes, move_to_js(env, std::move(codes)).ArrayBuffer(), 0);
          },
          ticket);
    });
  }

  // The real-valued projections before the sign: rows x bits, of the model's precision.
  Napi::Value Project(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      MatrixArg X = features(info, projection_row_bytes(), "the projections");
      BorrowedRows rows(X.view);
      return std::visit(
          [&](const auto& h) -> Napi::Value {
            using T = typename std::decay_t<decltype(*h)>::Scalar;
            auto out = Napi::TypedArrayOf<T>::New(env, static_cast<size_t>(X.view.rows) * h->bits);
            project_rows(*h, rows, out.Data(), nullptr);
            return out;
          },
          hash_);
    });
  }

  Napi::Value ProjectAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      MatrixArg X = features(info, projection_row_bytes(), "the projections");
      JobTicket ticket(env);
      std::shared_ptr<RowSource> rows = rows_for_job(env, X, ticket.token());
      return std::visit(
          [&](const auto& h) -> Napi::Value {
            using T = typename std::decay_t<decltype(*h)>::Scalar;
            auto hash = h;
            return Job<std::vector<T>>::start(
                env, "ascmh:project",
                [hash, rows](const CancelToken& cancel) {
                  std::vector<T> z(static_cast<size_t>(rows->rows()) * hash->bits);
                  project_rows(*hash, *rows, z.data(), &cancel);
                  return z;
                },
                [](Napi::Env env, std::vector<T>& z) -> Napi::Value { return move_to_js(env, std::move(z)); }, ticket);
          },
          hash_);
    });
  }

  AnyHash hash_;
};

}  // namespace

void InitEncode(Napi::Env env, Napi::Object exports) { exports.Set("Encoder", Encoder::Define(env)); }

}  // namespace ascmh
