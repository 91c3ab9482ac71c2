/* metrics.c — exact match, corpus BLEU-4 and CIDEr-D over tokenised captions.
 *
 * Every metric first builds a corpus: each caption becomes an array of word ids
 * (an open-addressing dictionary over the words' bytes) and, for BLEU and CIDEr,
 * an array of n-gram ids (an open-addressing table over up to four word ids), so
 * the scoring loops only index flat count arrays by n-gram id. */
#include "text/metrics.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ORDER 4
#define CIDER_SIGMA 6.0
#define ID_LIMIT ((size_t)UINT32_MAX - 1)

/* The tokenised captions of all items. Caption c of the corpus is item i's
 * hypothesis when c == item_cap[i], and its reference j when c == item_cap[i] + 1 + j. */
typedef struct {
    size_t n_items, n_caps;
    size_t *item_cap;    /* [n_items + 1] first caption of each item */
    size_t *cap_word;    /* [n_caps + 1] start of each caption in words */
    uint32_t *words;     /* word ids */
    size_t *cap_gram;    /* [n_caps + 1] start of each caption in grams (NULL: not built) */
    uint32_t *grams;     /* n-gram ids; per caption order 1 first, then 2, 3, 4 */
    size_t n_distinct;   /* distinct n-grams in the corpus */
    size_t max_cap_grams;/* the most n-grams in one caption */
} corpus;

/* An open-addressing table of slot -> id + 1 (0 = empty), capacity a power of two. */
typedef struct {
    uint32_t *slot;
    size_t mask;
} id_table;

