# FAISS IndexBinaryFlat peer for bench/search.mjs: reads the codes that script wrote, prints JSON.
# usage: python3 faiss_search.py DB_FILE N Q_FILE NQ BITS K THREADS...
import json, sys, time

import faiss
import numpy as np

db_file, n, q_file, nq, bits, k = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
threads = [int(t) for t in sys.argv[7:]]
nbytes = bits // 8
db = np.fromfile(db_file, dtype=np.uint8).reshape(n, nbytes)
q = np.fromfile(q_file, dtype=np.uint8).reshape(nq, nbytes)
index = faiss.IndexBinaryFlat(bits)
index.add(db)
out = {"version": faiss.__version__, "build": faiss.get_compile_options(), "runs": []}
for t in threads:
    faiss.omp_set_num_threads(t)
    best = float("inf")
    for _ in range(2):
        t0 = time.perf_counter()
        D, I = index.search(q, k)
        best = min(best, time.perf_counter() - t0)
    out["runs"].append({"threads": t, "seconds": best, "first_ids": I[0, :5].tolist(), "first_d": D[0, :5].tolist()})
print(json.dumps(out))
