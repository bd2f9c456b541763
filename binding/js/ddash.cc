// fitDdash(): DDASH's training run (train/ddash.h) with the glue pattern of the other fits
// (js/train_methods.cc): one libuv thread, one Promise, a cancel function, progress per outer
// iteration and per epoch; labels copied here, features through js/row_stream.h, every option
// read once and checked.
#include <napi.h>

#include <cstring>
#include <memory>

#include "core/codes.h"
#include "core/memory_limit.h"
#include "js/args.h"
#include "js/fit_worker.h"
#include "js/job.h"
#include "js/mlp_args.h"
#include "js/row_stream.h"
#include "train/ddash.h"

namespace ascmh {
namespace {

struct Inputs {
  std::unique_ptr<RowSource> image, text;
  ByteMatrix labels;
};

void pack_item_rows(const int8_t* B, int bits, int64_t n, uint64_t* codes) {
  const int words = words_per_code(bits);
  std::memset(codes, 0, sizeof(uint64_t) * n * words);
  for (int64_t i = 0; i < n; ++i)
    for (int j = 0; j < bits; ++j)
      if (B[i * bits + j] > 0) set_code_bit(codes + i * words, j);
}

template <class T>
class DdashWorker : public FitWorker<DdashReport> {
 public:
  DdashWorker(Napi::Env env, Inputs inputs, DdashOptions options, Napi::Function on_progress,
              std::shared_ptr<CancelToken> cancel)
      : FitWorker<DdashReport>(env, "ascmh:fitDdash", on_progress, std::move(cancel)),
        inputs_(std::move(inputs)),
        options_(options) {}

 private:
  void Run(const Send& send, const CancelToken* cancel) override {
    result_ = train_ddash<T>(*inputs_.image, *inputs_.text, inputs_.labels.data.data(), inputs_.labels.cols, options_,
                             send, cancel);
    const int64_t n = inputs_.image->rows();
    codes_.resize(static_cast<size_t>(n) * words_per_code(options_.bits));
    pack_item_rows(result_.B.data(), options_.bits, n, codes_.data());
    if (!options_.keep_latent) result_.B = {};
  }

  Napi::Object report_object(Napi::Env env, const DdashReport& r) const {
    Napi::Object o = Napi::Object::New(env);
    if (r.phase != FitPhase::none) {
      o.Set("phase", phase_name(r.phase));
      return o;
    }
    o.Set("iteration", r.iteration);
    o.Set("iterations", options_.iterations);
    if (r.epoch) {
      o.Set("modality", r.modality == 0 ? "image" : "text");
      o.Set("epoch", r.epoch_index);
      o.Set("epochs", options_.epochs);
      o.Set("loss", r.value);
    } else {
      o.Set("changedBits", static_cast<double>(r.changed_bits));
      o.Set("objective", r.value);
    }
    return o;
  }

  std::vector<napi_value> ProgressArguments(Napi::Env env, const DdashReport& r) override {
    return {report_object(env, r), Napi::Boolean::New(env, r.epoch)};
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object out = Napi::Object::New(env);
    out.Set("precision", std::is_same<T, float>::value ? "float32" : "float64");
    Napi::Array nets = Napi::Array::New(env, 2);
    for (uint32_t m = 0; m < 2; ++m) nets.Set(m, mlp_to_js(env, std::move(result_.nets[m])));
    out.Set("nets", nets);
    out.Set("mapping", move_to_js(env, std::move(result_.W)));
    out.Set("rho", result_.rho);
    const size_t code_bytes = codes_.size() * 8;
    Napi::ArrayBuffer code_buffer = move_to_js(env, std::move(codes_)).ArrayBuffer();
    out.Set("codes", Napi::Uint8Array::New(env, code_bytes, code_buffer, 0));
    Napi::Array history = Napi::Array::New(env, result_.history.size());
    for (uint32_t i = 0; i < result_.history.size(); ++i) history.Set(i, report_object(env, result_.history[i]));
    out.Set("history", history);
    Napi::Object seconds = Napi::Object::New(env);
    seconds.Set("features", result_.seconds_features);
    seconds.Set("iterations", result_.seconds_iterations);
    seconds.Set("hashFunctions", 0.0);
    out.Set("seconds", seconds);
    if (options_.keep_latent) {
      Napi::Object latent = Napi::Object::New(env);
      for (auto& [name, values] : result_.latent) latent.Set(name, move_to_js(env, std::move(values)));
      auto B = Napi::Int8Array::New(env, result_.B.size());
      std::copy(result_.B.begin(), result_.B.end(), B.Data());
      latent.Set("B", B);
      out.Set("latent", latent);
    }
    return out;
  }