/* True for the characters that separate words. */
static int is_space(char ch) {
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Finds the next word at or after *pos: sets *start and *len and advances *pos;
 * returns 0 when the string has no more words. */
static int next_word(const char *s, size_t *pos, size_t *start, size_t *len) {
    size_t i = *pos;
    while (s[i] && is_space(s[i])) i++;
    if (!s[i]) {
        *pos = i;
        return 0;
    }
    size_t b = i;
    while (s[i] && !is_space(s[i])) i++;
    *start = b;
    *len = i - b;
    *pos = i;
    return 1;
}

/* Number of words in s. */
static size_t count_words(const char *s) {
    size_t pos = 0, b, l, n = 0;
    while (next_word(s, &pos, &b, &l)) n++;
    return n;
}

/* Number of n-grams of orders 1..MAX_ORDER in a caption of len words. */
static size_t grams_in(size_t len) {
    size_t n = 0;
    for (size_t k = 1; k <= MAX_ORDER && k <= len; k++) n += len - k + 1;
    return n;
}

/* Offset of order k's n-grams inside a caption of len words (orders 1..k-1 come first). */
static size_t gram_offset(size_t len, size_t k) {
    size_t off = 0;
    for (size_t j = 1; j < k && j <= len; j++) off += len - j + 1;
    return off;
}

/* 64-bit FNV-1a of len bytes. */
static uint64_t hash_bytes(const char *s, size_t len) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* A mixed hash of an n-gram key (four word ids + 1, zero-padded). */
static uint64_t hash_gram(const uint32_t key[MAX_ORDER]) {
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (int k = 0; k < MAX_ORDER; k++) {
        h ^= key[k];
        h *= 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
    }
    return h;
}

/* Allocates a zeroed table with a power-of-two capacity of at least 2 * n slots. */
static int table_init(id_table *t, size_t n, nn_error *err, const char *who) {
    size_t cap = 16;
    while (cap < n || cap - n < n) {
        if (cap > SIZE_MAX / 4) return nn_fail(err, "%s: corpus too large for the hash table", who);
        cap *= 2;
    }
    t->slot = calloc(cap, sizeof *t->slot);
    if (!t->slot) return nn_fail(err, "%s: out of memory (hash table of %zu slots)", who, cap);
    t->mask = cap - 1;
    return 0;
}

/* The text of caption j of item it (j == 0: the hypothesis). */
static const char *caption_text(const txt_eval_item *it, size_t j) {
    return j == 0 ? it->hyp : it->refs[j - 1];
}

/* Checks the items and counts their captions into *n_caps. */
static int check_items(const txt_eval_item *items, size_t n, size_t *n_caps, nn_error *err,
                       const char *who) {
    if (!items || n == 0) return nn_fail(err, "%s: no captions to score", who);
    size_t caps = 0;
    for (size_t i = 0; i < n; i++) {
        const txt_eval_item *it = &items[i];
        if (!it->hyp) return nn_fail(err, "%s: item %zu has a NULL caption", who, i);
        if (it->n_refs == 0 || !it->refs) return nn_fail(err, "%s: item %zu has no references", who, i);
        for (size_t j = 0; j < it->n_refs; j++)
            if (!it->refs[j]) return nn_fail(err, "%s: item %zu reference %zu is NULL", who, i, j);
        if (it->n_refs > SIZE_MAX - 1 - caps) return nn_fail(err, "%s: too many captions", who);
        caps += 1 + it->n_refs;
    }
    *n_caps = caps;
    return 0;
}

/* Releases everything the corpus holds. */
static void corpus_free(corpus *C) {
    free(C->item_cap);
    free(C->cap_word);
    free(C->words);
    free(C->cap_gram);
    free(C->grams);
    memset(C, 0, sizeof *C);
}

/* Fills words with dictionary ids: equal words get equal ids. */
static int corpus_words(corpus *C, const txt_eval_item *items, nn_error *err, const char *who) {
    size_t total = C->cap_word[C->n_caps];
    id_table t = {NULL, 0};
    if (table_init(&t, total, err, who)) return -1;
    const char **wptr = malloc((total ? total : 1) * sizeof *wptr);
    size_t *wlen = malloc((total ? total : 1) * sizeof *wlen);
    if (!wptr || !wlen) {
        free(wptr);
        free(wlen);
        free(t.slot);
        return nn_fail(err, "%s: out of memory (dictionary of %zu words)", who, total);
    }
    size_t n_ids = 0, w = 0;
    for (size_t i = 0; i < C->n_items; i++) {
        for (size_t j = 0; j <= items[i].n_refs; j++) {
            const char *s = caption_text(&items[i], j);
            size_t pos = 0, b, l;
            while (next_word(s, &pos, &b, &l)) {
                size_t h = (size_t)hash_bytes(s + b, l) & t.mask;
                while (t.slot[h]) {
                    uint32_t id = t.slot[h] - 1;
                    if (wlen[id] == l && memcmp(wptr[id], s + b, l) == 0) break;
                    h = (h + 1) & t.mask;
                }
                if (!t.slot[h]) {
                    wptr[n_ids] = s + b;
                    wlen[n_ids] = l;
                    t.slot[h] = (uint32_t)(++n_ids);
                }
                C->words[w++] = t.slot[h] - 1;
            }
        }
    }
    free(wptr);
    free(wlen);
    free(t.slot);
    return 0;
}

/* Fills grams with n-gram ids of orders 1..MAX_ORDER for every caption. */
static int corpus_grams(corpus *C, nn_error *err, const char *who) {
    size_t total = 0, key_n;
    C->cap_gram = malloc((C->n_caps + 1) * sizeof *C->cap_gram);
    if (!C->cap_gram) return nn_fail(err, "%s: out of memory", who);
    for (size_t c = 0; c < C->n_caps; c++) {
        size_t g = grams_in(C->cap_word[c + 1] - C->cap_word[c]);
        C->cap_gram[c] = total;
        total += g;
        if (g > C->max_cap_grams) C->max_cap_grams = g;
    }
    C->cap_gram[C->n_caps] = total;
    if (total > ID_LIMIT) return nn_fail(err, "%s: corpus has more than %zu n-grams", who, ID_LIMIT);
    if (nn_mul_size(total ? total : 1, MAX_ORDER * sizeof(uint32_t), &key_n))
        return nn_fail(err, "%s: corpus too large", who);
    id_table t = {NULL, 0};
    if (table_init(&t, total, err, who)) return -1;
    uint32_t *keys = malloc(key_n);
    C->grams = malloc((total ? total : 1) * sizeof *C->grams);
    if (!keys || !C->grams) {
        free(keys);
        free(t.slot);
        return nn_fail(err, "%s: out of memory (%zu n-grams)", who, total);
    }
    size_t n_ids = 0, g = 0;
    for (size_t c = 0; c < C->n_caps; c++) {
        const uint32_t *w = C->words + C->cap_word[c];
        size_t len = C->cap_word[c + 1] - C->cap_word[c];
        for (size_t k = 1; k <= MAX_ORDER && k <= len; k++) {
            for (size_t i = 0; i + k <= len; i++) {
                uint32_t key[MAX_ORDER] = {0, 0, 0, 0};
                for (size_t q = 0; q < k; q++) key[q] = w[i + q] + 1;
                size_t h = (size_t)hash_gram(key) & t.mask;
                while (t.slot[h] && memcmp(keys + (size_t)(t.slot[h] - 1) * MAX_ORDER, key, sizeof key))
                    h = (h + 1) & t.mask;
                if (!t.slot[h]) {
                    memcpy(keys + n_ids * MAX_ORDER, key, sizeof key);
                    t.slot[h] = (uint32_t)(++n_ids);
                }
                C->grams[g++] = t.slot[h] - 1;
            }
        }
    }
    C->n_distinct = n_ids;
    free(keys);
    free(t.slot);
    return 0;
}

/* Tokenises all captions into C (and their n-grams when with_grams). */
static int corpus_build(corpus *C, const txt_eval_item *items, size_t n, int with_grams,
                        nn_error *err, const char *who) {
    memset(C, 0, sizeof *C);
    size_t n_caps = 0;
    if (check_items(items, n, &n_caps, err, who)) return -1;
    C->n_items = n;
    C->n_caps = n_caps;
    C->item_cap = malloc((n + 1) * sizeof *C->item_cap);
    C->cap_word = malloc((n_caps + 1) * sizeof *C->cap_word);
    if (!C->item_cap || !C->cap_word) {
        corpus_free(C);
        return nn_fail(err, "%s: out of memory (%zu captions)", who, n_caps);
    }
    size_t c = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        C->item_cap[i] = c;
        for (size_t j = 0; j <= items[i].n_refs; j++) {
            C->cap_word[c++] = total;
            total += count_words(caption_text(&items[i], j));
            if (total > ID_LIMIT) {
                corpus_free(C);
                return nn_fail(err, "%s: corpus has more than %zu words", who, ID_LIMIT);
            }
        }
    }
    C->item_cap[n] = c;
    C->cap_word[c] = total;
    C->words = malloc((total ? total : 1) * sizeof *C->words);
    if (!C->words) {
        corpus_free(C);
        return nn_fail(err, "%s: out of memory (%zu words)", who, total);
    }
    if (corpus_words(C, items, err, who) || (with_grams && corpus_grams(C, err, who))) {
        corpus_free(C);
        return -1;
    }
    return 0;
}

