// mAP and precision / recall at N and by radius over packed codes and 0/1 label matrices. The
// arguments are copied (codes with their padding bits cleared, labels packed) before any work, so
// the async forms never read JS memory and no distance can exceed `bits`.
#include <napi.h>

#include <memory>

#include "core/codes.h"
#include "core/memory_limit.h"
#include "eval/asymmetric_metrics.h"
#include "eval/metrics.h"
#include "js/args.h"
#include "js/job.h"
#include "js/projection_args.h"

namespace ascmh {
namespace {

struct MetricInputs {
  std::vector<uint64_t> query_codes, database_codes, query_labels, database_labels;
  std::vector<double> query_projections;  // asymmetric ranking: the queries as projections
  RetrievalSet queries, database;
  MapOptions options;
  std::vector<int64_t> ns;
};

// args: { queries, queryCount, database, databaseCount, bits, queryLabels, databaseLabels, top?,
// skipWithoutRelevant?, ns? }; with `projections` the queries are { projections: { rows, cols,
// data } } instead of queries / queryCount (asymmetric ranking).
std::shared_ptr<MetricInputs> parse(const Napi::CallbackInfo& info, bool needs_ns, bool projections = false) {
  Napi::Env env = info.Env();
  Napi::Object a = object_arg(env, info[0], "ERR_ASCMH_OPTION", "evaluation arguments");
  auto in = std::make_shared<MetricInputs>();
  MapOptions& o = in->options;
  o.bits = static_cast<int>(integer_arg(env, a.Get("bits"), "ERR_ASCMH_BITS", "bits", 1, 65535));
  if (projections) {
    in->query_projections = projections_arg(env, a.Get("projections"), "projections", o.bits, &in->queries.count);
  } else {
    in->queries.count = integer_arg(env, a.Get("queryCount"), "ERR_ASCMH_CODES", "queryCount", 0, kMaxSafeInteger);
  }
  in->database.count =
      integer_arg(env, a.Get("databaseCount"), "ERR_ASCMH_CODES", "databaseCount", 0, kMaxSafeInteger);
  if (!projections) in->query_codes = codes_arg(env, a.Get("queries"), "queries", in->queries.count, o.bits);
  in->database_codes = codes_arg(env, a.Get("database"), "database", in->database.count, o.bits);
  const ByteMatrix ql = byte_matrix_arg(env, a.Get("queryLabels"), "queryLabels");
  const ByteMatrix dl = byte_matrix_arg(env, a.Get("databaseLabels"), "databaseLabels");
  if (ql.rows != in->queries.count || dl.rows != in->database.count || ql.cols != dl.cols || ql.cols < 1)
    throw_coded(env, "ERR_ASCMH_SHAPE", "label matrices do not match the codes");
  in->query_labels = pack_label_rows(ql.data.data(), ql.rows, ql.cols);
  in->database_labels = pack_label_rows(dl.data.data(), dl.rows, dl.cols);
  in->queries.codes = in->query_codes.data();
  in->database.codes = in->database_codes.data();
  in->queries.labels = in->query_labels.data();
  in->database.labels = in->database_labels.data();
  o.label_words = words_per_code(static_cast<int>(ql.cols));
  o.top = integer_option(env, a, "top", 0, "ERR_ASCMH_OPTION", 0, kMaxSafeInteger);
  o.skip_without_relevant = a.Get("skipWithoutRelevant").ToBoolean();
  // Scratch per thread: distances, relevant positions and distances of the database (asymmetric:
  // scores, keys and orders).
  require_memory(static_cast<double>(in->database.count), projections ? 4 * 5 : 8 * 2, "the evaluation's per-thread scratch");
  if (projections && in->database.count > int64_t(UINT32_MAX))
    throw_coded(env, "ERR_ASCMH_TOO_LARGE", "asymmetric ranking handles at most 2^32 - 1 database items");
  require_memory(static_cast<double>(in->queries.count), 8, "the per-query results");
  if (needs_ns) {
    if (in->database.count == 0) throw_coded(env, "ERR_ASCMH_EMPTY", "the database is empty");
    Napi::Value v = a.Get("ns");
    if (!v.IsArray()) throw_coded(env, "ERR_ASCMH_OPTION", "ns must be an array of positive integers");
    auto list = v.As<Napi::Array>();
    const uint32_t length = list.Length();
    if (length == 0) throw_coded(env, "ERR_ASCMH_OPTION", "ns must not be empty");
    require_memory(static_cast<double>(in->queries.count) * length, 2 * 8, "precision and recall at every N");
    in->ns.reserve(length);
    for (uint32_t i = 0; i < length; ++i)
      in->ns.push_back(integer_arg(env, list.Get(i), "ERR_ASCMH_OPTION", "every N", 1, kMaxSafeInteger));
  }
  return in;
}

Napi::Value map_js(Napi::Env env, const MapResult& r) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("map", r.map);
  out.Set("evaluated", static_cast<double>(r.evaluated));
  out.Set("ap", copy_to_js(env, r.ap));
  return out;
}

Napi::Value top_n_js(Napi::Env env, const TopNResult& r) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("precision", copy_to_js(env, r.precision));
  out.Set("recall", copy_to_js(env, r.recall));
  out.Set("evaluated", static_cast<double>(r.evaluated));
  return out;
}

