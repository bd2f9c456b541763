// fitBatch() / fitScratch(): the other methods' training runs, with the glue pattern of fit()
// (js/train.cc): the whole run on a libuv thread, one Promise, progress per iteration, a cancel
// function; the worker never reads JS memory (labels and injected draws are copied here, the
// features come through js/row_stream.h); every argument is read once and checked.
#include <napi.h>

#include <cmath>
#include <functional>
#include <memory>

#include "core/codes.h"
#include "core/memory_limit.h"
#include "encoders/kernel_hash.h"
#include "js/args.h"
#include "js/fit_worker.h"
#include "js/job.h"
#include "js/row_stream.h"
#include "train/batch.h"
#include "train/csmh.h"
#include "train/scratch.h"

namespace ascmh {
namespace {

struct Inputs {
  std::unique_ptr<RowSource> image, text;
  ByteMatrix labels;
  InjectedDraws injected;
};

template <class T>
using Runner = std::function<MethodResult<T>(Inputs&, const MethodProgress&, const CancelToken*)>;

const char* rule_name(SigmaRule rule) {
  return rule == SigmaRule::mean_squared_distance ? "mean-squared-distance" : "mean-distance";
}

template <class T>
class MethodWorker : public FitWorker<MethodReport> {
 public:
  MethodWorker(Napi::Env env, const char* name, Inputs inputs, Runner<T> run, int bits, int iterations,
               bool keep_latent, Napi::Function on_progress, std::shared_ptr<CancelToken> cancel)
      : FitWorker<MethodReport>(env, name, on_progress, std::move(cancel)),
        inputs_(std::move(inputs)),
        run_(std::move(run)),
        bits_(bits),
        iterations_(iterations),
        keep_latent_(keep_latent) {}

 private:
  void Run(const Send& send, const CancelToken* cancel) override {
    result_ = run_(inputs_, send, cancel);
    const int64_t n = inputs_.image->rows();
    codes_.resize(static_cast<size_t>(n) * words_per_code(bits_));
    pack_sign_columns(result_.B.data(), bits_, n, codes_.data());
    result_.B = {};
  }

  void AfterRun() override { inputs_.injected = {}; }

  static Napi::Object report_object(Napi::Env env, const MethodReport& r) {
    Napi::Object o = Napi::Object::New(env);
    if (r.phase != FitPhase::none) {
      o.Set("phase", phase_name(r.phase));
      return o;
    }
    o.Set("iteration", r.iteration);
    o.Set("latentRank", r.latent_rank);
    o.Set("changedBits", static_cast<double>(r.changed_bits));
    o.Set("objective", r.objective);
    return o;
  }