/* Words in caption c. */
static size_t cap_len(const corpus *C, size_t c) {
    return C->cap_word[c + 1] - C->cap_word[c];
}

/* The order-k n-gram ids of caption c into *ids; returns how many there are. */
static size_t cap_order(const corpus *C, size_t c, size_t k, const uint32_t **ids) {
    size_t len = cap_len(C, c);
    *ids = C->grams + C->cap_gram[c] + gram_offset(len, k);
    return len >= k ? len - k + 1 : 0;
}

int txt_exact_match(const txt_eval_item *items, size_t n, double *frac, nn_error *err) {
    corpus C;
    if (corpus_build(&C, items, n, 0, err, "txt_exact_match")) return -1;
    size_t hits = 0;
    for (size_t i = 0; i < n; i++) {
        size_t h = C.item_cap[i], len = cap_len(&C, h);
        for (size_t r = h + 1; r < C.item_cap[i + 1]; r++) {
            if (cap_len(&C, r) == len &&
                (len == 0 ||
                 memcmp(C.words + C.cap_word[h], C.words + C.cap_word[r], len * sizeof *C.words) == 0)) {
                hits++;
                break;
            }
        }
    }
    *frac = (double)hits / (double)n;
    corpus_free(&C);
    return 0;
}

/* Adds item i's clipped matches and n-gram totals of every order to s, and its
 * length and closest reference length. hc, mx, rc are zeroed count arrays
 * indexed by n-gram id and are zero again on return. */
static void bleu_item(txt_bleu_stats *s, const corpus *C, size_t i, uint32_t *hc, uint32_t *mx,
                      uint32_t *rc) {
    size_t h = C->item_cap[i], end = C->item_cap[i + 1];
    for (size_t k = 1; k <= MAX_ORDER; k++) {
        const uint32_t *hid, *rid;
        size_t nh = cap_order(C, h, k, &hid);
        for (size_t q = 0; q < nh; q++) hc[hid[q]]++;
        for (size_t r = h + 1; r < end; r++) {
            size_t nr = cap_order(C, r, k, &rid);
            for (size_t q = 0; q < nr; q++) rc[rid[q]]++;
            for (size_t q = 0; q < nh; q++)
                if (rc[hid[q]] > mx[hid[q]]) mx[hid[q]] = rc[hid[q]];
            for (size_t q = 0; q < nr; q++) rc[rid[q]] = 0;
        }
        for (size_t q = 0; q < nh; q++) {
            uint32_t id = hid[q];
            if (hc[id]) s->matches[k - 1] += hc[id] < mx[id] ? hc[id] : mx[id];
            hc[id] = 0;
            mx[id] = 0;
        }
        s->totals[k - 1] += nh > 0 ? nh : 1;
    }
    size_t len = cap_len(C, h), best = cap_len(C, h + 1);
    for (size_t r = h + 2; r < end; r++) {
        size_t rl = cap_len(C, r);
        size_t d = rl > len ? rl - len : len - rl, db = best > len ? best - len : len - best;
        if (d < db || (d == db && rl < best)) best = rl;
    }
    s->hyp_len += len;
    s->ref_len += best;
}

