/* One ChatGLM-6B decode step (one sequence, one new token) in C, for fp32 models whose block Linears are
 * int8 / int4 weights in the original ChatGLM layout (loaded by workbench/chatglm/native_step.py).
 *
 * A decode step at BianQue-2's layer shapes is a few hundred small torch operations around 4 matrix-vector
 * products per layer; in eager torch each costs microseconds of dispatch, so at the mid size the step took
 * ~7 ms while its weights need ~1 ms to read. Here the whole stack of layers runs in one call: LayerNorm,
 * the fused QKV product, 2D rotary, the KV-cache write, attention over the cache, the output product,
 * the scaled residuals, tanh-GELU and the MLP, then the final LayerNorm. The quantized products run
 * native_gemv.c's row loops (included below, so its kernels are the same ones the per-Linear path runs).
 * The step's loops (the products' output rows, attention's heads, the lm_head's rows) are shared out
 * by the work pool below rather than by OpenMP, whose barriers stall whole steps on a busy machine.
 *
 * Arithmetic follows modeling.py operation by operation where it is cheap to (rotary, residual scaling,
 * score scaling, GELU's roundings; built with -ffp-contract=off so no product is fused into an FMA that
 * torch would round twice); reductions (LayerNorm moments, dot products, softmax sums) and tanh/exp differ
 * from torch's by float rounding only, far below the int16 rounding of the quantized products' inputs.
 */
#include "native_gemv.c"

#define INTERLEAVE_MAX_COLUMNS 8192 /* native_gemv.INTERLEAVE_MAX_COLUMNS */

/* tanh(u) = sign(u) (1 - 2 / (exp(2|u|) + 1)): absolute error ~1e-7, which is what 1 + tanh in GELU keeps. */
static inline __m256 tanh256(__m256 u) {
    const __m256 sign = _mm256_and_ps(u, _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u)));
    const __m256 a = _mm256_andnot_ps(_mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u)), u);
    const __m256 e = exp256(_mm256_add_ps(a, a));
    const __m256 t = _mm256_sub_ps(_mm256_set1_ps(1.f),
                                   _mm256_div_ps(_mm256_set1_ps(2.f), _mm256_add_ps(e, _mm256_set1_ps(1.f))));
    return _mm256_or_ps(t, sign);
}

/* The original's GELU, rounding as torch evaluates 0.5 * x * (1.0 + tanh(0.79788456 * x * (1.0 + 0.044715 * x * x))). */
static void gelu_tanh(float *x, int n) {
    int i = 0;
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.f);
    const __m256 c0 = _mm256_set1_ps(0.7978845608028654f), c1 = _mm256_set1_ps(0.044715f);
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        const __m256 inner = _mm256_add_ps(one, _mm256_mul_ps(_mm256_mul_ps(c1, v), v));
        const __m256 t = tanh256(_mm256_mul_ps(_mm256_mul_ps(c0, v), inner));
        _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, t)));
    }
    for (; i < n; ++i) {
        const float v = x[i];
        const float inner = 1.f + (0.044715f * v) * v;
        x[i] = (0.5f * v) * (1.f + tanhf((0.7978845608028654f * v) * inner));
    }
}

static void layer_norm(const float *x, const float *w, const float *b, float *y, int n, float eps) {
    double sum = 0.0;
    for (int i = 0; i < n; ++i) sum += x[i];
    const float mean = (float)(sum / n);
    double sq = 0.0;
    for (int i = 0; i < n; ++i) {
        const float d = x[i] - mean;
        sq += (double)d * d;
    }
    const float rstd = 1.f / sqrtf((float)(sq / n) + eps);
    for (int i = 0; i < n; ++i) y[i] = (x[i] - mean) * rstd * w[i] + b[i];
}

static inline float dot_f32(const float *a, const float *b, int n) {
    __m256 acc = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
    float s = hsum_ps(acc);
    for (; i < n; ++i) s += a[i] * b[i];
    return s;
}

/* 2D rotary on one head's q or k (head_dim hd): each half rotated by its own position's row of the
 * tables (rotary_dim = hd / 2 entries), out = x * cos + swap_quarters(x) * signed_sin, rounded twice. */
static void rotary(float *x, int hd, const float *cos0, const float *sin0, const float *cos1, const float *sin1) {
    const int rd = hd / 2, quarter = rd / 2;
    float tmp[2048];
    memcpy(tmp, x, sizeof(float) * (size_t)hd);
    for (int half = 0; half < 2; ++half) {
        const float *c = half ? cos1 : cos0, *s = half ? sin1 : sin0;
        const float *src = tmp + half * rd;
        float *dst = x + half * rd;
        for (int j = 0; j < rd; ++j) {
            const float swapped = src[j < quarter ? j + quarter : j - quarter];
            const float a = src[j] * c[j];
            const float b = swapped * s[j];
            dst[j] = a + b;
        }
    }
}