Napi::Value radius_js(Napi::Env env, const RadiusCurve& c) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("precision", copy_to_js(env, c.precision));
  out.Set("recall", copy_to_js(env, c.recall));
  std::vector<double> counted(c.precision_queries.begin(), c.precision_queries.end());
  out.Set("precisionQueries", copy_to_js(env, counted));
  out.Set("evaluated", static_cast<double>(c.evaluated));
  return out;
}

MapResult run_map(const MetricInputs& in, const CancelToken* cancel) {
  return mean_average_precision(in.queries, in.database, in.options, cancel);
}
TopNResult run_top_n(const MetricInputs& in, const CancelToken* cancel) {
  return precision_recall_at_n(in.queries, in.database, in.options, in.ns, cancel);
}
RadiusCurve run_radius(const MetricInputs& in, const CancelToken* cancel) {
  if (in.database.count == 0) fail("ERR_ASCMH_EMPTY", "the database is empty");
  return precision_recall_by_radius(in.queries, in.database, in.options, cancel);
}

MapResult run_map_asymmetric(const MetricInputs& in, const CancelToken* cancel) {
  if (in.database.count == 0) fail("ERR_ASCMH_EMPTY", "the database is empty");
  const ProjectionQueries queries{in.query_projections.data(), in.queries.labels, in.queries.count};
  return mean_average_precision_asymmetric(queries, in.database, in.options, cancel);
}

// The sync and async forms of one metric.
template <class Result, Result (*Run)(const MetricInputs&, const CancelToken*),
          Napi::Value (*ToJs)(Napi::Env, const Result&), bool NeedsNs, bool Projections = false>
struct Metric {
  static Napi::Value sync(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&] { return ToJs(info.Env(), Run(*parse(info, NeedsNs, Projections), nullptr)); });
  }
  static Napi::Value async(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      auto in = parse(info, NeedsNs, Projections);
      JobTicket ticket(env);
      return Job<Result>::start(
          env, "ascmh:metrics", [in](const CancelToken& cancel) { return Run(*in, &cancel); },
          [](Napi::Env e, Result& r) { return ToJs(e, r); }, ticket);
    });
  }
};

using Map = Metric<MapResult, run_map, map_js, false>;
using TopN = Metric<TopNResult, run_top_n, top_n_js, true>;
using Radius = Metric<RadiusCurve, run_radius, radius_js, false>;
using MapAsymmetric = Metric<MapResult, run_map_asymmetric, map_js, false, true>;

}  // namespace

void InitEvaluate(Napi::Env env, Napi::Object exports) {
  exports.Set("meanAveragePrecision", Napi::Function::New(env, Map::sync, "meanAveragePrecision"));
  exports.Set("meanAveragePrecisionAsync", Napi::Function::New(env, Map::async, "meanAveragePrecisionAsync"));
  exports.Set("meanAveragePrecisionAsymmetric", Napi::Function::New(env, MapAsymmetric::sync, "meanAveragePrecisionAsymmetric"));
  exports.Set("meanAveragePrecisionAsymmetricAsync",
              Napi::Function::New(env, MapAsymmetric::async, "meanAveragePrecisionAsymmetricAsync"));
  exports.Set("precisionRecallAtN", Napi::Function::New(env, TopN::sync, "precisionRecallAtN"));
  exports.Set("precisionRecallAtNAsync", Napi::Function::New(env, TopN::async, "precisionRecallAtNAsync"));
  exports.Set("precisionRecallByRadius", Napi::Function::New(env, Radius::sync, "precisionRecallByRadius"));
  exports.Set("precisionRecallByRadiusAsync", Napi::Function::New(env, Radius::async, "precisionRecallByRadiusAsync"));
}

}  // namespace ascmh
