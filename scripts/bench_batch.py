"""A batch job end to end, as an operator would run it: 200,000 rows of
CSV in, one prediction per row out as CSV, by `modeldeck predict` and by
the same job written with Python onnxruntime and numpy. Runs alternate
(A, B, A, B, ...) so both see the same machine; prints medians and the
ratio. Usage: bench_batch.py MODELDECK_BINARY"""
import json, os, pathlib, statistics, subprocess, sys, tempfile, time

import numpy as np

MODEL = "models/malaria_lstm/2.0.5.onnx"
ROWS, BATCH, TURNS = 200_000, 1024, 5

PYTHON_JOB = f"""
import sys, numpy as np, onnxruntime as ort
o = ort.SessionOptions(); o.intra_op_num_threads = 1
s = ort.InferenceSession({MODEL!r}, o, providers=["CPUExecutionProvider"])
x = np.loadtxt(sys.argv[1], delimiter=",", dtype=np.float32).reshape(-1, 8, 4)
out = np.concatenate([s.run(None, {{"input": x[i:i + {BATCH}]}})[0] for i in range(0, len(x), {BATCH})])
rows = np.arange(1, len(x) + 1)
np.savetxt(sys.argv[2], np.column_stack([rows, out.ravel()]), delimiter=",", fmt=["%d", "%.8g"],
           header="row,output", comments="")
"""

def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as d:
        data = np.random.default_rng(5).normal(size=(ROWS, 32)).astype(np.float32)
        csv = os.path.join(d, "in.csv")
        np.savetxt(csv, data, delimiter=",", fmt="%.6g")
        jobs = {
            "modeldeck": [binary, "predict", "--model", MODEL, "--input", csv,
                          "--batch-size", str(BATCH), "--threads", "1", "--out", os.path.join(d, "a.csv")],
            "python": [sys.executable, "-c", PYTHON_JOB, csv, os.path.join(d, "b.csv")],
            # What every run pays before its first row: process start,
            # loading ONNX Runtime and the model.
            "start": [binary, "predict", "--model", MODEL, "--random", "1", "--threads", "1",
                      "--out", os.path.join(d, "c.csv")],
        }
        times = {name: [] for name in jobs}
        for _ in range(TURNS):
            for name, cmd in jobs.items():
                t = time.perf_counter()
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                times[name].append(time.perf_counter() - t)
        ours, theirs = statistics.median(times["modeldeck"]), statistics.median(times["python"])
        print(f"batch job, {ROWS} CSV rows in batches of {BATCH}: modeldeck {ours:.2f} s, "
              f"Python onnxruntime + numpy {theirs:.2f} s: modeldeck is {theirs / ours:.2f}x as fast "
              f"(medians of {TURNS} alternating runs)")
        # Inference alone for the same rows: the bare ort call at this batch
        # size, from the criterion run just before, times the calls.
        est = pathlib.Path(f"target/criterion/predict_batch_{BATCH}/bare_ort/new/estimates.json")
        if est.exists():
            bare = json.loads(est.read_text())["median"]["point_estimate"] / 1e9 * -(-ROWS // BATCH)
            start = statistics.median(times["start"])
            print(f"batch job against bare inference alone ({bare:.2f} s): {ours / bare:.2f}x its time, "
                  f"process start, CSV in and CSV out included; less the {start:.2f} s a one-row run "
                  f"takes to start: {(ours - start) / bare:.2f}x")

main()