/* Attention of one head's rotated, scaled query over positions [0, length) of its cache rows. */
static void attend_head(const float *q, const float *keys, const float *values, int length, int hd,
                        float divisor, float coeff, float *scores, float *out) {
    float qs[2048];
    for (int d = 0; d < hd; ++d) qs[d] = q[d] / divisor;
    float mx = -INFINITY;
    for (int t = 0; t < length; ++t) {
        const float s = dot_f32(qs, keys + (size_t)t * hd, hd) * coeff;
        scores[t] = s;
        mx = s > mx ? s : mx;
    }
    const float inv = 1.f / exp_shifted_in_place(scores, length, mx);
    for (int d = 0; d < hd; ++d) out[d] = 0.f;
    for (int t = 0; t < length; ++t) {
        const float p = scores[t] * inv;
        const float *v = values + (size_t)t * hd;
        int d = 0;
        const __m256 vp = _mm256_set1_ps(p);
        for (; d + 8 <= hd; d += 8)
            _mm256_storeu_ps(out + d, _mm256_fmadd_ps(vp, _mm256_loadu_ps(v + d), _mm256_loadu_ps(out + d)));
        for (; d < hd; ++d) out[d] += p * v[d];
    }
}

/* One quantized product y = x @ W.T * scale + bias (one activation row, prepared by product_prepare). */
typedef struct {
    int bits, activations, interleaved, n, out, rows_per_chunk, gelu;
    const int8_t *w;
    const float *scale, *bias;
    float *y;
    q8_row q8;            /* activations == 8 */
    const int16_t *xq16;  /* activations == 16 */
    const float *xs16;
} product_job;

/* Output rows [c * rows_per_chunk, ...): a multiple of 8 each, so GELU on a chunk rounds as on the whole. */
static void product_chunk(const void *arg, int c) {
    const product_job *j = arg;
    const int o0 = c * j->rows_per_chunk, o1 = min_int(o0 + j->rows_per_chunk, j->out);
    if (j->activations == 16) gemv16_rows(j->xq16, j->xs16, 1, j->n, j->w, j->scale, j->bias, j->y, j->out, j->bits, o0, o1);
    else gemv_q8_rows(&j->q8, 1, j->n, j->w, j->scale, j->bias, j->y, j->out, j->bits, j->interleaved, o0, o1);
    if (j->gelu) gelu_tanh(j->y + o0, o1 - o0);
}

/* Scratch for the products' quantized activations, per call (columns decode in several threads at once). */
typedef struct {
    int8_t *bytes;   /* n + 32 */
    float *floats;   /* q8_row_floats(n) */
    int16_t *q16;    /* n */
    float *s16;      /* ceil(n / BLOCK) */
} activation_scratch;

/* y = x @ W.T * scale + bias (then GELU when gelu), x quantized as this machine's products take it
 * (activations: 8 or 16; interleaved: the model's int4 weights of whole 64-column groups and at least
 * INTERLEAVE rows are in native_gemv.c's interleaved layout, with 8), output rows shared out by the pool. */
static void qlinear(pool_t *pool, const activation_scratch *scratch, const float *x, int n, const void *w, int out,
                    const float *scale, const float *bias, float *y, int bits, int activations, int interleaved,
                    int gelu) {
    /* Layers held interleaved are those native_gemv.interleave_supported takes (whole groups, rows of at most
     * INTERLEAVE_MAX_COLUMNS, a full block). */
    product_job j = {.bits = bits, .activations = activations,
                     .interleaved = interleaved && n % 64 == 0 && n <= INTERLEAVE_MAX_COLUMNS && out >= INTERLEAVE,
                     .n = n, .out = out, .gelu = gelu,
                     .w = (const int8_t *)w, .scale = scale, .bias = bias, .y = y};
    if (activations == 16) {
        quantize_row(x, n, scratch->q16, scratch->s16, bits == 4);
        j.xq16 = scratch->q16;
        j.xs16 = scratch->s16;
    } else {
        q8_prepare(x, n, bits, scratch->bytes, scratch->floats, &j.q8);
    }
    j.rows_per_chunk = chunk_rows(bits == 4 ? (size_t)n / 2 : (size_t)n, out);
    pool_run(pool, product_chunk, &j, (out + j.rows_per_chunk - 1) / j.rows_per_chunk);
}

/* Attention of one layer, one head per chunk: rotary on q and k, the cache write, attention over [0, start]. */
typedef struct {
    float *qkv, *ctx, *keys, *values, *scores;
    const float *cos0, *sin0, *cos1, *sin1;
    int hd, start, length, capacity;
    float divisor, coeff;
} attention_job;

