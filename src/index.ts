/**
 * ascmh: cross-modal hashing for Node.js. Training (ASCMH, BATCH, SCRATCH, DDASH, CSMH), packed binary codes, Hamming and asymmetric search, durable indexes, retrieval metrics, and the file formats they use.
 * @module
 */
export { ASCMH, ascmhTrainer } from './train/ascmh.js';
export { BATCH, BATCH_DEFAULTS, batchTrainer } from './train/batch.js';
export type { BatchOptions, ResolvedBatchOptions } from './train/batch.js';
export { SCRATCH, SCRATCH_DEFAULTS, scratchTrainer } from './train/scratch.js';
export { CSMH, CSMH_DEFAULTS, csmhTrainer } from './train/csmh.js';
export type { CsmhFitControl, CsmhOptions, CsmhProgress, ResolvedCsmhOptions } from './train/csmh.js';
export type { ResolvedScratchOptions, ScratchOptions } from './train/scratch.js';
export { DDASH, DDASH_DEFAULTS, DDASH_FULL_QUERY_LIMIT, DDASH_QUERY_SAMPLE, ddashTrainer } from './train/ddash.js';
export type { DdashEpochProgress, DdashFitControl, DdashModelState, DdashOptions, DdashProgress, ResolvedDdashOptions } from './train/ddash.js';
export { METHODS, loadModel, train, trainers } from './train/trainers.js';
export type { AnyModel, MethodTypes } from './train/trainers.js';
export type { KernelOptions, OptionCheck, OptionTable } from './train/method-options.js';
export type { CrossModalHashModel, CrossModalTrainer, EncoderKind, HashFunctionParameters, InjectedDraws, LatentState, Method, MethodFitControl, MlpHashParameters, MethodModelState, MethodProgress, ModelState, SigmaRule, SignThreshold, TrainingData } from './train/model.js';
export type { AscmhOptions, FitControl, FitProgress, ResolvedOptions } from './train/ascmh-options.js';
export type { FitPhase, IterationTiming, PhaseProgress } from './train/fit-progress.js';
export { DEFAULTS as defaultOptions } from './train/ascmh-options.js';
export type { Codes, LabelMatrix, Matrix, Modality } from './core/matrix.js';
export { bytesPerCode, pickRows, sliceRows, unpackCode, wordsPerCode } from './core/matrix.js';
export { AscmhError } from './core/errors.js';
export { ERROR_CODES } from './core/error-codes.js';
export type { ErrorCode } from './core/error-codes.js';
export { memoryLimit, setMemoryLimit, setThreads, threads } from './core/limits.js';
export { HammingIndex } from './search/hamming-index.js';
export { RadiusResult, TopKResult, idsAsNumbers } from './search/search-results.js';
export type { IdArray, IdType, QueryResult, QueryResultJSON } from './search/search-results.js';
export { DurableHammingIndex } from './search/durable-index.js';
export type { Durability, DurableOpenOptions, DurableStats } from './search/durable-index.js';
export type { AsymmetricSearchOptions, AsymmetricSearchResult, Projections, HammingCodes, HammingIds, HammingIndexOptions, HammingRadiusOptions, HammingRadiusResult, HammingSearchOptions, HammingSearchResult } from './search/hamming-index.js';
export * as evaluate from './eval/evaluate.js';
export type { AsymmetricMapInput, CrossModalEvaluation, CrossModalOptions, MapInput, MapResult, Protocol, Ranking, RetrievalCurves } from './eval/evaluate.js';
export * as datasets from './data/datasets.js';
export type { Dataset, SyntheticOptions } from './data/datasets.js';
export { NpyRowReader, encodeNpy, parseNpy, readNpy } from './io/npy.js';
export type { NpyArray, NpyData, NpyDtype } from './io/npy.js';
export { listMatVariables, readMat } from './io/mat.js';
export type { MatMatrix } from './io/mat.js';
export { MAT_VARIABLES, loadMatDataset, openDataset, readFeatureFile, readLabelFile } from './io/data-files.js';
export type { DatasetPart, MatDatasetVariables } from './io/data-files.js';
export { CodesFileWriter, codesToRows, readCodesFile, rowsToCodes, writeCodesFile } from './io/codes-file.js';
export type { CodesFormat } from './io/codes-file.js';
export { renderLineChart } from './experiments/plot.js';
export { svgToPng } from './experiments/png.js';
export type { LineChart, Series } from './experiments/plot.js';
export { experimentFigures } from './experiments/figures.js';
export type { Figure, FigureContext } from './experiments/figures.js';
export { runExperiment } from './experiments/experiment.js';
export type { AveragedCurves, ExperimentRow, ExperimentSpec, RankingCells } from './experiments/experiment.js';
import { native } from './core/native.js';

/** The native build: OpenBLAS configuration, popcount kernel chosen for this CPU, source hash. */
export function buildInfo(): { sourceHash: string; blas: string; blasThreads: number; poolThreads: number; popcount: string; napiVersion: number } {
  return native.buildInfo();
}