/* Turns the summed counts of s into precisions, brevity penalty and BLEU (NLTK 3.8). */
static void bleu_finish(txt_bleu_stats *s) {
    size_t c = s->hyp_len, r = s->ref_len;
    s->brevity = c > r ? 1.0 : c == 0 ? 0.0 : exp(1.0 - (double)r / (double)c);
    double logsum = 0.0;
    for (int k = 0; k < MAX_ORDER; k++) {
        s->precision[k] = (double)s->matches[k] / (double)s->totals[k];
        double p = s->matches[k] ? s->precision[k] : DBL_MIN;  /* NLTK method0 */
        logsum += 0.25 * log(p);
    }
    s->bleu = s->matches[0] == 0 ? 0.0 : s->brevity * exp(logsum);
}

int txt_bleu4_stats(const txt_eval_item *items, size_t n, txt_bleu_stats *stats, nn_error *err) {
    const char *who = "txt_bleu4";
    corpus C;
    if (corpus_build(&C, items, n, 1, err, who)) return -1;
    size_t m = C.n_distinct ? C.n_distinct : 1;
    uint32_t *hc = calloc(m, sizeof *hc), *mx = calloc(m, sizeof *mx), *rc = calloc(m, sizeof *rc);
    if (!hc || !mx || !rc) {
        free(hc);
        free(mx);
        free(rc);
        corpus_free(&C);
        return nn_fail(err, "%s: out of memory (%zu n-gram counters)", who, m);
    }
    txt_bleu_stats s;
    memset(&s, 0, sizeof s);
    for (size_t i = 0; i < n; i++) bleu_item(&s, &C, i, hc, mx, rc);
    bleu_finish(&s);
    *stats = s;
    free(hc);
    free(mx);
    free(rc);
    corpus_free(&C);
    return 0;
}

int txt_bleu4(const txt_eval_item *items, size_t n, double *bleu, nn_error *err) {
    txt_bleu_stats s;
    if (txt_bleu4_stats(items, n, &s, err)) return -1;
    *bleu = s.bleu;
    return 0;
}

/* Scratch for CIDEr-D: per n-gram id the idf weight and two count arrays, and
 * the distinct n-grams of the current hypothesis and reference. */
typedef struct {
    double *w;          /* [n_distinct] log(n_items) - log(max(1, df)) */
    uint32_t *hc, *rc;  /* [n_distinct] term counts of hypothesis / reference, kept zero between uses */
    uint32_t *hd, *rd;  /* [max_cap_grams] distinct n-gram ids, in order of first appearance */
} cider_scratch;

/* Releases the scratch arrays. */
static void cider_scratch_free(cider_scratch *S) {
    free(S->w);
    free(S->hc);
    free(S->rc);
    free(S->hd);
    free(S->rd);
}

/* Allocates the scratch and fills the idf weights from the references' document frequencies. */
static int cider_scratch_init(cider_scratch *S, const corpus *C, nn_error *err, const char *who) {
    size_t m = C->n_distinct ? C->n_distinct : 1, g = C->max_cap_grams ? C->max_cap_grams : 1;
    S->w = malloc(m * sizeof *S->w);
    S->hc = calloc(m, sizeof *S->hc);
    S->rc = calloc(m, sizeof *S->rc);
    S->hd = malloc(g * sizeof *S->hd);
    S->rd = malloc(g * sizeof *S->rd);
    size_t *last = calloc(m, sizeof *last);
    if (!S->w || !S->hc || !S->rc || !S->hd || !S->rd || !last) {
        free(last);
        cider_scratch_free(S);
        return nn_fail(err, "%s: out of memory (%zu n-grams)", who, m);
    }
    uint32_t *df = S->hc;  /* borrowed, zeroed again below */
    for (size_t i = 0; i < C->n_items; i++) {
        for (size_t c = C->item_cap[i] + 1; c < C->item_cap[i + 1]; c++) {
            for (size_t q = C->cap_gram[c]; q < C->cap_gram[c + 1]; q++) {
                uint32_t id = C->grams[q];
                if (last[id] != i + 1) {
                    last[id] = i + 1;
                    df[id]++;
                }
            }
        }
    }
    double ref_len = log((double)C->n_items);
    for (size_t id = 0; id < C->n_distinct; id++) {
        S->w[id] = ref_len - log(df[id] > 1 ? (double)df[id] : 1.0);
        df[id] = 0;
    }
    free(last);
    return 0;
}