static void attention_chunk(const void *arg, int head) {
    const attention_job *j = arg;
    const int hd = j->hd;
    float *q = j->qkv + (size_t)head * 3 * hd, *k = q + hd, *v = k + hd;
    rotary(q, hd, j->cos0, j->sin0, j->cos1, j->sin1);
    rotary(k, hd, j->cos0, j->sin0, j->cos1, j->sin1);
    float *krow = j->keys + ((size_t)head * j->capacity + j->start) * hd;
    float *vrow = j->values + ((size_t)head * j->capacity + j->start) * hd;
    memcpy(krow, k, sizeof(float) * (size_t)hd);
    memcpy(vrow, v, sizeof(float) * (size_t)hd);
    attend_head(q, j->keys + (size_t)head * j->capacity * hd, j->values + (size_t)head * j->capacity * hd, j->length,
                hd, j->divisor, j->coeff, j->scores + (size_t)head * j->length, j->ctx + (size_t)head * hd);
}

/* y[o] = w[o] . x for a float32 weight [out, n] (the lm_head, tied to the word embeddings). */
typedef struct {
    const float *x, *w;
    float *y;
    int n, out, rows_per_chunk;
} f32_job;

static void f32_chunk(const void *arg, int c) {
    const f32_job *j = arg;
    const int o1 = min_int((c + 1) * j->rows_per_chunk, j->out);
    for (int o = c * j->rows_per_chunk; o < o1; ++o) j->y[o] = dot_f32(j->w + (size_t)o * j->n, j->x, j->n);
}

/* h: float [hidden] scratch (the final LayerNorm's output on return); logits: float [vocab], out.
 * ptrs: P_PER_LAYER pointers per layer, then the final LayerNorm's weight and bias, the word embeddings
 * and the lm_head weight (float [vocab, hidden], usually the same tensor). A quantized table is not read
 * here: the caller passes the token's dequantized row as the embeddings (token 0) and NULL as the lm_head,
 * then runs the quantized lm_head on h itself (logits are left untouched). cos0/sin0 and
 * cos1/sin1: the rotary tables' rows (hd / 2 floats each, sin signed as modeling.RotaryTables keeps it)
 * for the token's two positions. The token is written at cache row `start`; attention covers rows
 * [0, start]. Returns 0, -1 when out of memory, -2 for bad sizes. */
int wb_glm_decode_step(void *const *ptrs, int layers, int hidden, int heads, int inner, int vocab, int bits,
                       int activations, int interleaved,
                       int token, float *h, float *logits, const float *cos0, const float *sin0, const float *cos1, const float *sin1, int start,
                       int capacity, float eps, float alpha, int threads) {
    if (layers <= 0 || hidden <= 0 || heads <= 0 || hidden % heads || start < 0 || start >= capacity ||
        token < 0 || token >= vocab || (bits != 8 && bits != 4) || (activations != 8 && activations != 16) ||
        (bits == 4 && (hidden % 2 || inner % 2)) ||
        (interleaved && (bits != 4 || activations != 8)))
        return -2;
    const int hd = hidden / heads;
    if (hd > 2048 || hd % 4) return -2;
    const int length = start + 1;
    const int widest = hidden > inner ? hidden : inner;
    float *x = malloc(sizeof(float) * (size_t)(6 * hidden + inner));
    float *scores = malloc(sizeof(float) * (size_t)heads * (size_t)length);
    activation_scratch scratch = {
        .bytes = malloc((size_t)widest + 32),
        .floats = malloc(sizeof(float) * q8_row_floats(widest)),
        .q16 = malloc(sizeof(int16_t) * (size_t)widest),
        .s16 = malloc(sizeof(float) * (size_t)((widest + BLOCK - 1) / BLOCK)),
    };
    if (!x || !scores || !scratch.bytes || !scratch.floats || !scratch.q16 || !scratch.s16) {
        free(x);
        free(scores);
        free(scratch.bytes);
        free(scratch.floats);
        free(scratch.q16);
        free(scratch.s16);
        return -1;
    }
    pool_t *pool = pool_for_thread(threads - 1);
    float *qkv = x + hidden, *ctx = qkv + 3 * hidden, *proj = ctx + hidden, *up = proj + hidden;
    void *const *fin = ptrs + (size_t)layers * P_PER_LAYER;
    memcpy(h, (const float *)fin[2] + (size_t)token * hidden, sizeof(float) * (size_t)hidden);
    for (int l = 0; l < layers; ++l) {
        void *const *p = ptrs + (size_t)l * P_PER_LAYER;
        const float coeff = (float)(l + 1);
        const float divisor = (float)(sqrt((double)hd) * (double)(l + 1));
        layer_norm(h, p[P_LN1_W], p[P_LN1_B], x, hidden, eps);
        qlinear(pool, &scratch, x, hidden, p[P_QKV_W], 3 * hidden, p[P_QKV_S], p[P_QKV_B], qkv, bits, activations, interleaved, 0);
        const attention_job attention = {
            .qkv = qkv, .ctx = ctx, .keys = p[P_KEYS], .values = p[P_VALUES], .scores = scores,
            .cos0 = cos0, .sin0 = sin0, .cos1 = cos1, .sin1 = sin1,
            .hd = hd, .start = start, .length = length, .capacity = capacity, .divisor = divisor, .coeff = coeff,
        };
        pool_run(pool, attention_chunk, &attention, heads);
        qlinear(pool, &scratch, ctx, hidden, p[P_DENSE_W], hidden, p[P_DENSE_S], p[P_DENSE_B], proj, bits, activations, interleaved, 0);
        for (int i = 0; i < hidden; ++i) {
            const float scaled = x[i] * alpha;
            h[i] = scaled + proj[i];
        }
        layer_norm(h, p[P_LN2_W], p[P_LN2_B], x, hidden, eps);
        qlinear(pool, &scratch, x, hidden, p[P_UP_W], inner, p[P_UP_S], p[P_UP_B], up, bits, activations, interleaved, 1);
        qlinear(pool, &scratch, up, inner, p[P_DOWN_W], hidden, p[P_DOWN_S], p[P_DOWN_B], proj, bits, activations, interleaved, 0);
        for (int i = 0; i < hidden; ++i) {
            const float scaled = x[i] * alpha;
            h[i] = scaled + proj[i];
        }
    }
    memcpy(x, h, sizeof(float) * (size_t)hidden);
    layer_norm(x, fin[0], fin[1], h, hidden, eps);
    if (fin[3]) {
        const f32_job head = {.x = h, .w = fin[3], .y = logits, .n = hidden, .out = vocab,
                              .rows_per_chunk = chunk_rows(sizeof(float) * (size_t)hidden, vocab)};
        pool_run(pool, f32_chunk, &head, (vocab + head.rows_per_chunk - 1) / head.rows_per_chunk);
    }
    free(x);
    free(scores);
    free(scratch.bytes);
    free(scratch.floats);
    free(scratch.q16);
    free(scratch.s16);
    return 0;
}