  std::vector<napi_value> ProgressArguments(Napi::Env env, const MethodReport& r) override {
    Napi::Object o = report_object(env, r);
    if (r.phase == FitPhase::none) o.Set("iterations", iterations_);
    return {o};
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object out = Napi::Object::New(env);
    out.Set("precision", std::is_same<T, float>::value ? "float32" : "float64");
    Napi::Array kernels = Napi::Array::New(env, 2), W = Napi::Array::New(env, 2);
    for (uint32_t m = 0; m < 2; ++m) {
      auto& k = result_.kernels[m];
      Napi::Object ko = Napi::Object::New(env);
      ko.Set("count", static_cast<double>(k.anchors));
      ko.Set("dim", static_cast<double>(k.dim));
      ko.Set("anchors", move_to_js(env, std::move(k.anchor_rows)));
      ko.Set("sigma", static_cast<double>(k.sigma));
      ko.Set("sigmaRule", rule_name(k.rule));
      ko.Set("mean", move_to_js(env, std::move(k.mean)));
      if (!k.input_mean.empty()) ko.Set("inputMean", move_to_js(env, std::move(k.input_mean)));
      kernels.Set(m, ko);
      W.Set(m, move_to_js(env, std::move(result_.W[m])));
    }
    out.Set("kernels", kernels);
    out.Set("W", W);
    if (!result_.rotation.empty()) out.Set("rotation", move_to_js(env, std::move(result_.rotation)));
    out.Set("threshold", result_.strict ? "positive" : "nonnegative");
    const size_t code_bytes = codes_.size() * 8;
    Napi::ArrayBuffer code_buffer = move_to_js(env, std::move(codes_)).ArrayBuffer();
    out.Set("codes", Napi::Uint8Array::New(env, code_bytes, code_buffer, 0));
    Napi::Array history = Napi::Array::New(env, result_.history.size());
    for (uint32_t i = 0; i < result_.history.size(); ++i) history.Set(i, report_object(env, result_.history[i]));
    out.Set("history", history);
    out.Set("converged", result_.converged);
    Napi::Object seconds = Napi::Object::New(env);
    seconds.Set("features", result_.seconds_features);
    seconds.Set("iterations", result_.seconds_iterations);
    seconds.Set("hashFunctions", result_.seconds_hash);
    out.Set("seconds", seconds);
    if (keep_latent_) {
      Napi::Object latent = Napi::Object::New(env);
      for (auto& [name, values] : result_.latent) latent.Set(name, move_to_js(env, std::move(values)));
      auto B = Napi::Int8Array::New(env, result_.latent_B.size());
      std::copy(result_.latent_B.begin(), result_.latent_B.end(), B.Data());
      latent.Set("B", B);
      out.Set("latent", latent);
    }
    return out;
  }

