export { ASCMH, ascmhTrainer } from './model.js';
export type { CrossModalHashModel, CrossModalTrainer, HashFunctionParameters, LatentState, TrainingData } from './model.js';
export type { AscmhOptions, FitControl, FitProgress } from './options.js';
export { DEFAULTS as defaultOptions } from './options.js';
export type { Codes, LabelMatrix, Matrix, Modality } from './matrix.js';
export { bytesPerCode, pickRows, sliceRows, unpackCode, wordsPerCode } from './matrix.js';
export { AscmhError } from './errors.js';
export { HammingIndex } from './hamming-index.js';
export type { HammingCodes, HammingIds, HammingIndexOptions, HammingRadiusOptions, HammingRadiusResult, HammingSearchOptions, HammingSearchResult } from './hamming-index.js';
export * as evaluate from './evaluate.js';
export type { CrossModalEvaluation, MapInput, MapResult, Protocol, RetrievalCurves } from './evaluate.js';
export * as datasets from './datasets.js';
export type { Dataset, SyntheticOptions } from './datasets.js';
export { NpyRowReader, encodeNpy, parseNpy, readNpy } from './npy.js';
export type { NpyArray, NpyDtype } from './npy.js';
export { listMatVariables, readMat } from './mat.js';
export type { MatMatrix } from './mat.js';
export { MAT_VARIABLES, loadMatDataset, openDataset, readFeatureFile, readLabelFile } from './data-files.js';
export type { MatDatasetVariables } from './data-files.js';
export { CodesFileWriter, codesToRows, readCodesFile, rowsToCodes, writeCodesFile } from './codes-file.js';
export { renderLineChart } from './plot.js';
export type { LineChart, Series } from './plot.js';
export { experimentFigures } from './figures.js';
export { runExperiment } from './experiment.js';
export type { AveragedCurves, ExperimentRow, ExperimentSpec } from './experiment.js';
import { native } from './native.js';

/** The native build: OpenBLAS configuration, popcount kernel chosen for this CPU, source hash. */
export function buildInfo(): { sourceHash: string; blas: string; blasThreads: number; poolThreads: number; popcount: string; napiVersion: number } {
  return native.buildInfo();
}
