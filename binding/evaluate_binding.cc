// meanAveragePrecision / meanAveragePrecisionAsync over packed codes and 0/1 label matrices.
#include <napi.h>

#include <memory>

#include "codes.h"
#include "evaluate.h"
#include "js_util.h"

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

}  // namespace

void InitEvaluate(Napi::Env env, Napi::Object exports) {
  exports.Set("meanAveragePrecision", Napi::Function::New(env, MeanAveragePrecision, "meanAveragePrecision"));
  exports.Set("meanAveragePrecisionAsync", Napi::Function::New(env, MeanAveragePrecisionAsync, "meanAveragePrecisionAsync"));
}

}  // namespace ascmh
