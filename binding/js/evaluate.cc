// meanAveragePrecision / meanAveragePrecisionAsync over packed codes and 0/1 label matrices.
#include <napi.h>

#include <cmath>
#include <functional>
#include <memory>

#include "core/codes.h"
#include "eval/metrics.h"
#include "js/js_util.h"

namespace ascmh {
namespace {

struct MapJob {
  RetrievalSet queries, database;
  MapOptions options;
  std::vector<uint64_t> query_labels, database_labels;
  std::vector<Napi::Reference<Napi::Value>> keep_alive;
};

// args: { queries, queryCount, database, databaseCount, bits, queryLabels, databaseLabels, top?, skipWithoutRelevant? }
std::unique_ptr<MapJob> parse(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw_coded(env, "ERR_ASCMH_OPTION", "evaluation arguments must be an object");
  Napi::Object a = info[0].As<Napi::Object>();
  auto job = std::make_unique<MapJob>();
  job->options.bits = static_cast<int>(number_option(a, "bits", 0));
  if (job->options.bits < 1 || job->options.bits > 65535) throw_coded(env, "ERR_ASCMH_BITS", "bits out of range");
  job->queries.count = static_cast<int64_t>(number_option(a, "queryCount", 0));
  job->database.count = static_cast<int64_t>(number_option(a, "databaseCount", 0));
  job->queries.codes = codes_arg(env, a.Get("queries"), "queries", job->queries.count, job->options.bits);
  job->database.codes = codes_arg(env, a.Get("database"), "database", job->database.count, job->options.bits);
  int64_t qr, qc, dr, dc;
  const uint8_t* ql = byte_matrix_arg(env, a.Get("queryLabels"), "queryLabels", &qr, &qc);
  const uint8_t* dl = byte_matrix_arg(env, a.Get("databaseLabels"), "databaseLabels", &dr, &dc);
  if (qr != job->queries.count || dr != job->database.count || qc != dc || qc < 1)
    throw_coded(env, "ERR_ASCMH_SHAPE", "label matrices do not match the codes");
  job->query_labels = pack_label_rows(ql, qr, qc);
  job->database_labels = pack_label_rows(dl, dr, dc);
  job->queries.labels = job->query_labels.data();
  job->database.labels = job->database_labels.data();
  job->options.label_words = words_per_code(static_cast<int>(qc));
  job->options.top = static_cast<int64_t>(number_option(a, "top", 0));
  job->options.skip_without_relevant = a.Get("skipWithoutRelevant").ToBoolean();
  job->keep_alive.push_back(Napi::Persistent(a.Get("queries")));
  job->keep_alive.push_back(Napi::Persistent(a.Get("database")));
  return job;
}

Napi::Object to_js(Napi::Env env, const MapResult& r) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("map", r.map);
  out.Set("evaluated", static_cast<double>(r.evaluated));
  out.Set("ap", copy_to_js(env, r.ap));
  return out;
}

Napi::Value MeanAveragePrecision(const Napi::CallbackInfo& info) {
  auto job = parse(info);
  return to_js(info.Env(), mean_average_precision(job->queries, job->database, job->options));
}

class MapWorker : public Napi::AsyncWorker {
 public:
  MapWorker(Napi::Env env, std::unique_ptr<MapJob> job)
      : Napi::AsyncWorker(env, "ascmh:map"), deferred_(Napi::Promise::Deferred::New(env)), job_(std::move(job)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override { result_ = mean_average_precision(job_->queries, job_->database, job_->options); }
  void OnOK() override { deferred_.Resolve(to_js(Env(), result_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::unique_ptr<MapJob> job_;
  MapResult result_;
};

Napi::Value MeanAveragePrecisionAsync(const Napi::CallbackInfo& info) {
  auto* worker = new MapWorker(info.Env(), parse(info));
  Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}


// ---- precision / recall at N and by radius ------------------------------------------------------

// Runs `compute` on a libuv thread and resolves with `convert` of its result.
template <class Result>
class MetricWorker : public Napi::AsyncWorker {
 public:
  using Compute = std::function<Result()>;
  using Convert = Napi::Object (*)(Napi::Env, const Result&);
  MetricWorker(Napi::Env env, std::shared_ptr<MapJob> job, Compute compute, Convert convert)
      : Napi::AsyncWorker(env, "ascmh:metrics"), deferred_(Napi::Promise::Deferred::New(env)), job_(std::move(job)),
        compute_(std::move(compute)), convert_(convert) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override { result_ = compute_(); }
  void OnOK() override { deferred_.Resolve(convert_(Env(), result_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<MapJob> job_;
  Compute compute_;
  Convert convert_;
  Result result_;
};

std::shared_ptr<MapJob> parse_metric(const Napi::CallbackInfo& info) {
  std::shared_ptr<MapJob> job = parse(info);
  if (job->database.count == 0) throw_coded(info.Env(), "ERR_ASCMH_EMPTY", "the database is empty");
  return job;
}

// ns: positive integers, as an array or a typed array.
std::vector<int64_t> parse_ns(Napi::Env env, Napi::Value v) {
  std::vector<int64_t> ns;
  auto push = [&](Napi::Value x) {
    const double d = x.IsNumber() ? x.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 1 && d <= 9007199254740991.0 && std::floor(d) == d))
      throw_coded(env, "ERR_ASCMH_OPTION", "every N must be a positive integer");
    ns.push_back(static_cast<int64_t>(d));
  };
  if (v.IsArray()) {
    auto a = v.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) push(a.Get(i));
  } else if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() != napi_bigint64_array &&
             v.As<Napi::TypedArray>().TypedArrayType() != napi_biguint64_array) {
    auto o = v.As<Napi::Object>();
    const uint32_t n = static_cast<uint32_t>(v.As<Napi::TypedArray>().ElementLength());
    for (uint32_t i = 0; i < n; ++i) push(o.Get(i));
  } else {
    throw_coded(env, "ERR_ASCMH_OPTION", "ns must be an array of positive integers");
  }
  if (ns.empty()) throw_coded(env, "ERR_ASCMH_OPTION", "ns must not be empty");
  return ns;
}

Napi::Object top_n_js(Napi::Env env, const TopNResult& r) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("precision", copy_to_js(env, r.precision));
  out.Set("recall", copy_to_js(env, r.recall));
  out.Set("evaluated", static_cast<double>(r.evaluated));
  return out;
}

Napi::Object radius_js(Napi::Env env, const RadiusCurve& c) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("precision", copy_to_js(env, c.precision));
  out.Set("recall", copy_to_js(env, c.recall));
  std::vector<double> counted(c.precision_queries.begin(), c.precision_queries.end());
  out.Set("precisionQueries", copy_to_js(env, counted));
  out.Set("evaluated", static_cast<double>(c.evaluated));
  return out;
}

// args: as meanAveragePrecision, plus ns.
Napi::Value PrecisionRecallAtN(const Napi::CallbackInfo& info) {
  auto job = parse_metric(info);
  auto ns = parse_ns(info.Env(), info[0].As<Napi::Object>().Get("ns"));
  return top_n_js(info.Env(), precision_recall_at_n(job->queries, job->database, job->options, ns));
}

Napi::Value PrecisionRecallAtNAsync(const Napi::CallbackInfo& info) {
  auto job = parse_metric(info);
  auto ns = parse_ns(info.Env(), info[0].As<Napi::Object>().Get("ns"));
  auto* worker = new MetricWorker<TopNResult>(
      info.Env(), job, [job, ns] { return precision_recall_at_n(job->queries, job->database, job->options, ns); },
      top_n_js);
  Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}

Napi::Value PrecisionRecallByRadius(const Napi::CallbackInfo& info) {
  auto job = parse_metric(info);
  return radius_js(info.Env(), precision_recall_by_radius(job->queries, job->database, job->options));
}

Napi::Value PrecisionRecallByRadiusAsync(const Napi::CallbackInfo& info) {
  auto job = parse_metric(info);
  auto* worker = new MetricWorker<RadiusCurve>(
      info.Env(), job, [job] { return precision_recall_by_radius(job->queries, job->database, job->options); },
      radius_js);
  Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}

}  // namespace

void InitEvaluate(Napi::Env env, Napi::Object exports) {
  exports.Set("meanAveragePrecision", Napi::Function::New(env, MeanAveragePrecision, "meanAveragePrecision"));
  exports.Set("meanAveragePrecisionAsync", Napi::Function::New(env, MeanAveragePrecisionAsync, "meanAveragePrecisionAsync"));
  exports.Set("precisionRecallAtN", Napi::Function::New(env, PrecisionRecallAtN, "precisionRecallAtN"));
  exports.Set("precisionRecallAtNAsync", Napi::Function::New(env, PrecisionRecallAtNAsync, "precisionRecallAtNAsync"));
  exports.Set("precisionRecallByRadius", Napi::Function::New(env, PrecisionRecallByRadius, "precisionRecallByRadius"));
  exports.Set("precisionRecallByRadiusAsync",
              Napi::Function::New(env, PrecisionRecallByRadiusAsync, "precisionRecallByRadiusAsync"));
}

}  // namespace ascmh