/* ---- A whole prompt pass of one sequence ----------------------------------------------------------------
 * A short prompt pass spends as long in torch's small operations and the Python around them as in its
 * products (a mid-size 64-token pass: ~20 ms of products, ~7-10 ms of LayerNorms, rotary, attention, GELU and
 * residuals, ~4 ms of dispatch). Here the whole stack runs in one call: the products are wb_prompt_gemm_bf16's
 * (the same routine, so the same bits, as the forward's per-Linear fused products), the rest is the decode
 * step's row arithmetic applied to every row, with attention over the prompt's own keys (prefix-LM mask: the
 * first `context` rows see each other, each later row sees the rows up to itself). */

/* Whether a product of this shape reads weights held interleaved (native_gemv.interleave_supported). */
static int held_interleaved(int interleaved, int n, int out) {
    return interleaved && n % 64 == 0 && n <= INTERLEAVE_MAX_COLUMNS && out >= INTERLEAVE;
}

/* LayerNorm of rows (after the scaled residual h = x * alpha + add, where add is not NULL), the output in fp32
 * (x) and rounded to bf16 (xb, when not NULL) for the next product. */
typedef struct {
    float *h, *x;
    const float *add, *w, *b;
    uint16_t *xb;
    int hidden, rows, rows_per_chunk;
    float eps, alpha;
} norm_job;

static void norm_chunk(const void *arg, int c) {
    const norm_job *j = arg;
    const int n = j->hidden, r1 = min_int((c + 1) * j->rows_per_chunk, j->rows);
    for (int r = c * j->rows_per_chunk; r < r1; ++r) {
        float *h = j->h + (size_t)r * n, *x = j->x + (size_t)r * n;
        if (j->add) {
            const float *a = j->add + (size_t)r * n;
            for (int i = 0; i < n; ++i) {
                const float scaled = x[i] * j->alpha;
                h[i] = scaled + a[i];
            }
        }
        layer_norm(h, j->w, j->b, x, n, j->eps);
        if (j->xb)
            for (int i = 0; i < n; ++i) j->xb[(size_t)r * n + i] = bf16_round1(x[i]);
    }
}

/* GELU on rows of the MLP's up projection, in place, then its bf16 copy for the down projection (yb; none for
 * fp32 products, which read y). */
typedef struct {
    float *y;
    uint16_t *yb;
    int inner, rows, rows_per_chunk;
} gelu_job;

