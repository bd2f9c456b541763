# FAISS peer for bench/asymmetric.mjs: the same lookup-table scan as product quantisation's ADC.
# An IndexPQ with one 8-bit sub-quantizer per byte of code, whose 256 centroids are the +-1
# patterns of those 8 bits, holds the codes as they are; inner-product search with a projection then
# scores sum_j p_j * (bit_j ? +1 : -1), as ascmh does.
# usage: python3 faiss_pq.py DB_FILE N Q_FILE NQ BITS K THREADS
import json, sys, time

import faiss
import numpy as np

db_file, n, q_file, nq, bits, k, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
m = bits // 8
db = np.fromfile(db_file, dtype=np.uint8).reshape(n, m)
q = np.fromfile(q_file, dtype=np.float32).reshape(nq, bits)
index = faiss.IndexPQ(bits, m, 8, faiss.METRIC_INNER_PRODUCT)
patterns = np.array([[1.0 if (v >> t) & 1 else -1.0 for t in range(8)] for v in range(256)], dtype=np.float32)
faiss.copy_array_to_vector(np.tile(patterns, (m, 1)).ravel(), index.pq.centroids)
index.is_trained = True
faiss.copy_array_to_vector(db.ravel(), index.codes)
index.ntotal = n
faiss.omp_set_num_threads(threads)
times = []
for _ in range(3):
    t0 = time.perf_counter()
    D, I = index.search(q, k)
    times.append(time.perf_counter() - t0)
print(json.dumps({"version": faiss.__version__, "seconds": sorted(times)[1], "first_ids": I[0, :5].tolist(), "first_scores": D[0, :5].tolist()}))