  Inputs inputs_;
  Runner<T> run_;
  int bits_, iterations_;
  bool keep_latent_;
  MethodResult<T> result_;
  std::vector<uint64_t> codes_;
};

// A JS array-like of numbers (Array or typed array), read once and copied.
std::vector<double> numbers_arg(Napi::Env env, Napi::Value v, const std::string& what) {
  const char* code = "ERR_ASCMH_OPTION";
  std::vector<double> out;
  if (v.IsTypedArray()) {
    Napi::TypedArray a = v.As<Napi::TypedArray>();
    if (a.TypedArrayType() == napi_float64_array) {
      auto f = v.As<Napi::Float64Array>();
      out.assign(f.Data(), f.Data() + f.ElementLength());
    } else if (a.TypedArrayType() == napi_float32_array) {
      auto f = v.As<Napi::Float32Array>();
      out.assign(f.Data(), f.Data() + f.ElementLength());
    } else if (a.TypedArrayType() == napi_int32_array) {
      auto f = v.As<Napi::Int32Array>();
      out.assign(f.Data(), f.Data() + f.ElementLength());
    } else {
      throw_coded(env, code, what + " must be a Float64Array, Float32Array, Int32Array or an array of numbers");
    }
  } else if (v.IsArray()) {
    Napi::Array a = v.As<Napi::Array>();
    const uint32_t length = a.Length();
    out.resize(length);
    for (uint32_t i = 0; i < length; ++i) out[i] = number_arg(env, a.Get(i), code, what, -1e300, 1e300);
  } else {
    throw_coded(env, code, what + " must be an array of numbers");
  }
  for (const double x : out)
    if (!std::isfinite(x)) throw_coded(env, code, what + " holds a non-finite value");
  return out;
}

// options.inject: { imageAnchors, textAnchors, B0, V0, R0, completion: [...] }, all optional.
InjectedDraws injected_arg(Napi::Env env, Napi::Object o, int64_t rows) {
  InjectedDraws d;
  Napi::Value inject = o.Get("inject");
  if (inject.IsUndefined()) return d;
  Napi::Object in = object_arg(env, inject, "ERR_ASCMH_OPTION", "inject");
  const char* names[2] = {"imageAnchors", "textAnchors"};
  for (int m = 0; m < 2; ++m) {
    Napi::Value v = in.Get(names[m]);
    if (v.IsUndefined()) continue;
    const std::vector<double> idx = numbers_arg(env, v, std::string("inject.") + names[m]);
    if (idx.empty()) throw_coded(env, "ERR_ASCMH_ANCHORS", std::string("inject.") + names[m] + " is empty");
    for (const double x : idx)
      if (!(x >= 0 && x < static_cast<double>(rows)) || x != std::floor(x))
        throw_coded(env, "ERR_ASCMH_ANCHORS", std::string("inject.") + names[m] + " holds " + std::to_string(x) +
                                                  ", not a row index below " + std::to_string(rows));
    d.anchors[m].assign(idx.begin(), idx.end());
    d.has_anchors[m] = true;
  }
  for (const char* name : {"B0", "V0", "R0"}) {
    Napi::Value v = in.Get(name);
    if (v.IsUndefined()) continue;
    std::vector<double> values = numbers_arg(env, v, std::string("inject.") + name);
    (std::string(name) == "B0" ? d.B0 : std::string(name) == "V0" ? d.V0 : d.R0) = std::move(values);
  }
  Napi::Value completion = in.Get("completion");
  if (!completion.IsUndefined()) {
    if (!completion.IsArray()) throw_coded(env, "ERR_ASCMH_OPTION", "inject.completion must be an array of matrices");
    Napi::Array a = completion.As<Napi::Array>();
    const uint32_t length = a.Length();
    for (uint32_t i = 0; i < length; ++i) d.completion.push_back(numbers_arg(env, a.Get(i), "inject.completion"));
  }
  return d;
}

SigmaRule sigma_rule_option(Napi::Env env, Napi::Object o, SigmaRule fallback) {
  Napi::Value v = o.Get("sigmaRule");
  if (v.IsUndefined()) return fallback;
  const std::string name = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (name == "mean-distance") return SigmaRule::mean_distance;
  if (name == "mean-squared-distance") return SigmaRule::mean_squared_distance;
  throw_coded(env, "ERR_ASCMH_OPTION", "sigmaRule must be 'mean-distance' or 'mean-squared-distance'");
}

bool bool_option(Napi::Object o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  return v.IsUndefined() ? fallback : v.ToBoolean().Value();
}

void kernel_options(Napi::Env env, Napi::Object o, int64_t rows, KernelSpec spec[2], int64_t default_anchors[2],
                    bool centre, bool twice) {
  const char* code = "ERR_ASCMH_OPTION";
  spec[0].anchors = integer_option(env, o, "imageAnchors", std::min(default_anchors[0], rows), "ERR_ASCMH_ANCHORS", 1, static_cast<double>(rows));
  spec[1].anchors = integer_option(env, o, "textAnchors", std::min(default_anchors[1], rows), "ERR_ASCMH_ANCHORS", 1, static_cast<double>(rows));
  const SigmaRule rule = sigma_rule_option(env, o, SigmaRule::mean_squared_distance);
  spec[0].width = number_option(env, o, "imageKernelWidth", 1, code, 1e-300, 1e300);
  spec[1].width = number_option(env, o, "textKernelWidth", 1, code, 1e-300, 1e300);
  const bool c = bool_option(o, "centreInputs", centre), t = bool_option(o, "centreTwice", twice);
  for (int m = 0; m < 2; ++m) {
    spec[m].rule = rule;
    spec[m].centre_inputs = c;
    spec[m].centre_twice = t;
  }
}

struct Common {
  MatrixArg image, text;
  Inputs in;
  int64_t n = 0;
  bool single = false, keep_latent = false;
  Napi::Object options;
  Napi::Function on_progress;
};

Common common_args(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Common c;
  c.image = matrix_arg(env, info[0], "image");
  c.text = matrix_arg(env, info[1], "text");
  c.in.labels = byte_matrix_arg(env, info[2], "labels");
  c.n = c.image.view.rows;
  if (c.text.view.rows != c.n || c.in.labels.rows != c.n)
    throw_coded(env, "ERR_ASCMH_SHAPE", "image, text and labels must have the same number of rows");
  if (c.n == 0 || c.image.view.cols == 0 || c.text.view.cols == 0 || c.in.labels.cols == 0)
    throw_coded(env, "ERR_ASCMH_EMPTY", "training needs rows, features and classes");
  c.options = object_arg(env, info[3], "ERR_ASCMH_OPTION", "options");
  Napi::Value precision = c.options.Get("precision");
  c.single = precision.IsString() && precision.As<Napi::String>().Utf8Value() == "float32";
  c.keep_latent = c.options.Get("keepLatent").ToBoolean();
  c.in.injected = injected_arg(env, c.options, c.n);
  c.on_progress = info[4].IsFunction() ? info[4].As<Napi::Function>() : Napi::Function();
  return c;
}

int bits_option(Napi::Env env, Napi::Object o, int64_t rows) {
  const int bits = static_cast<int>(integer_option(env, o, "bits", 64, "ERR_ASCMH_BITS", 1, 1024));
  if (bits >= rows) throw_coded(env, "ERR_ASCMH_BITS", "bits must be at least 1 and below the number of training rows");
  return bits;
}

template <class Options, class Train>
Napi::Value start(const Napi::CallbackInfo& info, Common& c, const Options& options, int iterations, const char* name,
                  Train train, double feature_columns) {
  Napi::Env env = info.Env();
  require_memory(static_cast<double>(c.n) * feature_columns, c.single ? 4 : 8, "the kernel features of this training set");
  JobTicket ticket(env);
  c.in.image = rows_for_job(env, c.image, ticket.token());
  c.in.text = rows_for_job(env, c.text, ticket.token());
  return start_cancellable(env, c.single, ticket, [&](auto tag) {
    using T = decltype(tag);
    Runner<T> run = [options, train](Inputs& in, const MethodProgress& progress, const CancelToken* token) {
      return train(T{}, in, options, progress, token);
    };
    auto* worker = new MethodWorker<T>(env, name, std::move(c.in), std::move(run), options.bits, iterations,
                                       c.keep_latent, c.on_progress, ticket.release());
    Napi::Promise promise = worker->promise();
    worker->Queue();
    return promise;
  });
}

// fitBatch(image, text, labels, options, onProgress?) -> { promise, cancel }
Napi::Value FitBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    Common c = common_args(info);
    const char* code = "ERR_ASCMH_OPTION";
    BatchOptions o;
    o.bits = bits_option(env, c.options, c.n);
    int64_t anchors[2] = {500, 1000};
    kernel_options(env, c.options, c.n, o.kernel, anchors, false, false);
    o.eta[0] = number_option(env, c.options, "etaImage", 0.05, code, 0, 1e300);
    o.eta[1] = number_option(env, c.options, "etaText", 0.05, code, 0, 1e300);
    o.eta[2] = number_option(env, c.options, "etaLabel", 0.9, code, 0, 1e300);
    o.omega = number_option(env, c.options, "omega", 0.01, code, 0, 1e300);
    o.xi = number_option(env, c.options, "xi", 0.01, code, 1e-300, 1e300);
    o.iterations = static_cast<int>(integer_option(env, c.options, "iterations", 6, code, 0, 10000));
    o.seed = static_cast<uint64_t>(integer_option(env, c.options, "seed", 0, code, 0, kMaxSafeInteger));
    o.keep_latent = c.keep_latent;
    const double columns = static_cast<double>(o.kernel[0].anchors + o.kernel[1].anchors + c.in.labels.cols) + 6.0 * o.bits;
    return start(info, c, o, o.iterations, "ascmh:fitBatch",
                 [](auto tag, Inputs& in, const BatchOptions& opt, const MethodProgress& p, const CancelToken* t) {
                   using T = decltype(tag);
                   return train_batch<T>(*in.image, *in.text, in.labels.data.data(), in.labels.cols, opt, in.injected, p, t);
                 },
                 columns);
  });
}

