"""Multinomial logistic regression in place of the learned fallback's naive Bayes, judged
by the same leave-one-collection-out as bench/learned.py (tune split only).

An offline measurement, not a shipped model: it needs numpy and scipy, which the
project's venv does not hold (run it with any Python 3.11+ that has them; nothing is
installed for it). It reads the features bench/learned.py dumps, so it sees exactly the
rows, groups, rules' readings and tokens that bench does, and never a held-back row:

    PYTHONPATH=src .venv/bin/python bench/learned.py --stage-cause --dump=/tmp/dump.json
    python3 bench/learned_lr.py --dump=/tmp/dump.json [--min-df=3] [--c=10] [--norm=none|sqrt]
        [--cth=0.8,0.9] [--sth=0.8,0.9] [--causeth=0.9,0.99] [--cs]

For each collection holding a row open to the fallback (``--cs``: also a row whose cause
a rule read without a stage) both models are fitted (L-BFGS, L2 with strength 1/C,
binary features of the tokens kept in ``min-df`` training texts, ``--norm=sqrt`` scaling
each text by the square root of its tokens) on every other collection's tune texts;
prints, per pair of thresholds, the totals as bench/learned.py does (docs/explain.md,
"Session 16: learned3").
"""

import json
import sys
from collections import Counter

import numpy as np
import scipy.optimize as so
import scipy.sparse as sp

args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if "=" in a)
with open(args["dump"]) as fh:
    d = json.load(fh)
train, recs = d["train"], d["records"]
MIN_DF = int(args.get("min-df", 3))
C = float(args.get("c", 1.0))
NORM = args.get("norm", "sqrt")
CTH = [float(x) for x in args.get("cth", "0.8,0.9,0.95,0.97,0.99").split(",")]
STH = [float(x) for x in args.get("sth", "0.8,0.9,0.95,0.97,0.99").split(",")]
CAUSE_TH = [float(x) for x in args.get("causeth", "2").split(",")]  # >1: never


def feats(toks, cat=None):
    return list(toks) + ([f"<category {cat}>"] if cat else [])


def matrix(docs, vocab):
    idx = {t: i for i, t in enumerate(vocab)}
    rows, cols = [], []
    for r, toks in enumerate(docs):
        for t in toks:
            j = idx.get(t)
            if j is not None:
                rows.append(r)
                cols.append(j)
    X = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(docs), len(vocab)))
    n = np.asarray(X.sum(1)).ravel()
    if NORM == "sqrt":
        X = sp.diags(1 / np.sqrt(np.maximum(n, 1))) @ X
    elif NORM == "l1":
        X = sp.diags(1 / np.maximum(n, 1)) @ X
    return X.tocsr()


def fit(X, y, K, w0=None):
    n, V = X.shape
    Y = np.zeros((n, K))
    Y[np.arange(n), y] = 1

    def f(w):
        W = w[: V * K].reshape(V, K)
        b = w[V * K :]
        Z = X @ W + b
        Z -= Z.max(1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(1, keepdims=True)
        loss = -np.sum(Y * np.log(P + 1e-300)) + 0.5 / C * np.sum(W * W)
        G = P - Y
        gW = X.T @ G + W / C
        return loss, np.concatenate([gW.ravel(), G.sum(0)])

    w0 = np.zeros(V * K + K) if w0 is None else w0
    r = so.minimize(f, w0, jac=True, method="L-BFGS-B", options={"maxiter": 150})
    return r.x[: V * K].reshape(V, K), r.x[V * K :]


def model(rows, field):
    docs = [feats(r["tokens"], r["category"] if field == "stage" else None) for r in rows]
    df = Counter(t for dd in docs for t in set(dd))
    vocab = sorted(t for t, n in df.items() if n >= MIN_DF)
    labels = sorted({r[field] for r in rows})
    y = np.array([labels.index(r[field]) for r in rows])
    W, b = fit(matrix(docs, vocab), y, len(labels))
    return vocab, labels, W, b


def predict(m, toks):
    vocab, labels, W, b = m
    X = matrix([toks], vocab)
    z = (X @ W + b).ravel()
    z -= z.max()
    p = np.exp(z)
    p /= p.sum()
    i = int(p.argmax())
    return labels[i], float(p[i])


groups = sorted(
    {r["group"] for r in recs if r["open_category"] or (r["cause_stage"] and "--cs" in sys.argv)}
)
out = {}
for g in groups:
    rows = [r for r in train if r["group"] != g]
    mc, ms = model(rows, "category"), model(rows, "stage")
    for i, r in enumerate(recs):
        if r["group"] != g:
            continue
        o = {}
        if r["open_category"]:
            lab, p = predict(mc, r["tokens"])
            o["cat"] = (lab, p)
            o["st"] = {k: predict(ms, feats(r["tokens"], k)) for k in {lab, r["rule_category"]}}
        if r["cause_stage"]:
            o["cst"] = predict(ms, feats(r["tokens"], r["rule_category"]))
        out[i] = o
    print(g, len(out), flush=True, file=sys.stderr)
with open(args.get("save", "/tmp/learned_lr.json"), "w") as fh:
    json.dump({str(k): v for k, v in out.items()}, fh)
rc = sum(r["rule_category"] == r["category"] for r in recs)
rs = sum(r["rule_stage"] == r["stage"] for r in recs)
print(f"\nrules alone: {len(recs)} cat {rc} stage {rs}")
for ct in CTH:
    for st in STH:
        for cst in CAUSE_TH:
            tc = ts = 0
            fired = right = sfired = sright = cf = cr = 0
            for i, r in enumerate(recs):
                cat, stage = r["rule_category"], r["rule_stage"]
                o = out.get(i, {})
                if "cat" in o:
                    lab, p = o["cat"]
                    if lab not in ("ok", "other") and p >= ct:
                        cat = lab
                        fired += 1
                        right += lab == r["category"]
                        if r["open_stage"]:
                            sl, sp_ = o["st"][lab]
                            if sl != "none" and sp_ >= st:
                                stage = sl
                                sfired += 1
                                sright += sl == r["stage"]
                if "cst" in o and cat == r["rule_category"]:
                    sl, sp_ = o["cst"]
                    if sl != "none" and sp_ >= cst:
                        stage = sl
                        cf += 1
                        cr += sl == r["stage"]
                tc += cat == r["category"]
                ts += stage == r["stage"]
            print(
                f"cat th {ct} stage th {st} cause-stage th {cst}: "
                f"cat {tc} (+{tc - rc}) fired {fired} right {right} | "
                f"stage {ts} (+{ts - rs}) fired {sfired} right {sright} "
                f"cause-stage fired {cf} right {cr}"
            )
