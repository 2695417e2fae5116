#!/usr/bin/env python3
"""Generate the demo "malaria_lstm" ONNX models, the model registry and Predict samples.

Run:
    python3 -m pip install onnx numpy
    scripts/make_demo_models.py [--out-dir DIR] [--verify]

Writes DIR/models/malaria_lstm/<version>.onnx, DIR/models/registry.toml and
DIR/config/samples/*.json; DIR defaults to the repository root.

No real data and no deep-learning framework: the data set is synthetic (seeded numpy) and
each model is an echo-state style LSTM: fixed random LSTM weights, with only the logistic
output head fitted by gradient descent in numpy. Output files are byte-for-byte
deterministic.

--verify (needs `python3 -m pip install onnxruntime`) runs every model in onnxruntime,
checks it against the numpy forward pass, measures held-out accuracy / F1 and the mean
single-row latency, and writes those into the manifest. Without --verify, accuracy / F1
come from the numpy forward pass and inference_time_ms is kept from the existing manifest.
"""
import argparse
import hashlib
import json
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FAMILY = "malaria_lstm"
FAMILY_DESCRIPTION = "LSTM over 8 time steps x 4 features -> probability of malaria"
T, F = 8, 4                      # time steps, features
N_TRAIN, N_TEST = 4000, 2000
DATA_SEED, LABEL_NOISE = 7, 0.05
TIMING_CALLS = 2000

