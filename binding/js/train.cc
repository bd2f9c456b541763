// fit(): the whole training run on a libuv thread, one Promise, progress per iteration, and a
// cancel function. The worker never reads JS memory: the labels are copied here and the features
// come through js/row_stream.h.
#include <napi.h>

#include <cstring>
#include <memory>

#include "core/codes.h"
#include "core/memory_limit.h"
#include "encoders/kernel_hash.h"
#include "js/args.h"
#include "js/fit_worker.h"
#include "js/job.h"
#include "js/row_stream.h"
#include "train/ascmh.h"

namespace ascmh {
namespace {

struct Inputs {
  std::unique_ptr<RowSource> image, text;
  ByteMatrix labels;
};

template <class T>
class TrainWorker : public FitWorker<IterationReport> {
 public:
  TrainWorker(Napi::Env env, Inputs inputs, TrainOptions options, Napi::Function on_progress,
              std::shared_ptr<CancelToken> cancel)
      : FitWorker<IterationReport>(env, "ascmh:fit", on_progress, std::move(cancel)),
        inputs_(std::move(inputs)),
        options_(options) {}

 private:
  void Run(const Send& send, const CancelToken* cancel) override {
    result_ = train_ascmh<T>(*inputs_.image, *inputs_.text, inputs_.labels.data.data(), inputs_.labels.cols, options_,
                             send, cancel);
    // Packed here, off the JS thread; Result only copies.
    codes_.resize(static_cast<size_t>(inputs_.image->rows()) * words_per_code(options_.bits));
    pack_sign_columns(result_.B.data(), options_.bits, inputs_.image->rows(), codes_.data());
    if (!options_.keep_latent) result_.B = {};  // returned only with keepLatent
  }

  std::vector<napi_value> ProgressArguments(Napi::Env env, const IterationReport& r) override {
    Napi::Object o = Napi::Object::New(env);
    if (r.phase != FitPhase::none) {
      o.Set("phase", phase_name(r.phase));
    } else {
      o.Set("iteration", r.iteration);
      o.Set("iterations", options_.iterations);
      o.Set("reconstruction", r.reconstruction);
      o.Set("similarity", r.similarity);
      o.Set("label", r.label);
      o.Set("latentRank", r.latent_rank);
      o.Set("changedBits", static_cast<double>(r.changed_bits));
    }
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
      ko.Set("mean", move_to_js(env, std::move(k.mean)));
      kernels.Set(m, ko);
      W.Set(m, move_to_js(env, std::move(result_.W[m])));
    }
    out.Set("kernels", kernels);
    out.Set("W", W);
    const size_t code_bytes = codes_.size() * 8;
    Napi::ArrayBuffer code_buffer = move_to_js(env, std::move(codes_)).ArrayBuffer();
    out.Set("codes", Napi::Uint8Array::New(env, code_bytes, code_buffer, 0));
    Napi::Array history = Napi::Array::New(env, result_.history.size());
    for (uint32_t i = 0; i < result_.history.size(); ++i) {
      Napi::Object h = Napi::Object::New(env);
      h.Set("iteration", result_.history[i].iteration);
      h.Set("reconstruction", result_.history[i].reconstruction);
      h.Set("similarity", result_.history[i].similarity);
      h.Set("label", result_.history[i].label);
      h.Set("latentRank", result_.history[i].latent_rank);
      h.Set("changedBits", static_cast<double>(result_.history[i].changed_bits));
      history.Set(i, h);
    }
    out.Set("history", history);
    out.Set("converged", result_.converged);
    Napi::Object seconds = Napi::Object::New(env);
    seconds.Set("features", result_.seconds_features);
    seconds.Set("iterations", result_.seconds_iterations);
    seconds.Set("hashFunctions", result_.seconds_hash);
    out.Set("seconds", seconds);
    if (options_.keep_latent) {
      out.Set("V", move_to_js(env, std::move(result_.V)));
      out.Set("R", move_to_js(env, std::move(result_.R)));
      out.Set("M", move_to_js(env, std::move(result_.M)));
      auto B = Napi::Int8Array::New(env, result_.B.size());
      std::copy(result_.B.begin(), result_.B.end(), B.Data());
      out.Set("B", B);
    }
    return out;
  }