// fitScratch(image, text, labels, options, onProgress?) -> { promise, cancel }
Napi::Value FitScratch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    Common c = common_args(info);
    const char* code = "ERR_ASCMH_OPTION";
    ScratchOptions o;
    o.bits = bits_option(env, c.options, c.n);
    int64_t anchors[2] = {500, 500};
    kernel_options(env, c.options, c.n, o.kernel, anchors, true, true);
    o.lambda_image = number_option(env, c.options, "lambdaImage", 0.5, code, 0, 1);
    o.alpha = number_option(env, c.options, "alpha", 500, code, 0, 1e300);
    o.mu = number_option(env, c.options, "mu", 1000, code, 0, 1e300);
    o.gamma = number_option(env, c.options, "gamma", 5, code, 1e-300, 1e300);
    o.iterations = static_cast<int>(integer_option(env, c.options, "iterations", 20, code, 1, 10000));
    o.seed = static_cast<uint64_t>(integer_option(env, c.options, "seed", 0, code, 0, kMaxSafeInteger));
    o.keep_latent = c.keep_latent;
    const double columns = static_cast<double>(o.kernel[0].anchors + o.kernel[1].anchors + c.in.labels.cols) + 4.0 * o.bits;
    return start(info, c, o, o.iterations, "ascmh:fitScratch",
                 [](auto tag, Inputs& in, const ScratchOptions& opt, const MethodProgress& p, const CancelToken* t) {
                   using T = decltype(tag);
                   return train_scratch<T>(*in.image, *in.text, in.labels.data.data(), in.labels.cols, opt, in.injected,
                                           p, t);
                 },
                 columns);
  });
}