static void gelu_chunk(const void *arg, int c) {
    const gelu_job *j = arg;
    const int n = j->inner, r1 = min_int((c + 1) * j->rows_per_chunk, j->rows);
    for (int r = c * j->rows_per_chunk; r < r1; ++r) {
        float *y = j->y + (size_t)r * n;
        gelu_tanh(y, n);
        if (j->yb)
            for (int i = 0; i < n; ++i) j->yb[(size_t)r * n + i] = bf16_round1(y[i]);
    }
}

/* Keys per panel: the keys are held as panels of KEY_PANEL positions, each panel [hd][KEY_PANEL] (one key
 * dimension's 16 positions in one 64-byte line), so a score block reads its keys as one sequential 4 KB stream
 * (hd 64) that the prefetcher follows; a transposed [hd][rows] layout took one stream per dimension. */
#define KEY_PANEL 16

/* Query rows per group: each key vector is loaded once for the group's rows (one row alone is load-bound). Six
 * rows of two 8-key vectors are 12 accumulators, 2 key vectors and a broadcast: 15 of AVX2's 16 registers. */
#define PROMPT_GROUP 6
_Static_assert(PROMPT_GROUP % 3 == 0, "a group's weighted sums go three rows at a time");

/* s[r * sstride + t] = q_r . k_t for the R query rows q_r (hd apart) and t < length: each score one FMA chain over
 * d in order, whichever lane and group it falls in, so R does not change its bits. Panels past the last key are
 * zero-padded; only scores below length are written. */
static inline __attribute__((always_inline)) void prompt_scores_rows(const int R, const float *q, const float *panels,
                                                                     int hd, int length, float *s, int sstride) {
    for (int t = 0; t < length; t += KEY_PANEL) {
        __m256 a[PROMPT_GROUP][2];
#pragma GCC unroll 6
        for (int r = 0; r < R; ++r) a[r][0] = a[r][1] = _mm256_setzero_ps();
        const float *k = panels + (size_t)t * hd;
        for (int d = 0; d < hd; ++d, k += KEY_PANEL) {
            const __m256 k0 = _mm256_loadu_ps(k), k1 = _mm256_loadu_ps(k + 8);
#pragma GCC unroll 6
            for (int r = 0; r < R; ++r) {
                const __m256 qd = _mm256_set1_ps(q[(size_t)r * hd + d]);
                a[r][0] = _mm256_fmadd_ps(qd, k0, a[r][0]);
                a[r][1] = _mm256_fmadd_ps(qd, k1, a[r][1]);
            }
        }
        if (t + KEY_PANEL <= length) {
#pragma GCC unroll 6
            for (int r = 0; r < R; ++r) {
                _mm256_storeu_ps(s + (size_t)r * sstride + t, a[r][0]);
                _mm256_storeu_ps(s + (size_t)r * sstride + t + 8, a[r][1]);
            }
        } else {
            float last[KEY_PANEL];
            for (int r = 0; r < R; ++r) {
                _mm256_storeu_ps(last, a[r][0]);
                _mm256_storeu_ps(last + 8, a[r][1]);
                memcpy(s + (size_t)r * sstride + t, last, sizeof(float) * (size_t)(length - t));
            }
        }
    }
}

/* One row's scores, and a group's (see prompt_scores_rows). */
static void prompt_scores(const float *q, const float *panels, int hd, int length, float *s) {
    prompt_scores_rows(1, q, panels, hd, length, s, 0);
}
static void prompt_scores_group(const float *q, const float *panels, int hd, int length, float *s, int sstride) {
    prompt_scores_rows(PROMPT_GROUP, q, panels, hd, length, s, sstride);
}

/* out[0:hd] = sum over t < length of p[t] * v_t (value rows hd apart); hd a multiple of 8. Up to 64 outputs per
 * sweep over the values (8 accumulators), so a head of 64 reads them once; each output one FMA chain over t in
 * order. Rows in a group take prompt_weighted_sum_triple. */
static void prompt_weighted_sum(const float *p, const float *values, int hd, int length, float *out) {
    for (int d0 = 0; d0 < hd; d0 += 64) {
        const int vectors = min_int(64, hd - d0) / 8;
        __m256 acc[8];
        for (int k = 0; k < 8; ++k) acc[k] = _mm256_setzero_ps();
        for (int t = 0; t < length; ++t) {
            const __m256 pt = _mm256_set1_ps(p[t]);
            const float *v = values + (size_t)t * hd + d0;
            for (int k = 0; k < vectors; ++k) acc[k] = _mm256_fmadd_ps(pt, _mm256_loadu_ps(v + 8 * k), acc[k]);
        }
        for (int k = 0; k < vectors; ++k) _mm256_storeu_ps(out + d0 + 8 * k, acc[k]);
    }
}

