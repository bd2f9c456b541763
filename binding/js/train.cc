// fit(): the whole training run on a libuv worker thread, one Promise, progress per iteration,
// cancellation through a returned function.
#include <malloc.h>
#include <napi.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <new>

#include "train/ascmh.h"
#include "core/codes.h"
#include "encoders/kernel_hash.h"
#include "js/js_util.h"
#include "linalg/linalg.h"

namespace ascmh {
namespace {

struct Inputs {
  MatrixView image, text;
  const uint8_t* labels = nullptr;
  int64_t classes = 0;
  std::vector<Napi::Reference<Napi::Value>> keep_alive;  // the borrowed typed arrays
};

template <class T>
class TrainWorker : public Napi::AsyncProgressQueueWorker<IterationReport> {
 public:
  TrainWorker(Napi::Env env, Inputs inputs, TrainOptions options, Napi::Function on_progress,
              std::shared_ptr<std::atomic<bool>> cancel)
      : Napi::AsyncProgressQueueWorker<IterationReport>(env, "ascmh:fit"),
        deferred_(Napi::Promise::Deferred::New(env)),
        inputs_(std::move(inputs)),
        options_(options),
        cancel_(std::move(cancel)) {
    if (!on_progress.IsEmpty()) on_progress_ = Napi::Persistent(on_progress);
  }
  // Freed training buffers below glibc's mmap threshold stay in the worker thread's malloc arena;
  // hand them back so a finished or cancelled fit leaves the process's memory as it found it.
  ~TrainWorker() override { malloc_trim(0); }
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute(const ExecutionProgress& progress) override {
    try {
      result_ = train_ascmh<T>(inputs_.image, inputs_.text, inputs_.labels, inputs_.classes, options_,
                               [&](const IterationReport& r) { progress.Send(&r, 1); }, cancel_.get());
      // Packed here, off the JS thread; OnOK only copies.
      codes_.resize(static_cast<size_t>(inputs_.image.rows) * words_per_code(options_.bits));
      pack_sign_columns(result_.B.data(), options_.bits, inputs_.image.rows, codes_.data());
    } catch (const Cancelled& e) {
      fail("ERR_ASCMH_CANCELLED", e.what());
    } catch (const LinalgError& e) {
      fail(e.code(), e.what());
    } catch (const std::bad_alloc&) {
      fail("ERR_ASCMH_OUT_OF_MEMORY", "not enough memory for this training set");
    } catch (const std::exception& e) {
      fail("ERR_ASCMH_INTERNAL", e.what());
    }
  }