  Inputs inputs_;
  DdashOptions options_;
  DdashResult<T> result_;
  std::vector<uint64_t> codes_;
};

DdashOptions ddash_options(Napi::Env env, Napi::Object o, int64_t n) {
  const char* code = "ERR_ASCMH_OPTION";
  DdashOptions d;
  d.bits = static_cast<int>(integer_option(env, o, "bits", 64, "ERR_ASCMH_BITS", 1, 1024));
  if (d.bits >= n) throw_coded(env, "ERR_ASCMH_BITS", "bits must be at least 1 and below the number of training rows");
  d.hidden[0] = static_cast<int>(integer_option(env, o, "hiddenImage", 128, code, 1, 1 << 16));
  d.hidden[1] = static_cast<int>(integer_option(env, o, "hiddenText", 128, code, 1, 1 << 16));
  d.gamma = number_option(env, o, "gamma", 50, code, 0, 1e300);
  d.mu = number_option(env, o, "mu", 1, code, 0, 1e300);
  d.nu = number_option(env, o, "nu", 1, code, 1e-300, 1e300);
  d.iterations = static_cast<int>(integer_option(env, o, "iterations", 30, code, 0, 10000));
  d.epochs = static_cast<int>(integer_option(env, o, "epochs", 3, code, 1, 10000));
  d.batch = static_cast<int>(integer_option(env, o, "batchSize", 64, code, 1, 1 << 20));
  d.learning_rate = number_option(env, o, "learningRate", 1e-3, code, 1e-300, 1e300);
  d.final_learning_rate = number_option(env, o, "finalLearningRate", 1e-4, code, 1e-300, 1e300);
  d.weight_decay = number_option(env, o, "weightDecay", 1e-4, code, 0, 1e300);
  d.query_sample = integer_option(env, o, "querySample", n, code, 1, static_cast<double>(n));
  d.dcc_sweeps = static_cast<int>(integer_option(env, o, "dccSweeps", 1, code, 1, 100));
  Napi::Value sign = o.Get("signOutputsInQ"), rebalance = o.Get("rebalance");
  d.sign_outputs_in_q = !sign.IsUndefined() && sign.ToBoolean().Value();
  d.rebalance = rebalance.IsUndefined() || rebalance.ToBoolean().Value();
  d.seed = static_cast<uint64_t>(integer_option(env, o, "seed", 0, code, 0, kMaxSafeInteger));
  d.keep_latent = o.Get("keepLatent").ToBoolean();
  return d;
}

// fitDdash(image, text, labels, options, onProgress?) -> { promise, cancel }
Napi::Value FitDdash(const Napi::CallbackInfo& info) {
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
    Napi::Object options = object_arg(env, info[3], "ERR_ASCMH_OPTION", "options");
    const DdashOptions o = ddash_options(env, options, n);
    Napi::Value precision = options.Get("precision");
    const bool single = precision.IsString() && precision.As<Napi::String>().Utf8Value() == "float32";
    Napi::Function on_progress = info[4].IsFunction() ? info[4].As<Napi::Function>() : Napi::Function();
    // B (int8 and T), Q, labels and G (n x c each), the query sample's features (all n when kept).
    const double dims = static_cast<double>(image.view.cols + text.view.cols);
    const double elements = static_cast<double>(n) * (3.0 * o.bits + 2.0 * static_cast<double>(in.labels.cols)) +
                            static_cast<double>(o.query_sample) * (dims + 2.0 * o.bits);
    require_memory(elements, single ? 4 : 8, "DDASH's training state");
    JobTicket ticket(env);
    in.image = rows_for_job(env, image, ticket.token());
    in.text = rows_for_job(env, text, ticket.token());
    return start_cancellable(env, single, ticket, [&](auto tag) {
      auto* w = new DdashWorker<decltype(tag)>(env, std::move(in), o, on_progress, ticket.release());
      Napi::Promise promise = w->promise();
      w->Queue();
      return promise;
    });
  });
}

}  // namespace

void InitDdash(Napi::Env env, Napi::Object exports) { exports.Set("fitDdash", Napi::Function::New(env, FitDdash, "fitDdash")); }

}  // namespace ascmh
