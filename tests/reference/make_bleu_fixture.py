#!/usr/bin/python3
"""make_bleu_fixture.py — reference values for the caption metrics (text/metrics.c).

Builds seeded caption corpora from a shapes-world vocabulary and writes
  tests/fixtures/bleu_nltk.json  corpus BLEU-4 from NLTK's corpus_bleu (default
                                 weights, no smoothing) plus the corpus precisions,
                                 match/total counts, lengths and brevity penalty;
  tests/fixtures/cider_ref.json  CIDEr-D per item and for the corpus, from the
                                 independent implementation below, written from the
                                 definition in coco-caption's cider_scorer.py.

Corpora:
  main        80 items with 1-5 references each: perfect copies, word substitutions,
              dropped words, swapped objects, repeated words (clipping), short
              hypotheses (brevity penalty, hypotheses shorter than 4 words), one
              hypothesis longer than all its references, random word salads and
              one empty hypothesis.
  zero_4gram  12 items whose hypotheses share words and some bigrams with their
              references but no 4-gram, so NLTK's 4-gram precision is 0 and its
              corpus BLEU collapses to about 1e-77.

Run with Debian's python (it has python3-nltk):
  /usr/bin/python3 tests/reference/make_bleu_fixture.py
"""

import json
import math
import os
import random
import warnings
from collections import Counter, defaultdict

import nltk
from nltk.translate.bleu_score import (
    brevity_penalty,
    closest_ref_length,
    corpus_bleu,
    modified_precision,
)

SEED = 20240611
SIZES = ["small", "large"]
COLOURS = ["red", "green", "blue", "yellow", "purple", "orange", "white", "cyan"]
SHAPES = ["circle", "square", "triangle", "diamond", "star", "cross"]
RELATIONS = [("left", "of"), ("right", "of"), ("above",), ("below",)]
CONVERSE = {("left", "of"): ("right", "of"), ("right", "of"): ("left", "of"),
            ("above",): ("below",), ("below",): ("above",)}
VOCAB = ["a", ",", "and", "left", "right", "of", "above", "below"] + SIZES + COLOURS + SHAPES


def rand_object(rng):
    return [rng.choice(SIZES), rng.choice(COLOURS), rng.choice(SHAPES)]


def np_words(obj, with_size=True):
    """'a large red circle' (or without the size word) as a word list."""
    return ["a"] + (obj if with_size else obj[1:])


def scene_references(rng):
    """A random scene and a pool of valid reference captions (word lists)."""
    k = rng.choice([1, 2, 2, 3])
    objs = [rand_object(rng) for _ in range(k)]
    pool = []
    if k == 1:
        pool.append(np_words(objs[0]))
        pool.append(np_words(objs[0], with_size=False))
    elif k == 2:
        rel = rng.choice(RELATIONS)
        pool.append(np_words(objs[0]) + list(rel) + np_words(objs[1]))
        pool.append(np_words(objs[1]) + list(CONVERSE[rel]) + np_words(objs[0]))
        pool.append(np_words(objs[0], False) + list(rel) + np_words(objs[1], False))
        pool.append(np_words(objs[1], False) + list(CONVERSE[rel]) + np_words(objs[0], False))
    else:
        pool.append(np_words(objs[0]) + [","] + np_words(objs[1]) + ["and"] + np_words(objs[2]))
        pool.append(np_words(objs[0], False) + [","] + np_words(objs[1], False) + ["and"]
                    + np_words(objs[2], False))
        pool.append(np_words(objs[0]) + ["and"] + np_words(objs[2]))
        pool.append(np_words(objs[1]) + [","] + np_words(objs[0]) + ["and"] + np_words(objs[2]))
        pool.append(np_words(objs[2]) + ["and"] + np_words(objs[1]))
    n_refs = rng.randint(1, min(5, len(pool)))
    return objs, rng.sample(pool, n_refs)


def substitute(rng, words, count):
    """Replaces count size/colour/shape words by another word of the same kind."""
    out = list(words)
    spots = [i for i, w in enumerate(out) if w in SIZES + COLOURS + SHAPES]
    for i in rng.sample(spots, min(count, len(spots))):
        kind = SIZES if out[i] in SIZES else COLOURS if out[i] in COLOURS else SHAPES
        out[i] = rng.choice([w for w in kind if w != out[i]])
    return out


def make_hypothesis(rng, kind, refs):
    """A hypothesis of the given kind for these references (a word list)."""
    base = rng.choice(refs)
    if kind == "perfect":
        return list(base)
    if kind == "substitute":
        return substitute(rng, base, rng.randint(1, 2))
    if kind == "drop":
        out = list(base)
        del out[rng.randrange(len(out))]
        return out
    if kind == "short":
        return base[: rng.randint(1, 3)]
    if kind == "long":
        longest = max(len(r) for r in refs)
        out = list(base)
        while len(out) <= longest + 1:
            out += ["and"] + np_words(rand_object(rng))
        return out
    if kind == "repeat":
        return [w for w in base[:3] for _ in range(2)] + base[3:]
    if kind == "swap":
        out = list(base)
        i, j = rng.sample(range(len(out)), 2)
        out[i], out[j] = out[j], out[i]
        return out
    if kind == "salad":
        return [rng.choice(VOCAB) for _ in range(rng.randint(3, 9))]
    if kind == "empty":
        return []
    raise ValueError(kind)


def main_corpus(rng):
    kinds = ["perfect", "substitute", "drop", "short", "repeat", "swap", "salad", "substitute"]
    hyps, refss = [], []
    for i in range(80):
        _, refs = scene_references(rng)
        kind = kinds[i % len(kinds)]
        if i == 37:
            kind = "long"
        if i == 53:
            kind = "empty"
        hyps.append(make_hypothesis(rng, kind, refs))
        refss.append(refs)
    return hyps, refss