/* Counts the order-k n-grams of caption c into cnt, lists the distinct ones in
 * first-appearance order into dist (returning how many) and their squared
 * tf-idf norm into *norm2. */
static size_t cider_vector(const corpus *C, size_t c, size_t k, const double *w, uint32_t *cnt,
                           uint32_t *dist, double *norm2) {
    const uint32_t *ids;
    size_t n = cap_order(C, c, k, &ids), nd = 0;
    for (size_t q = 0; q < n; q++)
        if (cnt[ids[q]]++ == 0) dist[nd++] = ids[q];
    double s = 0.0;
    for (size_t q = 0; q < nd; q++) {
        double v = (double)cnt[dist[q]] * w[dist[q]];
        s += v * v;
    }
    *norm2 = s;
    return nd;
}

/* CIDEr-D of item i. */
static double cider_item(const corpus *C, size_t i, cider_scratch *S) {
    size_t h = C->item_cap[i], end = C->item_cap[i + 1];
    size_t hlen = cap_len(C, h), hbig = hlen > 1 ? hlen - 1 : 0;
    double score[MAX_ORDER] = {0, 0, 0, 0};
    for (size_t k = 1; k <= MAX_ORDER; k++) {
        double hn2;
        size_t nh = cider_vector(C, h, k, S->w, S->hc, S->hd, &hn2);
        double hn = sqrt(hn2);
        for (size_t r = h + 1; r < end; r++) {
            size_t rlen = cap_len(C, r), rbig = rlen > 1 ? rlen - 1 : 0;
            double rn2;
            size_t nr = cider_vector(C, r, k, S->w, S->rc, S->rd, &rn2);
            double rn = sqrt(rn2), val = 0.0;
            for (size_t q = 0; q < nh; q++) {
                uint32_t id = S->hd[q];
                double vh = (double)S->hc[id] * S->w[id], vr = (double)S->rc[id] * S->w[id];
                val += (vh < vr ? vh : vr) * vr;
            }
            if (hn != 0.0 && rn != 0.0) val /= hn * rn;
            double delta = (double)hbig - (double)rbig;
            val *= exp(-(delta * delta) / (2.0 * CIDER_SIGMA * CIDER_SIGMA));
            score[k - 1] += val;
            for (size_t q = 0; q < nr; q++) S->rc[S->rd[q]] = 0;
        }
        for (size_t q = 0; q < nh; q++) S->hc[S->hd[q]] = 0;
    }
    double mean = (score[0] + score[1] + score[2] + score[3]) / MAX_ORDER;
    return mean / (double)(end - h - 1) * 10.0;
}

int txt_cider_d_items(const txt_eval_item *items, size_t n, double *scores, nn_error *err) {
    const char *who = "txt_cider_d";
    corpus C;
    if (corpus_build(&C, items, n, 1, err, who)) return -1;
    cider_scratch S;
    if (cider_scratch_init(&S, &C, err, who)) {
        corpus_free(&C);
        return -1;
    }
    for (size_t i = 0; i < n; i++) scores[i] = cider_item(&C, i, &S);
    cider_scratch_free(&S);
    corpus_free(&C);
    return 0;
}

int txt_cider_d(const txt_eval_item *items, size_t n, double *score, nn_error *err) {
    if (!items || n == 0) return nn_fail(err, "txt_cider_d: no captions to score");
    double *per = malloc(n * sizeof *per);
    if (!per) return nn_fail(err, "txt_cider_d: out of memory (%zu scores)", n);
    if (txt_cider_d_items(items, n, per, err)) {
        free(per);
        return -1;
    }
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += per[i];
    *score = s / (double)n;
    free(per);
    return 0;
}