  Inputs inputs_;
  TrainOptions options_;
  TrainResult<T> result_;
  std::vector<uint64_t> codes_;
};

TrainOptions options_arg(Napi::Env env, Napi::Value value, int64_t rows) {
  Napi::Object o = object_arg(env, value, "ERR_ASCMH_OPTION", "options");
  const char* code = "ERR_ASCMH_OPTION";
  TrainOptions options;
  options.bits = static_cast<int>(integer_option(env, o, "bits", 64, "ERR_ASCMH_BITS", 1, 1024));
  if (options.bits >= rows)
    throw_coded(env, "ERR_ASCMH_BITS", "bits must be at least 1 and below the number of training rows");
  options.anchors[0] = integer_option(env, o, "imageAnchors", std::min<int64_t>(1000, rows), "ERR_ASCMH_ANCHORS", 1, static_cast<double>(rows));
  options.anchors[1] = integer_option(env, o, "textAnchors", std::min<int64_t>(1000, rows), "ERR_ASCMH_ANCHORS", 1, static_cast<double>(rows));
  options.lambda[0] = number_option(env, o, "lambdaImage", 0.5, code, 0, 1e300);
  options.lambda[1] = number_option(env, o, "lambdaText", 0.5, code, 0, 1e300);
  options.kernel_width[0] = number_option(env, o, "imageKernelWidth", 1, code, 1e-300, 1e300);
  options.kernel_width[1] = number_option(env, o, "textKernelWidth", 1, code, 1e-300, 1e300);
  options.alpha = number_option(env, o, "alpha", 1, code, 0, 1e300);
  options.omega = number_option(env, o, "omega", 0.01, code, 0, 1e300);
  options.ridge[0] = number_option(env, o, "ridgeImage", 0.1, code, 1e-300, 1e300);
  options.ridge[1] = number_option(env, o, "ridgeText", 0.1, code, 1e-300, 1e300);
  options.iterations = static_cast<int>(integer_option(env, o, "iterations", 10, code, 0, 10000));
  options.tolerance = number_option(env, o, "tolerance", 1e-6, code, 0, 1e300);
  options.seed = static_cast<uint64_t>(integer_option(env, o, "seed", 0, code, 0, kMaxSafeInteger));
  options.keep_latent = o.Get("keepLatent").ToBoolean();
  Napi::Value how = o.Get("initialisation");  // a testing hook, not part of the public options
  if (how.IsString()) {
    const std::string name = how.As<Napi::String>().Utf8Value();
    options.initialisation = name == "drawn" ? Initialisation::drawn
                             : name == "sampled" ? Initialisation::sampled
                                                 : Initialisation::automatic;
  }
  return options;
}

// fit(image, text, labels, options, onProgress?) -> { promise, cancel }
// The TS facade validates every argument first; these checks guard the native boundary.
Napi::Value Fit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    MatrixArg image = matrix_arg(env, info[0], "image");
    MatrixArg text = matrix_arg(env, info[1], "text");
    Inputs in;
    in.labels = byte_matrix_arg(env, info[2], "labels");
    const int64_t n = image.view.rows;
    if (text.view.rows != n || in.labels.rows != n)
      throw_coded(env, "ERR_ASCMH_SHAPE", "image, text and labels must have the same number of rows");
    if (n == 0 || image.view.cols == 0 || text.view.cols == 0 || in.labels.cols == 0)
      throw_coded(env, "ERR_ASCMH_EMPTY", "training needs rows, features and classes");
    const TrainOptions options = options_arg(env, info[3], n);
    Napi::Value precision = info[3].As<Napi::Object>().Get("precision");
    const bool single = precision.IsString() && precision.As<Napi::String>().Utf8Value() == "float32";
    require_memory(static_cast<double>(n) * static_cast<double>(options.anchors[0] + options.anchors[1]),
                   single ? 4 : 8, "the kernel features of this training set");
    Napi::Function on_progress = info[4].IsFunction() ? info[4].As<Napi::Function>() : Napi::Function();

    JobTicket ticket(env);
    in.image = rows_for_job(env, image, ticket.token());
    in.text = rows_for_job(env, text, ticket.token());
    return start_cancellable(env, single, ticket, [&](auto tag) {
      auto* worker = new TrainWorker<decltype(tag)>(env, std::move(in), options, on_progress, ticket.release());
      Napi::Promise promise = worker->promise();
      worker->Queue();
      return promise;
    });
  });
}

}  // namespace

void InitTrain(Napi::Env env, Napi::Object exports) { exports.Set("fit", Napi::Function::New(env, Fit, "fit")); }

}  // namespace ascmh