def has_common_4gram(hyp, refs):
    grams = {tuple(hyp[i:i + 4]) for i in range(len(hyp) - 3)}
    return any(tuple(r[i:i + 4]) in grams for r in refs for i in range(len(r) - 3))


def zero_4gram_corpus(rng):
    """Hypotheses that match words (and some bigrams) of their references but no 4-gram."""
    hyps, refss = [], []
    while len(hyps) < 12:
        _, refs = scene_references(rng)
        base = rng.choice(refs)
        if len(hyps) % 3 == 0:
            hyp = base[:3]                       # too short for any 4-gram
        else:
            hyp = list(base)
            rng.shuffle(hyp)
        if has_common_4gram(hyp, refs):
            continue
        hyps.append(hyp)
        refss.append(refs)
    return hyps, refss


def nltk_bleu(hyps, refss):
    """NLTK's corpus BLEU-4 and the corpus counts it is made of (same loop as corpus_bleu)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # method0 warns when an order has no match
        bleu = corpus_bleu(refss, hyps)
    matches, totals = [0] * 4, [0] * 4
    hyp_len = ref_len = 0
    for refs, hyp in zip(refss, hyps):
        for n in range(1, 5):
            p = modified_precision(refs, hyp, n)
            matches[n - 1] += p.numerator
            totals[n - 1] += p.denominator
        hyp_len += len(hyp)
        ref_len += closest_ref_length(refs, len(hyp))
    return {
        "bleu": float(bleu),
        "precisions": [m / t for m, t in zip(matches, totals)],
        "matches": matches,
        "totals": totals,
        "brevity_penalty": float(brevity_penalty(ref_len, hyp_len)),
        "hyp_len": hyp_len,
        "ref_len": ref_len,
    }


def ngram_counts(words, n=4):
    """Counts of all n-grams of orders 1..n, in order of first appearance per order."""
    counts = {}
    for k in range(1, n + 1):
        for i in range(len(words) - k + 1):
            g = tuple(words[i:i + k])
            counts[g] = counts.get(g, 0) + 1
    return counts


def cider_d(hyps, refss, n=4, sigma=6.0):
    """CIDEr-D per item, following coco-caption's cider_scorer.py (the CIDEr-D variant)."""
    ref_counts = [[ngram_counts(r, n) for r in refs] for refs in refss]
    df = defaultdict(float)
    for refs in ref_counts:  # an n-gram counts once per item
        for g in set(g for rc in refs for g in rc):
            df[g] += 1.0
    log_n = math.log(float(len(refss)))

    def to_vec(counts):
        vec = [dict() for _ in range(n)]
        norm = [0.0] * n
        bigrams = 0
        for g, tf in counts.items():
            k = len(g) - 1
            vec[k][g] = float(tf) * (log_n - math.log(max(1.0, df[g])))
            norm[k] += vec[k][g] ** 2
            if k == 1:  # cider_scorer.py measures length in bigrams
                bigrams += tf
        return vec, [math.sqrt(x) for x in norm], bigrams

    scores = []
    for hyp, refs in zip(hyps, ref_counts):
        vh, nh, lh = to_vec(ngram_counts(hyp, n))
        total = [0.0] * n
        for rc in refs:
            vr, nr, lr = to_vec(rc)
            delta = float(lh - lr)
            for k in range(n):
                val = sum(min(v, vr[k].get(g, 0.0)) * vr[k].get(g, 0.0) for g, v in vh[k].items())
                if nh[k] != 0 and nr[k] != 0:
                    val /= nh[k] * nr[k]
                total[k] += val * math.exp(-(delta ** 2) / (2 * sigma ** 2))
        scores.append(sum(total) / n / len(refs) * 10.0)
    return scores


def main():
    rng = random.Random(SEED)
    corpora = [("main",) + main_corpus(rng), ("zero_4gram",) + zero_4gram_corpus(rng)]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
    bleu_out = {"generator": "tests/reference/make_bleu_fixture.py", "seed": SEED,
                "nltk_version": nltk.__version__, "corpora": []}
    cider_out = {"generator": "tests/reference/make_bleu_fixture.py", "seed": SEED,
                 "definition": "coco-caption cider_scorer.py (CIDEr-D), n=4, sigma=6, df from the refs",
                 "corpora": []}
    for name, hyps, refss in corpora:
        b = nltk_bleu(hyps, refss)
        if name == "zero_4gram":
            assert b["matches"][3] == 0 and b["matches"][0] > 0 and b["bleu"] < 1e-70, b
        else:
            assert b["matches"][3] > 0 and b["brevity_penalty"] < 1.0, b
        hyp_s = [" ".join(h) for h in hyps]
        ref_s = [[" ".join(r) for r in refs] for refs in refss]
        bleu_out["corpora"].append(dict(name=name, hyps=hyp_s, refs=ref_s, **b))
        scores = cider_d(hyps, refss)
        cider_out["corpora"].append(dict(name=name, hyps=hyp_s, refs=ref_s, scores=scores,
                                         cider=sum(scores) / len(scores)))
        print(f"{name}: {len(hyps)} items, BLEU-4 {b['bleu']:.6g}, CIDEr-D {sum(scores) / len(scores):.6g}, "
              f"matches {b['matches']} totals {b['totals']} BP {b['brevity_penalty']:.6g}")
    for fname, obj in (("bleu_nltk.json", bleu_out), ("cider_ref.json", cider_out)):
        with open(os.path.join(root, fname), "w") as f:
            json.dump(obj, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
