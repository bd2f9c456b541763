# numpy peer for bench/asymmetric.mjs: scores as a BLAS product of the projections with the
# database unpacked to +-1 float32 (unpacked before timing), then the top k by argpartition.
# usage: python3 numpy_asymmetric.py DB_FILE N Q_FILE NQ BITS K
import json, sys, time

import numpy as np

db_file, n, q_file, nq, bits, k = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
db = np.fromfile(db_file, dtype=np.uint8).reshape(n, bits // 8)
q = np.fromfile(q_file, dtype=np.float32).reshape(nq, bits)
signs = np.unpackbits(db, axis=1, bitorder='little').astype(np.float32) * 2 - 1
times = []
for _ in range(3):
    t0 = time.perf_counter()
    best = []
    for start in range(0, nq, 16):  # blocks of queries keep the score matrix in memory bounds
        s = q[start:start + 16] @ signs.T
        top = np.argpartition(-s, k, axis=1)[:, :k]
        best.append(np.take_along_axis(top, np.argsort(-np.take_along_axis(s, top, axis=1), axis=1, kind='stable'), axis=1))
    times.append(time.perf_counter() - t0)
print(json.dumps({"version": np.__version__, "seconds": sorted(times)[1], "first_ids": best[0][0, :5].tolist()}))