# Ascending version order. Reservoir: hidden size, seed, input scale, spectral radius of
# each recurrent gate block, forget-gate bias.
VERSIONS = [
    dict(version="1.9.3", hidden=8, seed=2, w_in=0.5, rho=0.9, forget_bias=2.0,
         stage="Archived", aliases=[], created="2026-02-03T09:41:00Z",
         description="old architecture generation: H=8 saturating reservoir"),
    dict(version="2.0.5", hidden=16, seed=3, w_in=0.25, rho=0.5, forget_bias=0.0,
         stage="Production", aliases=["champion"], created="2026-05-19T14:05:00Z",
         description="H=16 reservoir LSTM with logistic head"),
    dict(version="2.1.0", hidden=24, seed=3, w_in=0.1, rho=0.9, forget_bias=1.0,
         stage="Staging", aliases=["challenger"], created="2026-08-27T11:30:00Z",
         description="H=24 reservoir with forget-gate bias, refitted head"),
    dict(version="2.1.1", degrade="2.1.0",
         stage="None", aliases=["candidate"], created="2026-09-14T10:12:00Z",
         description="deliberately degraded head: demo of a bad candidate"),
]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def make_data(n, seed):
    """Sequences [n, 8, 4] (standardized, rounded to 4 decimals) and 0/1 labels."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, T, F))
    base = rng.normal(0.0, 1.0, n)            # per-patient temperature baseline
    growth = rng.normal(0.0, 0.5, n)          # per-patient parasite growth rate
    e = rng.normal(0.0, 1.0, (n, T, F))
    prev = np.zeros((n, F))
    for t in range(T):
        x[:, t, 0] = 0.6 * base + 0.4 * prev[:, 0] + 0.5 * e[:, t, 0]  # temperature
        x[:, t, 1] = prev[:, 1] + growth + 0.4 * e[:, t, 1]            # parasite density
        x[:, t, 2] = 0.7 * prev[:, 2] + 0.6 * e[:, t, 2]               # fever index
        x[:, t, 3] = 0.8 * prev[:, 3] + 0.6 * e[:, t, 3]               # humidity (distractor)
        prev = x[:, t]
    x = np.round((x - x.mean((0, 1))) / x.std((0, 1)), 4)
    score = x[:, 4:, 1].mean(1) + 0.5 * x[:, 7, 2] - 0.3 * x[:, 0, 0]
    y = (score > np.quantile(score, 0.55)).astype(np.int64)
    flip = rng.random(n) < LABEL_NOISE
    y[flip] = 1 - y[flip]
    return x.astype(np.float32), y


def make_reservoir(hidden, seed, w_in, rho, forget_bias):
    """ONNX-layout LSTM weights: W [1,4H,F], R [1,4H,H], B [1,8H]; gate order i,o,f,c."""
    rng = np.random.default_rng(seed)
    W = rng.uniform(-w_in, w_in, (4 * hidden, F))
    R = rng.normal(0.0, 1.0, (4 * hidden, hidden))
    for g in range(4):
        block = R[g * hidden:(g + 1) * hidden]
        block *= rho / np.max(np.abs(np.linalg.eigvals(block)))
    B = np.zeros(8 * hidden)
    B[2 * hidden:3 * hidden] = forget_bias    # Wb of the forget gate
    return [a[None].astype(np.float32) for a in (W, R, B)]


def lstm_final_state(x, W, R, B):
    """Numpy LSTM (ONNX defaults: sigmoid / tanh / tanh, no peepholes) -> Y_h [n, H]."""
    W, R, B = (a[0].astype(np.float64) for a in (W, R, B))
    H = R.shape[1]
    b = B[:4 * H] + B[4 * H:]
    h = np.zeros((x.shape[0], H))
    c = np.zeros_like(h)
    for t in range(x.shape[1]):
        z = x[:, t].astype(np.float64) @ W.T + h @ R.T + b
        i, o, f = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), sigmoid(z[:, 2 * H:3 * H])
        c = f * c + i * np.tanh(z[:, 3 * H:])
        h = o * np.tanh(c)
    return h


def fit_head(h, y, steps=4000, lr=0.5, l2=1e-3):
    """Logistic regression by plain gradient descent on standardized states."""
    mu, sd = h.mean(0), h.std(0) + 1e-8
    z = (h - mu) / sd
    w, b = np.zeros(h.shape[1]), 0.0
    for _ in range(steps):
        g = sigmoid(z @ w + b) - y
        w -= lr * (z.T @ g / len(y) + l2 * w)
        b -= lr * g.mean()
    return (w / sd)[:, None].astype(np.float32), np.array([b - (mu / sd) @ w], np.float32)


def degrade_head(w, b, seed=211):
    """Shrink and jitter the weights and push the bias up: skewed towards 'positive'."""
    rng = np.random.default_rng(seed)
    w2 = 0.5 * w + rng.normal(0.0, 0.5 * float(w.std()), w.shape)
    return w2.astype(np.float32), (b + 1.2).astype(np.float32)


def forward(x, p):
    return sigmoid(lstm_final_state(x, p["W"], p["R"], p["B"]) @ p["w"].astype(np.float64)
                   + p["b"].astype(np.float64))


def build_model(v, p):
    H = p["R"].shape[2]
    inits = [numpy_helper.from_array(a, name) for name, a in [
        ("lstm_W", p["W"]), ("lstm_R", p["R"]), ("lstm_B", p["B"]),
        ("squeeze_axes", np.array([0], np.int64)), ("head_W", p["w"]), ("head_b", p["b"])]]
    nodes = [
        helper.make_node("Transpose", ["input"], ["x_tbf"], perm=[1, 0, 2]),
        helper.make_node("LSTM", ["x_tbf", "lstm_W", "lstm_R", "lstm_B"], ["", "Y_h"],
                         hidden_size=H, direction="forward"),
        helper.make_node("Squeeze", ["Y_h", "squeeze_axes"], ["h_last"]),
        helper.make_node("MatMul", ["h_last", "head_W"], ["logit_raw"]),
        helper.make_node("Add", ["logit_raw", "head_b"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes, f"{FAMILY}_{v['version']}",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch_size", T, F])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch_size", 1])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)],
                              producer_name="modeldeck make_demo_models.py",
                              producer_version="1", doc_string=v["description"])
    model.ir_version = 8
    helper.set_model_props(model, {"version": v["version"], "model_name": FAMILY,
                                   "description": v["description"]})
    onnx.checker.check_model(model, full_check=True)
    return model


def metrics(prob, y):
    pred = (prob.ravel() > 0.5).astype(np.int64)
    tp = int(((pred == 1) & (y == 1)).sum())
    precision, recall = tp / max(pred.sum(), 1), tp / max(y.sum(), 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-12)
    return float((pred == y).mean()), float(f1)


def verify(models, params, x_te, y_te, samples):
    """Check each model in onnxruntime; return {version: (accuracy, f1, ms)}."""
    import onnxruntime as ort
    print(f"onnxruntime {ort.__version__}")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    out = {}
    for ver, model in models.items():
        sess = ort.InferenceSession(model.SerializeToString(), opts,
                                    providers=["CPUExecutionProvider"])
        ref = forward(x_te, params[ver])
        for n in (1, 32):
            got = sess.run(["output"], {"input": x_te[:n]})[0]
            assert got.shape == (n, 1) and got.min() >= 0 and got.max() <= 1
            err = float(np.abs(got - ref[:n]).max())
            assert err < 1e-5, (ver, n, err)
        prob = sess.run(["output"], {"input": x_te})[0]
        err = float(np.abs(prob - ref).max())
        assert err < 1e-5 and np.array_equal(prob > 0.5, ref > 0.5), (ver, err)
        for name, s in samples.items():    # the JSON numbers are exactly the model inputs
            xs = np.array(s["inputs"], np.float32)
            got = sess.run(["output"], {"input": xs})[0]
            assert np.abs(got - forward(xs, params[ver])).max() < 1e-5, (ver, name)
        row = x_te[:1]
        for _ in range(200):
            sess.run(["output"], {"input": row})
        t0 = time.perf_counter()
        for _ in range(TIMING_CALLS):
            sess.run(["output"], {"input": row})
        ms = (time.perf_counter() - t0) * 1000 / TIMING_CALLS
        out[ver] = (*metrics(prob, y_te), ms)
        print(f"  {ver}: ort vs numpy max |diff| {err:.2e}; acc {out[ver][0]:.3f} "
              f"f1 {out[ver][1]:.3f} {ms:.3f} ms/row")
    return out


def sample_json(description, x, y):
    def num(v):
        return repr(round(float(v), 4) + 0.0)  # + 0.0 turns -0.0 into 0.0
    items = ",\n".join("    [\n" + ",\n".join(
        "      [" + ", ".join(num(v) for v in step) + "]" for step in seq) + "\n    ]"
        for seq in x)
    return (f'{{\n  "description": {json.dumps(description)},\n  "input_name": "input",\n'
            f'  "shape": [{len(x)}, {T}, {F}],\n  "inputs": [\n{items}\n  ],\n'
            f'  "labels": {json.dumps([int(v) for v in y])}\n}}\n')


def registry_toml(results):
    q = json.dumps
    lines = [
        "# modeldeck local model registry (generated by scripts/make_demo_models.py; edit freely)",
        f"# Metrics were measured by that script on its synthetic held-out set ({N_TEST} rows):",
        "# accuracy and f1_score at threshold 0.5; inference_time_ms is the mean latency of",
        f"# one single-row onnxruntime call (CPU, 1 thread, mean of {TIMING_CALLS}) on the",
        "# machine that last ran it with --verify.",
        "schema = 1", "", "[[models]]", f"name = {q(FAMILY)}",
        f"description = {q(FAMILY_DESCRIPTION)}"]
    for v in VERSIONS:
        acc, f1, ms = results[v["version"]]
        seed = f"{FAMILY}/{v['version']}/{v['created']}".encode()
        run_id = hashlib.sha256(seed).hexdigest()[:32]
        lines += ["", "[[models.versions]]", f"version = {q(v['version'])}",
                  f"stage = {q(v['stage'])}", f"aliases = {q(v['aliases'])}",
                  f"file = {q(FAMILY + '/' + v['version'] + '.onnx')}",
                  f"created = {q(v['created'])}",
                  f"run_id = {q(run_id)}", f"description = {q(v['description'])}",
                  "[models.versions.metrics]", f"accuracy = {acc:.3f}",
                  f"f1_score = {f1:.3f}", f"inference_time_ms = {ms:.3f}"]
    return "\n".join(lines) + "\n"


def previous_times(path):
    if not path.exists():
        return {}
    doc = tomllib.loads(path.read_text())
    return {v["version"]: v["metrics"]["inference_time_ms"]
            for m in doc.get("models", []) if m.get("name") == FAMILY
            for v in m.get("versions", []) if "inference_time_ms" in v.get("metrics", {})}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent.parent)
    ap.add_argument("--verify", action="store_true", help="check and time with onnxruntime")
    args = ap.parse_args()

    x, y = make_data(N_TRAIN + N_TEST, DATA_SEED)
    x_tr, y_tr, x_te, y_te = x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:]
    print(f"data: {len(x)} sequences, {y.mean():.1%} positive, held-out {N_TEST}")

    params, models, probs = {}, {}, {}
    for v in VERSIONS:
        if "degrade" in v:
            p = dict(params[v["degrade"]])
            p["w"], p["b"] = degrade_head(p["w"], p["b"])
        else:
            W, R, B = make_reservoir(v["hidden"], v["seed"], v["w_in"], v["rho"], v["forget_bias"])
            w, b = fit_head(lstm_final_state(x_tr, W, R, B), y_tr)
            p = dict(W=W, R=R, B=B, w=w, b=b)
        params[v["version"]], models[v["version"]] = p, build_model(v, p)
        probs[v["version"]] = forward(x_te, p)

    # Samples: rows that 2.0.5 and 2.1.0 both classify correctly and confidently.
    p0, p1 = probs["2.0.5"].ravel(), probs["2.1.0"].ravel()
    pos = np.flatnonzero((y_te == 1) & (p0 > 0.9) & (p1 > 0.9))[0]
    neg = np.flatnonzero((y_te == 0) & (p0 < 0.1) & (p1 < 0.1))[0]
    samples = {
        "single_positive": sample_json("one held-out row labelled positive (malaria)",
                                       x_te[pos:pos + 1], y_te[pos:pos + 1]),
        "single_negative": sample_json("one held-out row labelled negative (no malaria)",
                                       x_te[neg:neg + 1], y_te[neg:neg + 1]),
        "batch_32": sample_json("the first 32 held-out rows with their (noisy) labels",
                                x_te[:32], y_te[:32]),
    }

    registry = args.out_dir / "models" / "registry.toml"
    if args.verify:
        results = verify(models, params, x_te, y_te,
                         {k: json.loads(s) for k, s in samples.items()})
    else:
        old = previous_times(registry)
        results = {ver: (*metrics(probs[ver], y_te), old.get(ver, 0.0)) for ver in models}
        if len(old) < len(models):
            print("note: no measured inference_time_ms yet; run with --verify", file=sys.stderr)

    (args.out_dir / "models" / FAMILY).mkdir(parents=True, exist_ok=True)
    (args.out_dir / "config" / "samples").mkdir(parents=True, exist_ok=True)
    for ver, model in models.items():
        path = args.out_dir / "models" / FAMILY / f"{ver}.onnx"
        path.write_bytes(model.SerializeToString())
        acc, f1, ms = results[ver]
        print(f"{path}: {path.stat().st_size} bytes, acc {acc:.3f} f1 {f1:.3f} {ms:.3f} ms")
    for name, text in samples.items():
        (args.out_dir / "config" / "samples" / f"{name}.json").write_text(text)
    registry.write_text(registry_toml(results))
    tomllib.loads(registry.read_text())   # must stay valid TOML
    print(f"wrote {registry}")


if __name__ == "__main__":
    main()