/* acc[r][0:4] += p[r][t] * v[0:32] for rows r in [r0, 3) (p[r][t] broadcast, v's four vectors loaded once). */
static inline __attribute__((always_inline)) void weighted_rows_step(const int r0, __m256 acc[3][4],
                                                                     const float *const *p, int t, const float *v) {
    const __m256 v0 = _mm256_loadu_ps(v), v1 = _mm256_loadu_ps(v + 8);
    const __m256 v2 = _mm256_loadu_ps(v + 16), v3 = _mm256_loadu_ps(v + 24);
#pragma GCC unroll 3
    for (int r = r0; r < 3; ++r) {
        const __m256 x = _mm256_set1_ps(p[r][t]);
        acc[r][0] = _mm256_fmadd_ps(x, v0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(x, v1, acc[r][1]);
        acc[r][2] = _mm256_fmadd_ps(x, v2, acc[r][2]);
        acc[r][3] = _mm256_fmadd_ps(x, v3, acc[r][3]);
    }
}

/* Three rows' weighted sums at once (row r over length[r] values, length[0] <= length[1] <= length[2]), 32
 * outputs per sweep: 12 accumulators, each value vector loaded once for the three rows. Each output is the same
 * FMA chain over t as prompt_weighted_sum's, bit for bit (the later rows finish their longer tails alone). hd a
 * multiple of 32. */
static void prompt_weighted_sum_triple(const float *const *p, const float *values, int hd, const int *length,
                                       float *const *out) {
    for (int d0 = 0; d0 < hd; d0 += 32) {
        __m256 acc[3][4];
        for (int r = 0; r < 3; ++r)
            for (int k = 0; k < 4; ++k) acc[r][k] = _mm256_setzero_ps();
        const float *v = values + d0;
        int t = 0;
        for (; t < length[0]; ++t, v += hd) weighted_rows_step(0, acc, p, t, v);
        for (; t < length[1]; ++t, v += hd) weighted_rows_step(1, acc, p, t, v);
        for (; t < length[2]; ++t, v += hd) weighted_rows_step(2, acc, p, t, v);
        for (int r = 0; r < 3; ++r)
            for (int k = 0; k < 4; ++k) _mm256_storeu_ps(out[r] + d0 + 8 * k, acc[r][k]);
    }
}

/* Scales row[0:n] by coeff in place and returns its maximum, as the scalar loop
 * "row[t] *= coeff; mx = row[t] > mx ? row[t] : mx" would: max_ps(x, m) is exactly x > m ? x : m. */
static float scale_and_max(float *row, int n, float coeff) {
    const __m256 vc = _mm256_set1_ps(coeff);
    __m256 vm = _mm256_set1_ps(-INFINITY);
    int t = 0;
    for (; t + 8 <= n; t += 8) {
        const __m256 x = _mm256_mul_ps(_mm256_loadu_ps(row + t), vc);
        _mm256_storeu_ps(row + t, x);
        vm = _mm256_max_ps(x, vm);
    }
    float m[8], mx = -INFINITY;
    _mm256_storeu_ps(m, vm);
    for (int k = 0; k < 8; ++k) mx = m[k] > mx ? m[k] : mx;
    for (; t < n; ++t) {
        row[t] *= coeff;
        mx = row[t] > mx ? row[t] : mx;
    }
    return mx;
}

/* Positions of the key panels: the rows rounded up to whole panels. */
static int prompt_key_positions(int rows) { return (rows + KEY_PANEL - 1) / KEY_PANEL * KEY_PANEL; }

/* Floats of one head's scratch: scaled queries [rows, hd], key panels [positions / KEY_PANEL][hd][KEY_PANEL], a
 * group's scores [PROMPT_GROUP, rows]. */
static size_t prompt_head_scratch(int rows, int hd) {
    return (size_t)rows * hd + (size_t)prompt_key_positions(rows) * hd + PROMPT_GROUP * (size_t)rows;
}

/* One layer's attention over the prompt, one head per chunk: rotary on every row's q and k, the cache rows
 * [0, rows) written, then each row's attention over the rows its mask leaves visible. */
typedef struct {
    const float *qkv, *cos, *sin; /* cos, sin: [rows, hd], each row's two positions' halves side by side */
    float *keys, *values, *scratch;
    uint16_t *ctxb; /* attention's output [rows, hidden], rounded to bf16 for the output product, */
    float *ctx;     /* or kept in fp32 for fp32 products (the other one NULL) */
    int rows, hd, hidden, context, capacity;
    float divisor, coeff;
} prompt_attention_job;

static void prompt_attention_chunk(const void *arg, int head) {
    const prompt_attention_job *j = arg;
    const int hd = j->hd, rows = j->rows, rd = hd / 2, positions = prompt_key_positions(rows);
    float *qs = j->scratch + (size_t)head * prompt_head_scratch(rows, hd), *kt = qs + (size_t)rows * hd;
    float *scores = kt + (size_t)positions * hd;
    float *keys = j->keys + (size_t)head * j->capacity * hd, *values = j->values + (size_t)head * j->capacity * hd;
    for (int i = 0; i < rows; ++i) {
        const float *src = j->qkv + (size_t)i * 3 * j->hidden + (size_t)head * 3 * hd;
        const float *c = j->cos + (size_t)i * hd, *s = j->sin + (size_t)i * hd;
        float *q = qs + (size_t)i * hd, *k = keys + (size_t)i * hd;
        memcpy(q, src, sizeof(float) * (size_t)hd);
        memcpy(k, src + hd, sizeof(float) * (size_t)hd);
        memcpy(values + (size_t)i * hd, src + 2 * hd, sizeof(float) * (size_t)hd);
        rotary(q, hd, c, s, c + rd, s + rd);
        rotary(k, hd, c, s, c + rd, s + rd);
        for (int d = 0; d < hd; ++d) {
            q[d] = q[d] / j->divisor;
            kt[(size_t)(i / KEY_PANEL * hd + d) * KEY_PANEL + i % KEY_PANEL] = k[d];
        }
    }
    for (int i = rows; i < positions; ++i) /* the last panel's padding: scores never stored, but no NaN either */
        for (int d = 0; d < hd; ++d) kt[(size_t)(i / KEY_PANEL * hd + d) * KEY_PANEL + i % KEY_PANEL] = 0.f;
    const int grouped = rows - rows % PROMPT_GROUP; /* rows in whole groups */
    const int triples = hd % 32 == 0; /* a group's weighted sums three rows at a time */
    float out[PROMPT_GROUP][2048];
    for (int i = 0; i < rows;) {
        /* A group of rows at once, to the longest of their lengths (a later row's is never shorter); the rest
         * alone. */
        const int n = i < grouped ? PROMPT_GROUP : 1;
        int length[PROMPT_GROUP];
        for (int r = 0; r < n; ++r) length[r] = i + r < j->context ? j->context : i + r + 1;
        if (n == PROMPT_GROUP)
            prompt_scores_group(qs + (size_t)i * hd, kt, hd, length[n - 1], scores, rows);
        else
            prompt_scores(qs + (size_t)i * hd, kt, hd, length[0], scores);
        for (int r = 0; r < n; ++r) {
            float *row = scores + (size_t)r * rows;
            const float mx = scale_and_max(row, length[r], j->coeff);
            const float inv = 1.f / exp_shifted_in_place(row, length[r], mx);
            for (int t = 0; t < length[r]; ++t) row[t] *= inv;
        }
        for (int r = 0; r < n;) {
            const float *row = scores + (size_t)r * rows;
            if (triples && n == PROMPT_GROUP) {
                const float *const p3[3] = {row, row + rows, row + 2 * (size_t)rows};
                float *const o3[3] = {out[r], out[r + 1], out[r + 2]};
                prompt_weighted_sum_triple(p3, values, hd, length + r, o3);
                r += 3;
            } else {
                prompt_weighted_sum(row, values, hd, length[r], out[r]);
                r += 1;
            }
        }
        for (int r = 0; r < n; ++r) {
            const size_t at = (size_t)(i + r) * j->hidden + (size_t)head * hd;
            if (j->ctxb)
                for (int d = 0; d < hd; ++d) j->ctxb[at + d] = bf16_round1(out[r][d]);
            else
                memcpy(j->ctx + at, out[r], sizeof(float) * (size_t)hd);
        }
        i += n;
    }
}

/* h: float [rows, hidden], the prompt's embeddings on entry, the final LayerNorm's output on return. ptrs: as
 * wb_glm_decode_step's (the embeddings and lm_head entries are not read). cos, sin: float [rows, hd] (each row's
 * two positions' table rows side by side, sin signed as modeling.RotaryTables keeps it). Rows [0, context) see
 * each other; a later row sees the rows up to itself. The cache rows [0, rows) are written. f32: the products
 * are wb_prompt_gemm_f32's on the fp32 activations (CPUs without native bf16), else wb_prompt_gemm_bf16's on
 * them rounded to bf16. Returns 0, -1 when out of memory, -2 for bad sizes, -3 where the bf16 products are not
 * built (no AVX512_BF16). */
int wb_glm_prompt_pass(void *const *ptrs, int layers, int hidden, int heads, int inner, int bits, int interleaved,
                       int rows, float *h, const float *cos, const float *sin, int context, int capacity, float eps,
                       float alpha, int f32, int threads) {
    if (layers <= 0 || hidden <= 0 || heads <= 0 || hidden % heads || rows <= 0 || rows > capacity ||
        context < 1 || context > rows || (bits != 8 && bits != 4) || hidden % 2 || inner % 2 ||
        (interleaved && bits != 4))
        return -2;
    const int hd = hidden / heads;
    if (hd > 2048 || hd % 8) return -2;
    const size_t r = (size_t)rows, widest = (size_t)(3 * hidden > inner ? 3 * hidden : inner);
    float *x = malloc(sizeof(float) * r * hidden), *qkv = malloc(sizeof(float) * r * widest);
    float *proj = malloc(sizeof(float) * r * hidden);
    float *scratch = malloc(sizeof(float) * (size_t)heads * prompt_head_scratch(rows, hd));
    /* The products' inputs: bf16 copies, or for fp32 products attention's fp32 output (the others read x and
     * qkv as they are). */
    uint16_t *xb = f32 ? NULL : malloc(sizeof(uint16_t) * r * widest);
    float *ctx = f32 ? malloc(sizeof(float) * r * hidden) : NULL;
    int rc = (x && qkv && proj && scratch && (f32 ? ctx != NULL : xb != NULL)) ? 0 : -1;
    pool_t *pool = pool_for_thread(threads - 1);
    const int layout = bits == 8 ? PG_INT8 : PG_INT4;
#define PRODUCT(in32, in16, k, w, n, s, b, y) \
    (rc = f32 ? wb_prompt_gemm_f32((in32), rows, (k), (w), \
                                   held_interleaved(interleaved, (k), (n)) ? PG_INT4_INTERLEAVED : layout, (n), (s), \
                                   (b), (y), threads) \
              : wb_prompt_gemm_bf16((in16), rows, (k), (w), \
                                    held_interleaved(interleaved, (k), (n)) ? PG_INT4_INTERLEAVED : layout, (n), \
                                    (s), (b), (y), threads))
    const int per_chunk = rows < 16 ? 1 : rows / 16;
    const int norm_chunks = (rows + per_chunk - 1) / per_chunk;
    norm_job norm = {.h = h, .x = x, .xb = xb, .hidden = hidden, .rows = rows, .rows_per_chunk = per_chunk,
                     .eps = eps, .alpha = alpha};
    for (int l = 0; l < layers && !rc; ++l) {
        void *const *p = ptrs + (size_t)l * P_PER_LAYER;
        if (l == 0) {
            norm.add = NULL, norm.w = p[P_LN1_W], norm.b = p[P_LN1_B];
            pool_run(pool, norm_chunk, &norm, norm_chunks);
        }
        PRODUCT(x, xb, hidden, p[P_QKV_W], 3 * hidden, p[P_QKV_S], p[P_QKV_B], qkv);
        if (rc) break;
        const prompt_attention_job attention = {
            .qkv = qkv, .cos = cos, .sin = sin, .ctxb = xb, .ctx = ctx, .keys = p[P_KEYS], .values = p[P_VALUES],
            .scratch = scratch, .rows = rows, .hd = hd, .hidden = hidden, .context = context, .capacity = capacity,
            .divisor = (float)(sqrt((double)hd) * (double)(l + 1)), .coeff = (float)(l + 1),
        };
        pool_run(pool, prompt_attention_chunk, &attention, heads);
        PRODUCT(ctx, xb, hidden, p[P_DENSE_W], hidden, p[P_DENSE_S], p[P_DENSE_B], proj);
        if (rc) break;
        norm.add = proj, norm.w = p[P_LN2_W], norm.b = p[P_LN2_B];
        pool_run(pool, norm_chunk, &norm, norm_chunks);
        PRODUCT(x, xb, hidden, p[P_UP_W], inner, p[P_UP_S], p[P_UP_B], qkv);
        if (rc) break;
        const gelu_job gelu = {.y = qkv, .yb = xb, .inner = inner, .rows = rows, .rows_per_chunk = per_chunk};
        pool_run(pool, gelu_chunk, &gelu, norm_chunks);
        PRODUCT(qkv, xb, inner, p[P_DOWN_W], hidden, p[P_DOWN_S], p[P_DOWN_B], proj);
        if (rc) break;
        /* The residual, then the next layer's input LayerNorm (the final one after the last layer). */
        void *const *next = l + 1 < layers ? p + P_PER_LAYER : ptrs + (size_t)layers * P_PER_LAYER;
        norm.add = proj, norm.w = next[l + 1 < layers ? P_LN1_W : 0], norm.b = next[l + 1 < layers ? P_LN1_B : 1];
        norm.xb = l + 1 < layers ? xb : NULL; /* NULL throughout for fp32 products */
        pool_run(pool, norm_chunk, &norm, norm_chunks);
    }
#undef PRODUCT
    if (!rc) memcpy(h, x, sizeof(float) * r * hidden);
    free(x);
    free(qkv);
    free(proj);
    free(scratch);
    free(xb);
    free(ctx);
    return rc;
}