  void OnProgress(const IterationReport* reports, size_t count) override {
    if (on_progress_.IsEmpty()) return;
    Napi::Env env = Env();
    for (size_t i = 0; i < count; ++i) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("iteration", reports[i].iteration);
      o.Set("iterations", options_.iterations);
      o.Set("reconstruction", reports[i].reconstruction);
      o.Set("similarity", reports[i].similarity);
      o.Set("label", reports[i].label);
      o.Set("latentRank", reports[i].latent_rank);
      o.Set("changedBits", static_cast<double>(reports[i].changed_bits));
      try {
        on_progress_.Call({o});
      } catch (const Napi::Error&) {
        cancel_->store(true);  // a throwing progress callback stops the run; its error is reported
      }
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (!error_code_.empty()) {
      deferred_.Reject(coded_error(env, error_code_, error_message_).Value());
      return;
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("precision", std::is_same<T, float>::value ? "float32" : "float64");
    Napi::Array kernels = Napi::Array::New(env, 2), W = Napi::Array::New(env, 2);
    for (uint32_t m = 0; m < 2; ++m) {
      const auto& k = result_.kernels[m];
      Napi::Object ko = Napi::Object::New(env);
      ko.Set("count", static_cast<double>(k.anchors));
      ko.Set("dim", static_cast<double>(k.dim));
      ko.Set("anchors", copy_to_js(env, k.anchor_rows));
      ko.Set("sigma", static_cast<double>(k.sigma));
      ko.Set("mean", copy_to_js(env, k.mean));
      kernels.Set(m, ko);
      W.Set(m, copy_to_js(env, result_.W[m]));
    }
    out.Set("kernels", kernels);
    out.Set("W", W);
    const int64_t n = inputs_.image.rows;
    const int words = words_per_code(options_.bits);
    auto codes = Napi::Uint8Array::New(env, static_cast<size_t>(n * words * 8));
    std::memcpy(codes.Data(), codes_.data(), codes.ByteLength());
    out.Set("codes", codes);
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
      out.Set("V", copy_to_js(env, result_.V));
      out.Set("R", copy_to_js(env, result_.R));
      out.Set("M", copy_to_js(env, result_.M));
      auto B = Napi::Int8Array::New(env, result_.B.size());
      std::copy(result_.B.begin(), result_.B.end(), B.Data());
      out.Set("B", B);
    }
    deferred_.Resolve(out);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  void fail(const std::string& code, const std::string& message) {
    error_code_ = code;
    error_message_ = message;
  }

  Napi::Promise::Deferred deferred_;
  Inputs inputs_;
  TrainOptions options_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  Napi::FunctionReference on_progress_;
  TrainResult<T> result_;
  std::vector<uint64_t> codes_;
  std::string error_code_, error_message_;
};

// fit(image, text, labels, options, onProgress?) -> { promise, cancel }
// The TS facade validates every argument first; these checks guard the native boundary only.
Napi::Value Fit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Inputs in;
  in.image = matrix_arg(env, info[0], "image");
  in.text = matrix_arg(env, info[1], "text");
  int64_t label_rows = 0;
  in.labels = byte_matrix_arg(env, info[2], "labels", &label_rows, &in.classes);
  for (int i = 0; i < 3; ++i) in.keep_alive.push_back(Napi::Persistent(info[i].As<Napi::Object>().Get("data")));
  if (in.image.rows != in.text.rows || in.image.rows != label_rows)
    throw_coded(env, "ERR_ASCMH_SHAPE", "image, text and labels must have the same number of rows");
  if (!info[3].IsObject()) throw_coded(env, "ERR_ASCMH_OPTION", "options must be an object");
  Napi::Object o = info[3].As<Napi::Object>();
  TrainOptions options;
  options.bits = static_cast<int>(number_option(o, "bits", 64));
  options.anchors[0] = static_cast<int64_t>(number_option(o, "imageAnchors", 1000));
  options.anchors[1] = static_cast<int64_t>(number_option(o, "textAnchors", 1000));
  options.lambda[0] = number_option(o, "lambdaImage", 0.5);
  options.lambda[1] = number_option(o, "lambdaText", 0.5);
  options.kernel_width[0] = number_option(o, "imageKernelWidth", 1);
  options.kernel_width[1] = number_option(o, "textKernelWidth", 1);
  options.alpha = number_option(o, "alpha", 1);
  options.omega = number_option(o, "omega", 0.01);
  options.ridge[0] = number_option(o, "ridgeImage", 0.1);
  options.ridge[1] = number_option(o, "ridgeText", 0.1);
  options.iterations = static_cast<int>(number_option(o, "iterations", 10));
  options.tolerance = number_option(o, "tolerance", 1e-6);
  options.seed = static_cast<uint64_t>(number_option(o, "seed", 0));
  options.keep_latent = o.Get("keepLatent").ToBoolean();
  if (o.Get("initialisation").IsString()) {  // a testing hook, not part of the public options
    const std::string how = o.Get("initialisation").As<Napi::String>().Utf8Value();
    options.initialisation = how == "drawn" ? Initialisation::drawn
                             : how == "sampled" ? Initialisation::sampled
                                                : Initialisation::automatic;
  }
  const bool single = o.Get("precision").IsString() && o.Get("precision").As<Napi::String>().Utf8Value() == "float32";
  if (options.bits < 1 || options.bits >= in.image.rows)
    throw_coded(env, "ERR_ASCMH_BITS", "bits must be at least 1 and below the number of training rows");
  for (int m = 0; m < 2; ++m)
    if (options.anchors[m] < 1 || options.anchors[m] > in.image.rows)
      throw_coded(env, "ERR_ASCMH_ANCHORS", "anchors must be between 1 and the number of training rows");

  Napi::Function on_progress = info[4].IsFunction() ? info[4].As<Napi::Function>() : Napi::Function();
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  Napi::Promise promise;
  if (single) {
    auto* worker = new TrainWorker<float>(env, std::move(in), options, on_progress, cancel);
    promise = worker->promise();
    worker->Queue();
  } else {
    auto* worker = new TrainWorker<double>(env, std::move(in), options, on_progress, cancel);
    promise = worker->promise();
    worker->Queue();
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("promise", promise);
  out.Set("cancel", Napi::Function::New(env, [cancel](const Napi::CallbackInfo&) { cancel->store(true); }, "cancel"));
  return out;
}

}  // namespace

void InitTrain(Napi::Env env, Napi::Object exports) { exports.Set("fit", Napi::Function::New(env, Fit, "fit")); }

}  // namespace ascmh