// fitCsmh(image, text, labels, options, onProgress?) -> { promise, cancel }
Napi::Value FitCsmh(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    Common c = common_args(info);
    const char* code = "ERR_ASCMH_OPTION";
    CsmhOptions o;
    o.bits = bits_option(env, c.options, c.n);
    int64_t anchors[2] = {1000, 1000};
    kernel_options(env, c.options, c.n, o.kernel, anchors, false, false);
    const SigmaRule rule = sigma_rule_option(env, c.options, SigmaRule::mean_distance);  // ASCMH's kernel
    for (auto& spec : o.kernel) spec.rule = rule;
    o.alpha = number_option(env, c.options, "alpha", 1, code, 0, 1e300);
    o.beta = number_option(env, c.options, "beta", 10, code, 0, 1e300);
    o.ridge = number_option(env, c.options, "ridge", 0.1, code, 1e-300, 1e300);
    o.eta = number_option(env, c.options, "eta", 0, code, 0, 1e300);
    o.iterations = static_cast<int>(integer_option(env, c.options, "iterations", 10, code, 1, 10000));
    o.sweeps = static_cast<int>(integer_option(env, c.options, "sweeps", 3, code, 1, 100));
    o.tolerance = number_option(env, c.options, "tolerance", 0, code, 0, 1e300);
    o.seed = static_cast<uint64_t>(integer_option(env, c.options, "seed", 0, code, 0, kMaxSafeInteger));
    o.keep_latent = c.keep_latent;
    const double columns = static_cast<double>(o.kernel[0].anchors + o.kernel[1].anchors + 2 * c.in.labels.cols) + 4.0 * o.bits;
    return start(info, c, o, o.iterations, "ascmh:fitCsmh",
                 [](auto tag, Inputs& in, const CsmhOptions& opt, const MethodProgress& p, const CancelToken* t) {
                   using T = decltype(tag);
                   return train_csmh<T>(*in.image, *in.text, in.labels.data.data(), in.labels.cols, opt, in.injected, p, t);
                 },
                 columns);
  });
}

}  // namespace

void InitTrainMethods(Napi::Env env, Napi::Object exports) {
  exports.Set("fitBatch", Napi::Function::New(env, FitBatch, "fitBatch"));
  exports.Set("fitScratch", Napi::Function::New(env, FitScratch, "fitScratch"));
  exports.Set("fitCsmh", Napi::Function::New(env, FitCsmh, "fitCsmh"));
}

}  // namespace ascmh
