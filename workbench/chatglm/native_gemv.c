/* Few-row products y = x @ dequant(W).T * scale + bias for weight-only quantized Linear layers on CPU.
 *
 * Loaded by workbench/chatglm/native_gemv.py (compiled at first use with -O3 -fopenmp -march=native on
 * AVX2+FMA machines). Weights stay as checkpoints store them: int8 [out, in], or int4 packed two per byte
 * along the input (even column in the high nibble, odd in the low one), one float scale per output row; int4
 * ones may also be held with their row blocks interleaved (wb_gemv_int4_interleaved, built once at load).
 *
 * Decoding reads every weight once per token, so the loop must keep up with memory (0.5-1 byte per
 * weight). Each activation row is therefore quantized to int16 once per call, with one scale per BLOCK
 * columns (an outlier only coarsens its own block: relative error <= 2^-16 of the block's largest
 * value), and weights are multiplied with vpmaddwd into int32, which needs 3-4 instructions per 16
 * weights where sign-extending to fp32 and an FMA needed twice as many. Each block's int32 sums are
 * converted and scaled into fp32: 16 (int8) or 8 (int4) steps of 2 * 32767 * 127 cannot overflow.
 */
#include <immintrin.h>
#include <linux/futex.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 256 /* activation columns per int16 scale: a multiple of 32 */

static inline int min_int(int a, int b) { return a < b ? a : b; }

/* Quantize x[0:n] to int16 in q with one scale per BLOCK columns into scales. With deinterleave, each
 * full 32-column group is stored as its 16 even columns then its 16 odd ones (the int4 nibble order);
 * other columns keep their place. A NaN or infinity makes its block's scale NaN, so the output is NaN,
 * as a float product would be. */
static void quantize_row(const float *x, int n, int16_t *q, float *scales, int deinterleave) {
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    for (int b = 0, c0 = 0; c0 < n; ++b, c0 += BLOCK) {
        const int c1 = min_int(c0 + BLOCK, n);
        __m256 vmax = _mm256_setzero_ps();
        __m256 bad = _mm256_setzero_ps();
        int c = c0;
        for (; c + 8 <= c1; c += 8) {
            const __m256 v = _mm256_loadu_ps(x + c);
            vmax = _mm256_max_ps(vmax, _mm256_and_ps(v, abs_mask));
            bad = _mm256_or_ps(bad, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        }
        float lanes[8];
        _mm256_storeu_ps(lanes, vmax);
        float amax = 0.f;
        int nonfinite = _mm256_movemask_ps(bad) != 0;
        for (int i = 0; i < 8; ++i) amax = lanes[i] > amax ? lanes[i] : amax;
        for (; c < c1; ++c) {
            const float a = fabsf(x[c]);
            if (a != a) nonfinite = 1;
            amax = a > amax ? a : amax;
        }
        if (nonfinite || isinf(amax)) {
            scales[b] = NAN;
            memset(q + c0, 0, sizeof(int16_t) * (size_t)(c1 - c0));
            continue;
        }
        scales[b] = amax / 32767.f;
        const float inv = amax > 0.f ? 32767.f / amax : 0.f;
        const __m256 vinv = _mm256_set1_ps(inv);
        int16_t tmp[BLOCK];
        c = c0;
        for (; c + 16 <= c1; c += 16) {
            /* Round to nearest; |x * inv| <= 32767 (plus a rounding ulp), so packs never clips. */
            const __m256i lo = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + c), vinv));
            const __m256i hi = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + c + 8), vinv));
            const __m256i packed = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xD8);
            _mm256_storeu_si256((__m256i *)(tmp + (c - c0)), packed);
        }
        for (; c < c1; ++c) {
            float v = nearbyintf(x[c] * inv);
            v = v > 32767.f ? 32767.f : (v < -32767.f ? -32767.f : v);
            tmp[c - c0] = (int16_t)v;
        }
        const int full_groups_end = deinterleave ? (n / 32) * 32 : c0;
        for (c = c0; c < c1; ++c) {
            int dst = c;
            if (c < full_groups_end) {
                const int j = c & 31;
                dst = (c & ~31) + (j & 1) * 16 + (j >> 1);
            }
            q[dst] = tmp[c - c0];
        }
    }
}

/* ---- Work sharing without waiting for threads that have not started -------------------------------------
 *
 * The machine this runs on is often shared: with OpenMP, each of a step's ~20 parallel loops ends at a
 * barrier that waits for every thread, and a helper thread that the scheduler has not run yet costs the
 * whole step a time slice (2-thread steps measured 24-36 ms against 3.7 ms on one thread with the load
 * average at 4 on 2 cores). Here a loop is cut into chunks that the calling thread and its helpers claim
 * one at a time from one atomic word; the caller waits only for chunks a helper has claimed, so a helper
 * that is not running simply does no chunk. Helpers spin briefly between loops (a step's loops follow each
 * other within microseconds) and then sleep on a futex. Each calling thread has its own helpers, so
 * columns that generate in several threads at once never share a loop. */

#define POOL_MAX_HELPERS 63
/* An idle helper looks for the next loop this long before sleeping: a step's loops follow each other within
 * microseconds, while between steps (Python, the sampler) it would only take CPU time from other work. */
#define POOL_SPIN_NS 50000
/* A caller waiting for a helper's chunk yields its core every this many pauses (the helper may need it). */
#define POOL_YIELD_SPINS 64
/* The claim word: generation (24 bits) | chunk count (20 bits) | next chunk (20 bits). */
#define CHUNK_BITS 20
#define CHUNK_MASK ((1ull << CHUNK_BITS) - 1)
#define POOL_MAX_CHUNKS ((int)CHUNK_MASK)

typedef void (*chunk_fn)(const void *job, int chunk);

typedef struct {
    _Atomic uint64_t word;
    _Atomic int done;      /* chunks finished in the current generation */
    _Atomic uint32_t wake; /* futex: bumped when a loop is published while a helper sleeps */
    _Atomic int sleepers;
    _Atomic int quit;
    chunk_fn fn; /* the current loop, written before its word is published */
    const void *job;
    int helpers;
    pthread_t threads[POOL_MAX_HELPERS];
} pool_t;

static long futex(_Atomic uint32_t *addr, int op, uint32_t value) {
    return syscall(SYS_futex, (uint32_t *)addr, op, value, NULL, NULL, 0);
}

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* Claim and run one chunk of the published loop; 0 when none is left. A claim succeeds only while the
 * word is unchanged, so the loop cannot end (nor fn / job change) before the claimed chunk is done. */
static int pool_work_one(pool_t *p) {
    uint64_t w = atomic_load(&p->word);
    for (;;) {
        const uint64_t next = w & CHUNK_MASK, total = (w >> CHUNK_BITS) & CHUNK_MASK;
        if (next >= total) return 0;
        if (atomic_compare_exchange_weak(&p->word, &w, w + 1)) {
            p->fn(p->job, (int)next);
            atomic_fetch_add(&p->done, 1);
            return 1;
        }
    }
}

static void *pool_helper(void *arg) {
    pool_t *p = arg;
    while (!atomic_load(&p->quit)) {
        if (pool_work_one(p)) continue;
        const uint64_t t0 = now_ns();
        int found = 0;
        while (!found && !atomic_load(&p->quit)) {
            for (int i = 0; i < 64 && !found; ++i) {
                _mm_pause();
                const uint64_t w = atomic_load_explicit(&p->word, memory_order_relaxed);
                found = (w & CHUNK_MASK) < ((w >> CHUNK_BITS) & CHUNK_MASK);
            }
            if (!found && now_ns() - t0 > POOL_SPIN_NS) break;
        }
        if (found) continue;
        /* Sleep until the next loop: announce it, then look once more (the publisher checks sleepers
         * after its word is stored, so one of the two sees the other). */
        const uint32_t seen = atomic_load(&p->wake);
        atomic_fetch_add(&p->sleepers, 1);
        const uint64_t w = atomic_load(&p->word);
        if ((w & CHUNK_MASK) >= ((w >> CHUNK_BITS) & CHUNK_MASK) && !atomic_load(&p->quit))
            futex(&p->wake, FUTEX_WAIT_PRIVATE, seen);
        atomic_fetch_sub(&p->sleepers, 1);
    }
    return NULL;
}

static void pool_destroy(pool_t *p) {
    if (!p) return;
    atomic_store(&p->quit, 1);
    atomic_fetch_add(&p->wake, 1);
    futex(&p->wake, FUTEX_WAKE_PRIVATE, INT32_MAX);
    for (int i = 0; i < p->helpers; ++i) pthread_join(p->threads[i], NULL);
    free(p);
}

static pthread_key_t pool_key;
static pthread_once_t pool_key_once = PTHREAD_ONCE_INIT;

static void pool_key_destructor(void *p) { pool_destroy(p); }
static void pool_make_key(void) { pthread_key_create(&pool_key, pool_key_destructor); }

/* This thread's pool with `helpers` helper threads (made at first use, remade if the count changes);
 * NULL when none is wanted or none can be started (the caller then runs every chunk itself). */
static pool_t *pool_for_thread(int helpers) {
    if (helpers <= 0) return NULL;
    if (helpers > POOL_MAX_HELPERS) helpers = POOL_MAX_HELPERS;
    pthread_once(&pool_key_once, pool_make_key);
    pool_t *p = pthread_getspecific(pool_key);
    if (p && p->helpers == helpers) return p;
    pool_destroy(p);
    pthread_setspecific(pool_key, NULL);
    p = calloc(1, sizeof *p);
    if (!p) return NULL;
    for (int i = 0; i < helpers; ++i) {
        if (pthread_create(&p->threads[i], NULL, pool_helper, p) != 0) break;
        p->helpers = i + 1;
    }
    pthread_setspecific(pool_key, p);
    return p;
}

/* fn(job, c) for every c in [0, chunks), on the calling thread and whichever helpers are running. */
static void pool_run(pool_t *p, chunk_fn fn, const void *job, int chunks) {
    if (chunks <= 0) return;
    if (!p || p->helpers == 0 || chunks == 1 || chunks > POOL_MAX_CHUNKS) {
        for (int c = 0; c < chunks; ++c) fn(job, c);
        return;
    }
    p->fn = fn;
    p->job = job;
    atomic_store(&p->done, 0);
    const uint64_t generation = ((atomic_load(&p->word) >> (2 * CHUNK_BITS)) + 1) & 0xFFFFFFull;
    atomic_store(&p->word, (generation << (2 * CHUNK_BITS)) | ((uint64_t)chunks << CHUNK_BITS));
    if (atomic_load(&p->sleepers) > 0) {
        atomic_fetch_add(&p->wake, 1);
        futex(&p->wake, FUTEX_WAKE_PRIVATE, INT32_MAX);
    }
    while (pool_work_one(p)) {
    }
    /* Only chunks a helper claimed and has not finished are left: wait for those (yielding now and then,
     * in case that helper waits for this core). */
    for (int spins = 0; atomic_load(&p->done) < chunks; ++spins) {
        _mm_pause();
        if (spins % POOL_YIELD_SPINS == POOL_YIELD_SPINS - 1) sched_yield();
    }
}

/* Pointers per layer, in this order (bias pointers may be NULL). */
enum {
    P_LN1_W, P_LN1_B,
    P_QKV_W, P_QKV_S, P_QKV_B,
    P_DENSE_W, P_DENSE_S, P_DENSE_B,
    P_LN2_W, P_LN2_B,
    P_UP_W, P_UP_S, P_UP_B,
    P_DOWN_W, P_DOWN_S, P_DOWN_B,
    P_KEYS, P_VALUES, /* float [heads, capacity, head_dim] */
    P_PER_LAYER
};

/* Bytes of weights per chunk of a product: a sixteenth of it, within [CHUNK_MIN_BYTES, CHUNK_MAX_BYTES]. Each
 * chunk is a stream that the hardware prefetcher ramps up to again. On a 2-core Zen 4 whose plain read ran at
 * 50-58 GB/s, the 6B model's products streamed from memory (int4 interleaved / int8) at 25 / 32 GB/s in 32 KB
 * chunks, 30 / 34 in 128 KB, 34.5 / 34 in 256 KB and 36.7 / 35 in 1 MB ones. Sixteen chunks keep the threads'
 * shares within a few percent of each other; a small product keeps chunks small enough to be shared out at
 * all (claiming one is an atomic on a shared line), and a helper the scheduler stops holds one chunk, of any
 * size, until it runs again. Outputs are the same bits however the rows are chunked. */
#define CHUNK_MIN_BYTES 32768
#define CHUNK_MAX_BYTES (1 << 20)
#define CHUNKS_PER_PRODUCT 16

static int chunk_rows(size_t row_bytes, int out) {
    size_t bytes = (row_bytes * (size_t)out) / CHUNKS_PER_PRODUCT;
    bytes = bytes < CHUNK_MIN_BYTES ? CHUNK_MIN_BYTES : bytes > CHUNK_MAX_BYTES ? CHUNK_MAX_BYTES : bytes;
    int rows = (int)(bytes / (row_bytes ? row_bytes : 1));
    rows = rows < 8 ? 8 : rows / 8 * 8;
    return rows < out ? rows : out;
}

static inline int32_t hsum_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}

static inline float hsum_ps(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* acc + the 8 int32 pair sums of a * b (int16). VNNI's vpdpwssd does vpmaddwd and the add in one instruction,
 * with the same integers (a pair sum of int8 or int4 weights by int16 activations never overflows), so the
 * bits are the AVX2 path's. */
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
#define madd16_add(acc, a, b) _mm256_dpwssd_epi32((acc), (a), (b))
#elif defined(__AVXVNNI__)
#define madd16_add(acc, a, b) _mm256_dpwssd_avx_epi32((acc), (a), (b))
#else
#define madd16_add(acc, a, b) _mm256_add_epi32((acc), _mm256_madd_epi16((a), (b)))
#endif

/* The last, partial activation block of an int8 row (columns [c, n), scale xs[full]): its product, returned
 * as a float of its own (noinline: the caller's add is never contracted with it, whichever caller). */
static __attribute__((noinline)) float dot_int8_tail(const int8_t *w, const int16_t *xq, const float *xs, int n,
                                                     int c, int full) {
    __m256i sum = _mm256_setzero_si256();
    for (; c + 16 <= n; c += 16) {
        const __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + c)));
        sum = madd16_add(sum, wv, _mm256_loadu_si256((const __m256i *)(xq + c)));
    }
    int32_t s = hsum_epi32(sum);
    for (; c < n; ++c) s += (int32_t)w[c] * xq[c];
    return (float)s * xs[full];
}

/* One int8 weight row dotted with one quantized activation row. */
static float dot_int8(const int8_t *w, const int16_t *xq, const float *xs, int n) {
    __m256 acc = _mm256_setzero_ps();
    const int full = n / BLOCK;
    int c = 0;
    for (int b = 0; b < full; ++b) {
        __m256i sum = _mm256_setzero_si256();
        for (int j = 0; j < BLOCK; j += 16, c += 16) {
            const __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + c)));
            sum = madd16_add(sum, wv, _mm256_loadu_si256((const __m256i *)(xq + c)));
        }
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_set1_ps(xs[b]), acc);
    }
    float total = hsum_ps(acc);
    if (c < n) total += dot_int8_tail(w, xq, xs, n, c, full);
    return total;
}

#define ROWS16 4
/* Rows at least this long take ROWS16 weight rows per pass. One row at a time re-reads the whole int16
 * activation row per weight row, and at 16,384 columns (32 KB, all of L1) that came from L2: [4096, 16384] read
 * its weights at 9 GB/s on one Zen 4 core against 16-22 for [16384, 4096], and at 14 against 22-23 GB/s on
 * two; four rows per pass took it to 15 and 22.5 GB/s. Shorter rows stay one per pass: [16384, 4096] was
 * as fast that way on two cores, and slower on one (12-13 against 16-18 GB/s). */
#define ROWS16_MIN_COLUMNS 8192
/* dot_int8 of ROWS16 weight rows row_bytes apart with the same activations into d: each activation load serves
 * all of them. Each row's sums are dot_int8's, in its order, so the bits are the same. */
static void dot_int8_rows(const int8_t *w, size_t row_bytes, const int16_t *xq, const float *xs, int n, float *d) {
    __m256 acc[ROWS16];
    for (int k = 0; k < ROWS16; ++k) acc[k] = _mm256_setzero_ps();
    const int full = n / BLOCK;
    int c = 0;
    for (int b = 0; b < full; ++b) {
        __m256i sum[ROWS16];
        for (int k = 0; k < ROWS16; ++k) sum[k] = _mm256_setzero_si256();
        for (int j = 0; j < BLOCK; j += 16, c += 16) {
            const __m256i xv = _mm256_loadu_si256((const __m256i *)(xq + c));
            for (int k = 0; k < ROWS16; ++k)
                sum[k] = madd16_add(sum[k], _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + k * row_bytes + c))),
                                    xv);
        }
        const __m256 scale = _mm256_set1_ps(xs[b]);
        for (int k = 0; k < ROWS16; ++k) acc[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[k]), scale, acc[k]);
    }
    for (int k = 0; k < ROWS16; ++k) {
        d[k] = hsum_ps(acc[k]);
        if (c < n) d[k] += dot_int8_tail(w + k * row_bytes, xq, xs, n, c, full);
    }
}

/* One int4 weight row (n / 2 bytes) dotted with one quantized activation row (deinterleaved). */
static float dot_int4(const int8_t *w, const int16_t *xq, const float *xs, int n) {
    __m256 acc = _mm256_setzero_ps();
    const int full = n / BLOCK;
    int c = 0;
    for (int b = 0; b < full; ++b) {
        __m256i sum = _mm256_setzero_si256();
        for (int j = 0; j < BLOCK; j += 32, c += 32) {
            /* Sign-extended bytes: >> 4 gives the high nibble (even column) with its sign, << 12 then
             * >> 12 the low one (odd column). */
            const __m256i bytes = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + c / 2)));
            const __m256i even = _mm256_srai_epi16(bytes, 4);
            const __m256i odd = _mm256_srai_epi16(_mm256_slli_epi16(bytes, 12), 12);
            sum = madd16_add(sum, even, _mm256_loadu_si256((const __m256i *)(xq + c)));
            sum = madd16_add(sum, odd, _mm256_loadu_si256((const __m256i *)(xq + c + 16)));
        }
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_set1_ps(xs[b]), acc);
    }
    float total = hsum_ps(acc);
    if (c < n) {
        __m256i sum = _mm256_setzero_si256();
        for (; c + 32 <= n; c += 32) {
            const __m256i bytes = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + c / 2)));
            const __m256i even = _mm256_srai_epi16(bytes, 4);
            const __m256i odd = _mm256_srai_epi16(_mm256_slli_epi16(bytes, 12), 12);
            sum = madd16_add(sum, even, _mm256_loadu_si256((const __m256i *)(xq + c)));
            sum = madd16_add(sum, odd, _mm256_loadu_si256((const __m256i *)(xq + c + 16)));
        }
        int32_t s = hsum_epi32(sum);
        for (; c < n; c += 2) { /* columns past the last full 32-group keep their natural order */
            const int8_t byte = w[c / 2];
            s += (int32_t)(byte >> 4) * xq[c] + (int32_t)(((byte & 0xF) ^ 8) - 8) * xq[c + 1];
        }
        total += (float)s * xs[full];
    }
    return total;
}

/* y[i] = dot[i] * scale[i] + bias[i] for count outputs: one copy of this code for one and for ROWS16 rows at a
 * time, so that the compiler's choice of contracting it into an FMA cannot make their results differ. */
static __attribute__((noinline)) void finish16(const float *dot, int count, const float *scale, const float *bias,
                                               float *y) {
    for (int i = 0; i < count; ++i) y[i] = dot[i] * scale[i] + (bias ? bias[i] : 0.f);
}

/* Output rows [o0, o1) of the int16-activation product, from activations quantize_row has prepared; long int8
 * weight rows ROWS16 at a time where that many are left. */
static void gemv16_rows(const int16_t *xq, const float *xs, int rows, int n, const int8_t *w, const float *scale,
                        const float *bias, float *y, int out, int bits, int o0, int o1) {
    const int blocks = (n + BLOCK - 1) / BLOCK;
    const size_t row_bytes = bits == 4 ? (size_t)n / 2 : (size_t)n;
    float d[ROWS16];
    for (int o = o0; o < o1;) {
        const int group = bits == 8 && n >= ROWS16_MIN_COLUMNS && o + ROWS16 <= o1 ? ROWS16 : 1;
        const int8_t *wo = w + (size_t)o * row_bytes;
        for (int r = 0; r < rows; ++r) { /* the group's weight rows stay in cache across activation rows */
            const int16_t *xr = xq + (size_t)r * n;
            const float *sr = xs + (size_t)r * blocks;
            if (group == ROWS16)
                dot_int8_rows(wo, row_bytes, xr, sr, n, d);
            else
                d[0] = bits == 4 ? dot_int4(wo, xr, sr, n) : dot_int8(wo, xr, sr, n);
            finish16(d, group, scale + o, bias ? bias + o : NULL, y + (size_t)r * out + o);
        }
        o += group;
    }
}

typedef struct {
    const int16_t *xq;
    const float *xs;
    int rows, n;
    const int8_t *w;
    const float *scale, *bias;
    float *y;
    int out, bits, rows_per_chunk;
} gemv16_job;

static void gemv16_chunk(const void *arg, int c) {
    const gemv16_job *j = arg;
    const int o0 = c * j->rows_per_chunk;
    gemv16_rows(j->xq, j->xs, j->rows, j->n, j->w, j->scale, j->bias, j->y, j->out, j->bits, o0,
                min_int(o0 + j->rows_per_chunk, j->out));
}

static int gemv(const float *x, int rows, int n, const int8_t *w, int out, const float *scale, const float *bias,
                float *y, int threads, int bits) {
    if (rows <= 0 || n <= 0 || out <= 0 || (bits == 4 && n % 2)) return -2;
    const int blocks = (n + BLOCK - 1) / BLOCK;
    int16_t *xq = malloc(sizeof(int16_t) * (size_t)rows * (size_t)n);
    float *xs = malloc(sizeof(float) * (size_t)rows * (size_t)blocks);
    if (!xq || !xs) {
        free(xq);
        free(xs);
        return -1;
    }
    for (int r = 0; r < rows; ++r) quantize_row(x + (size_t)r * n, n, xq + (size_t)r * n, xs + (size_t)r * blocks, bits == 4);
    const gemv16_job job = {xq, xs, rows, n, w, scale, bias, y, out, bits,
                            chunk_rows(bits == 4 ? (size_t)n / 2 : (size_t)n, out)};
    pool_run(pool_for_thread(threads - 1), gemv16_chunk, &job, (out + job.rows_per_chunk - 1) / job.rows_per_chunk);
    free(xq);
    free(xs);
    return 0;
}

/* x: float [rows, n]; w: int8 [out, n]; scale, bias (may be NULL): float [out]; y: float [rows, out].
 * Returns 0, -1 when out of memory, -2 for a bad shape. */
int wb_gemv16_int8(const float *x, int rows, int n, const int8_t *w, int out, const float *scale, const float *bias,
                 float *y, int threads) {
    return gemv(x, rows, n, w, out, scale, bias, y, threads, 8);
}

/* As wb_gemv16_int8 with w int4 packed [out, n / 2] (n even). */
int wb_gemv16_int4(const float *x, int rows, int n, const int8_t *w, int out, const float *scale, const float *bias,
                 float *y, int threads) {
    return gemv(x, rows, n, w, out, scale, bias, y, threads, 4);
}

/* ---- The decode path: activations in int8 blocks (as llama.cpp's Q8_0) --------------------------------------
 *
 * Each activation row is quantized once per call to int8 (|q| <= 127) with one fp32 scale per QB columns.
 * vpmaddubsw then multiplies 32 unsigned by 32 signed bytes into 16 int16 pair sums and vpmaddwd with ones
 * adds those into 8 int32: 32 multiply-adds per instruction pair, twice vpmaddwd's 16 on int16. Each block's
 * int32 sums are converted and scaled by the block's scale in fp32.
 * - int8 weights: |w| is the unsigned operand and the activation takes w's sign (vpsignb), so a weight of
 *   -128 is exact too; a pair sum is at most 2 * 128 * 127 = 32512, below int16 saturation.
 * - int4 weights: a nibble n holds q in two's complement, so n ^ 8 = q + 8 in [0, 15] is the unsigned
 *   operand, read with an and / a shift (no shuffle); the activation row is stored once per call in the
 *   nibbles' order (per 64 columns: evens, then odds), and the extra 8 * sum(activations) is the same for
 *   every output row, so it is subtracted once per row at the end. Pair sums are at most 2 * 15 * 127.
 * Four output rows are done per pass, so each activation load serves four weight rows. Software prefetch
 * 256-4096 bytes ahead was measured on a 2-core AVX2 machine and gave no consistent gain over the hardware's. */
/* With VNNI (AVX512_VNNI with AVX512VL, as on Zen 4 and Ice Lake on, or AVX-VNNI), vpdpbusd does a
 * vpmaddubsw, a vpmaddwd with ones and the add in one instruction. The int32 sums are the same integers
 * (the pair sums above never saturate), so the results are bit-identical to the AVX2 path. */
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
#define WB_VNNI 1
#define dpbusd256(acc, u, s) _mm256_dpbusd_epi32((acc), (u), (s))
#elif defined(__AVXVNNI__)
#define WB_VNNI 1
#define dpbusd256(acc, u, s) _mm256_dpbusd_avx_epi32((acc), (u), (s))
#else
#define WB_VNNI 0
#endif

/* The 8 int32 sums of 4 adjacent u * s byte products each, plus those of v * t (int4: the high and the low
 * nibbles). Without VNNI the two products' int16 pair sums are added before the one widening vpmaddwd. */
static inline __m256i dot_u8s8_2(const __m256i u, const __m256i s, const __m256i v, const __m256i t) {
#if WB_VNNI
    return dpbusd256(dpbusd256(_mm256_setzero_si256(), u, s), v, t);
#else
    return _mm256_madd_epi16(_mm256_add_epi16(_mm256_maddubs_epi16(u, s), _mm256_maddubs_epi16(v, t)),
                             _mm256_set1_epi16(1));
#endif
}

static inline __m256i dot_u8s8(const __m256i u, const __m256i s) {
#if WB_VNNI
    return dpbusd256(_mm256_setzero_si256(), u, s);
#else
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
#endif
}

#define QB 32 /* activation columns per int8 scale */
#define ROWS_PER_PASS 4
/* Weight rows shorter than this take one row per pass: ROWS_PER_PASS streams a few hundred bytes apart
 * streamed from memory at 0.39-0.54 of a read against 0.53-0.75 one row at a time (int8 [3072 | 1024 | 4096,
 * 1024] on a 2-core Zen 3, cold weights, same-run medians); rows of 4 KB and more keep the four (0.80-0.82
 * against 0.73-0.76). A row's sums are accumulated in the same order either way, so the bits do not change. */
#define ROWS_PER_PASS_MIN_BYTES 4096

/* Quantize x[0:n] to int8 in q with one scale (block max / 127) per QB columns in d: per column the error
 * is at most half a step, 1/254 of its block's largest value. With permute (int4 weights), each full 64-column
 * group is stored as its 32 even columns then its 32 odd ones (the weights' high then low nibbles); columns
 * past the last full group keep their place. A NaN or infinity makes its block's scale NaN (values 0), so
 * the output is NaN, as a float product would be. */
static void quantize_row_q8(const float *x, int n, int8_t *q, float *d, int permute) {
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    const int groups_end = permute ? n / 64 * 64 : 0;
    for (int b = 0, c0 = 0; c0 < n; ++b, c0 += QB) {
        const int c1 = min_int(c0 + QB, n);
        const int full = c1 - c0 == QB;
        float amax = 0.f;
        int nonfinite = 0;
        __m256 v[4];
        if (full) {
            __m256 m = _mm256_setzero_ps(), bad = _mm256_setzero_ps();
            for (int k = 0; k < 4; ++k) {
                v[k] = _mm256_loadu_ps(x + c0 + 8 * k);
                m = _mm256_max_ps(m, _mm256_and_ps(v[k], abs_mask));
                bad = _mm256_or_ps(bad, _mm256_cmp_ps(v[k], v[k], _CMP_UNORD_Q));
            }
            float lanes[8];
            _mm256_storeu_ps(lanes, m);
            for (int i = 0; i < 8; ++i) amax = lanes[i] > amax ? lanes[i] : amax;
            nonfinite = _mm256_movemask_ps(bad) != 0;
        } else {
            for (int c = c0; c < c1; ++c) {
                const float a = fabsf(x[c]);
                if (a != a) nonfinite = 1;
                amax = a > amax ? a : amax;
            }
        }
        int8_t tmp[QB];
        if (nonfinite || isinf(amax)) {
            d[b] = NAN;
            memset(tmp, 0, sizeof tmp);
        } else {
            d[b] = amax / 127.f;
            const float inv = amax > 0.f ? 127.f / amax : 0.f;
            if (full) {
                /* Round to nearest even, as torch.round; |x * inv| <= 127 after rounding, so packs never clip. */
                const __m256 vinv = _mm256_set1_ps(inv);
                __m256i i[4];
                for (int k = 0; k < 4; ++k) i[k] = _mm256_cvtps_epi32(_mm256_mul_ps(v[k], vinv));
                const __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(i[0], i[1]), _mm256_packs_epi32(i[2], i[3]));
                _mm256_storeu_si256((__m256i *)tmp, _mm256_permutevar8x32_epi32(packed, order));
            } else {
                for (int c = c0; c < c1; ++c) {
                    float r = nearbyintf(x[c] * inv);
                    r = r > 127.f ? 127.f : (r < -127.f ? -127.f : r);
                    tmp[c - c0] = (int8_t)r;
                }
            }
        }
        for (int c = c0; c < c1; ++c) {
            const int j = c & 63;
            q[c < groups_end ? (c & ~63) + (j & 1) * 32 + (j >> 1) : c] = tmp[c - c0];
        }
    }
}

/* dot[r] = sum over columns of w[r] * activation, for R consecutive int8 weight rows (stride bytes apart). */
static inline __attribute__((always_inline)) void dots_q8_int8(const int8_t *w, size_t stride, const int R,
                                                               const int8_t *xq, const float *xd, int n,
                                                               float *dot) {
    __m256 acc[ROWS_PER_PASS];
    const int nb = n / QB;
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
    for (int b = 0; b < nb; ++b) {
        const __m256i a = _mm256_loadu_si256((const __m256i *)(xq + (size_t)b * QB));
        const __m256 db = _mm256_broadcast_ss(xd + b);
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
            const __m256i wv = _mm256_loadu_si256((const __m256i *)(w + r * stride + (size_t)b * QB));
            const __m256i p = dot_u8s8(_mm256_abs_epi8(wv), _mm256_sign_epi8(a, wv));
            acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), db, acc[r]);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
        dot[r] = hsum_ps(acc[r]);
        if (nb * QB < n) { /* the last, partial block */
            int32_t s = 0;
            for (int c = nb * QB; c < n; ++c) s += (int32_t)w[r * stride + c] * xq[c];
            dot[r] += (float)s * xd[nb];
        }
    }
}

/* As dots_q8_int8 for int4 weight rows, against the permuted activation row; xd8 holds each 64-column group's
 * two block scales, each repeated 4 times (the int32 lanes of the group's two 32-column halves). Full groups
 * give sum (q + 8) * a: the caller subtracts 8 * sum(a) (q8_int4_offset). */
static inline __attribute__((always_inline)) void dots_q8_int4(const int8_t *w, size_t stride, const int R,
                                                               const int8_t *xq, const float *xd8,
                                                               const float *xd, int n, float *dot) {
    __m256 acc[ROWS_PER_PASS];
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    const __m256i flip = _mm256_set1_epi8((char)0x88);
    const int groups = n / 64;
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
    for (int g = 0; g < groups; ++g) {
        const __m256i even = _mm256_loadu_si256((const __m256i *)(xq + (size_t)g * 64));
        const __m256i odd = _mm256_loadu_si256((const __m256i *)(xq + (size_t)g * 64 + 32));
        const __m256 dd = _mm256_loadu_ps(xd8 + (size_t)g * 8);
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
            const __m256i u = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(w + r * stride + (size_t)g * 32)), flip);
            const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(u, 4), low4);
            const __m256i lo = _mm256_and_si256(u, low4);
            const __m256i p = dot_u8s8_2(hi, even, lo, odd);
            acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), dd, acc[r]);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
        dot[r] = hsum_ps(acc[r]);
        /* Columns past the last full group: signed nibbles, natural order, block by block. */
        for (int c0 = groups * 64; c0 < n; c0 += QB) {
            const int c1 = min_int(c0 + QB, n);
            int32_t s = 0;
            for (int c = c0; c < c1; c += 2) {
                const int8_t byte = w[r * stride + c / 2];
                s += (int32_t)(byte >> 4) * xq[c] + (int32_t)(((byte & 0xF) ^ 8) - 8) * xq[c + 1];
            }
            dot[r] += (float)s * xd[c0 / QB];
        }
    }
}

/* ---- int4 weights interleaved by row blocks (built once at load time from the ChatGLM layout) -------------
 *
 * With the rows as stored, a pass over ROWS_PER_PASS rows reads that many streams n / 2 bytes apart, and on a
 * 2-core AVX2 machine (Zen 3) the products streamed at 0.55-0.85 of a plain read however far ahead they
 * prefetched. Stored interleaved, a block of INTERLEAVE rows is one contiguous stream: per 64-column group g,
 * row i's 32 bytes (its ChatGLM bytes XOR 0x88: each nibble q held as q + 8, as the products take it) at
 * (g * INTERLEAVE + i) * 32 in the block; the rows past the last full block keep the ChatGLM layout after it. Only for n a multiple of 64 (no partial group). The bytes of
 * a block of rows [r0, r0 + INTERLEAVE) start where the ChatGLM layout starts row r0, so row blocks, chunks and
 * the rows past the last block are found as before. Measured on that machine (one [16384, 4096] and one
 * [4096, 16384] product streamed from memory): 0.82-0.98 of the same run's read rate against 0.45-0.85. */
#define INTERLEAVE 8
/* Bytes ahead of the current group that each block pass prefetches (2 KB measured best of 0.5-2 KB). */
#define INTERLEAVE_PREFETCH 2048

/* dot[i] = sum over columns of (q + 8) * activation for the INTERLEAVE rows of one interleaved block, whose
 * nibbles are held as q + 8 already (XOR 0x88 at the repack: one vector op fewer per 32 bytes). */
static void dots_q8_int4_interleaved(const int8_t *w, const int8_t *xq, const float *xd8, int n, float *dot) {
    __m256 acc[INTERLEAVE];
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    const int groups = n / 64;
#pragma GCC unroll 8
    for (int r = 0; r < INTERLEAVE; ++r) acc[r] = _mm256_setzero_ps();
    for (int g = 0; g < groups; ++g) {
        const int8_t *wg = w + (size_t)g * INTERLEAVE * 32;
        const __m256i even = _mm256_loadu_si256((const __m256i *)(xq + (size_t)g * 64));
        const __m256i odd = _mm256_loadu_si256((const __m256i *)(xq + (size_t)g * 64 + 32));
        const __m256 dd = _mm256_loadu_ps(xd8 + (size_t)g * 8);
        /* One prefetch per cache line; past the matrix's end it is a no-op. */
#pragma GCC unroll 8
        for (int line = 0; line < INTERLEAVE * 32; line += 64)
            _mm_prefetch((const char *)(wg + INTERLEAVE_PREFETCH + line), _MM_HINT_T0);
#pragma GCC unroll 8
        for (int r = 0; r < INTERLEAVE; ++r) {
            const __m256i u = _mm256_loadu_si256((const __m256i *)(wg + r * 32)); /* offset at the repack */
            const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(u, 4), low4);
            const __m256i lo = _mm256_and_si256(u, low4);
            const __m256i p = dot_u8s8_2(hi, even, lo, odd);
            acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), dd, acc[r]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < INTERLEAVE; ++r) dot[r] = hsum_ps(acc[r]);
}

/* 8 * sum of the activations over full 64-column groups, each 32-column block times its scale. In the
 * permuted order a group's first block is at [0, 16) and [32, 48), its second at [16, 32) and [48, 64). */
static float q8_int4_offset(const int8_t *xq, const float *xd, int n) {
    double total = 0.0;
    for (int g = 0; g < n / 64; ++g) {
        int32_t first = 0, second = 0;
        for (int c = 0; c < 16; ++c) {
            const int8_t *p = xq + (size_t)g * 64 + c;
            first += p[0] + p[32];
            second += p[16] + p[48];
        }
        total += 8.0 * ((double)first * xd[2 * g] + (double)second * xd[2 * g + 1]);
    }
    return (float)total;
}

/* One activation row of the int8-activation path as the products read it (see quantize_row_q8). */
typedef struct {
    int8_t *xq;    /* [n (+ 32 of slack)] */
    float *xd;     /* [ceil(n / QB)] block scales */
    float *xd8;    /* [n / 64 * 8 (+ 1)] for int4: each group's two scales, four times each */
    float offset;  /* for int4: 8 * sum of the activations over full groups (q8_int4_offset) */
} q8_row;

static size_t q8_row_floats(int n) { return (size_t)(n + QB - 1) / QB + (size_t)(n / 64) * 8 + 1; }

/* Quantize x[0:n] into row, whose buffers hold n + 32 bytes and q8_row_floats(n) floats. */
static void q8_prepare(const float *x, int n, int bits, int8_t *bytes, float *floats, q8_row *row) {
    const int blocks = (n + QB - 1) / QB, groups = n / 64;
    row->xq = bytes;
    row->xd = floats;
    row->xd8 = floats + blocks;
    quantize_row_q8(x, n, row->xq, row->xd, bits == 4);
    row->offset = 0.f;
    if (bits == 4) {
        for (int g = 0; g < groups; ++g)
            for (int k = 0; k < 8; ++k) row->xd8[(size_t)g * 8 + k] = row->xd[2 * g + k / 4];
        row->offset = q8_int4_offset(row->xq, row->xd, n);
    }
}

/* y[i] = (dot[i] - offset) * scale[i] + bias[i] for count outputs: one copy of this code for both weight
 * layouts, so that the compiler's choice of contracting it into FMAs cannot make their results differ. */
static __attribute__((noinline)) void finish_outputs(const float *dot, int count, float offset, const float *scale,
                                                     const float *bias, float *y) {
    for (int i = 0; i < count; ++i) y[i] = (dot[i] - offset) * scale[i] + (bias ? bias[i] : 0.f);
}

/* Output rows [o0, o1) of the int8-activation product for `rows` prepared activation rows (y: [rows, out]);
 * o0 is a multiple of ROWS_PER_PASS, and of INTERLEAVE with interleaved (int4) weights. */
static void gemv_q8_rows(const q8_row *xr, int rows, int n, const int8_t *w, const float *scale, const float *bias,
                         float *y, int out, int bits, int interleaved, int o0, int o1) {
    const size_t row_bytes = bits == 4 ? (size_t)n / 2 : (size_t)n;
    if (interleaved) {
        const int blocks_end = min_int(o1, out / INTERLEAVE * INTERLEAVE);
        for (; o0 + INTERLEAVE <= blocks_end; o0 += INTERLEAVE) {
            const int8_t *wo = w + (size_t)o0 * row_bytes;
            for (int r = 0; r < rows; ++r) {
                const q8_row *a = xr + r;
                float dot[INTERLEAVE];
                dots_q8_int4_interleaved(wo, a->xq, a->xd8, n, dot);
                finish_outputs(dot, INTERLEAVE, a->offset, scale + o0, bias ? bias + o0 : NULL, y + (size_t)r * out + o0);
            }
        }
        /* The rows past the last full block are in the ChatGLM layout: the loop below. */
    }
    for (int p0 = o0; p0 < o1; p0 += ROWS_PER_PASS) {
        const int count = min_int(ROWS_PER_PASS, o1 - p0);
        const int8_t *wo = w + (size_t)p0 * row_bytes;
        for (int r = 0; r < rows; ++r) {
            const q8_row *a = xr + r;
            float dot[ROWS_PER_PASS];
            if (count == ROWS_PER_PASS && row_bytes >= ROWS_PER_PASS_MIN_BYTES) {
                if (bits == 4) dots_q8_int4(wo, row_bytes, ROWS_PER_PASS, a->xq, a->xd8, a->xd, n, dot);
                else dots_q8_int8(wo, row_bytes, ROWS_PER_PASS, a->xq, a->xd, n, dot);
            } else {
                for (int i = 0; i < count; ++i) {
                    if (bits == 4) dots_q8_int4(wo + i * row_bytes, row_bytes, 1, a->xq, a->xd8, a->xd, n, dot + i);
                    else dots_q8_int8(wo + i * row_bytes, row_bytes, 1, a->xq, a->xd, n, dot + i);
                }
            }
            finish_outputs(dot, count, a->offset, scale + p0, bias ? bias + p0 : NULL, y + (size_t)r * out + p0);
        }
    }
}

typedef struct {
    const q8_row *xr;
    int rows, n;
    const int8_t *w;
    const float *scale, *bias;
    float *y;
    int out, bits, interleaved, rows_per_chunk;
} gemv_q8_job;

/* Output rows [c * rows_per_chunk, ...) (a multiple of 8, so of ROWS_PER_PASS). */
static void gemv_q8_chunk(const void *arg, int c) {
    const gemv_q8_job *j = arg;
    const int o0 = c * j->rows_per_chunk;
    gemv_q8_rows(j->xr, j->rows, j->n, j->w, j->scale, j->bias, j->y, j->out, j->bits, j->interleaved, o0,
                 min_int(o0 + j->rows_per_chunk, j->out));
}

static int gemv_q8(const float *x, int rows, int n, const int8_t *w, int out, const float *scale, const float *bias,
                   float *y, int threads, int bits, int interleaved) {
    if (rows <= 0 || n <= 0 || out <= 0 || (bits == 4 && n % 2) || (interleaved && (bits != 4 || n % 64)))
        return -2;
    const size_t nf = q8_row_floats(n);
    int8_t *bytes = malloc((size_t)rows * ((size_t)n + 32));
    float *floats = malloc(sizeof(float) * (size_t)rows * nf);
    q8_row *xr = malloc(sizeof(q8_row) * (size_t)rows);
    if (!bytes || !floats || !xr) {
        free(bytes);
        free(floats);
        free(xr);
        return -1;
    }
    for (int r = 0; r < rows; ++r)
        q8_prepare(x + (size_t)r * n, n, bits, bytes + (size_t)r * ((size_t)n + 32), floats + (size_t)r * nf, xr + r);
    const gemv_q8_job job = {xr, rows, n, w, scale, bias, y, out, bits, interleaved,
                             chunk_rows(bits == 4 ? (size_t)n / 2 : (size_t)n, out)};
    pool_run(pool_for_thread(threads - 1), gemv_q8_chunk, &job, (out + job.rows_per_chunk - 1) / job.rows_per_chunk);
    free(bytes);
    free(floats);
    free(xr);
    return 0;
}

/* As wb_gemv16_int8 with the activations in int8 blocks of QB columns (the decode path). */
int wb_gemv_int8(const float *x, int rows, int n, const int8_t *w, int out, const float *scale, const float *bias,
                 float *y, int threads) {
    return gemv_q8(x, rows, n, w, out, scale, bias, y, threads, 8, 0);
}

/* As wb_gemv16_int4 with the activations in int8 blocks of QB columns (the decode path). */
int wb_gemv_int4(const float *x, int rows, int n, const int8_t *w, int out, const float *scale, const float *bias,
                 float *y, int threads) {
    return gemv_q8(x, rows, n, w, out, scale, bias, y, threads, 4, 0);
}

/* As wb_gemv_int4 with w interleaved by blocks of INTERLEAVE rows (n a multiple of 64; see above). */
int wb_gemv_int4_interleaved(const float *x, int rows, int n, const int8_t *w, int out, const float *scale,
                             const float *bias, float *y, int threads) {
    return gemv_q8(x, rows, n, w, out, scale, bias, y, threads, 4, 1);
}

/* ---- A plain read through the same work pool (benches: the memory limit the products are measured against) -- */
typedef struct {
    const int8_t *p;
    size_t bytes;
    _Atomic uint64_t sum;
} read_job;

#define READ_CHUNK_BYTES (1 << 20)

static void read_chunk(const void *arg, int c) {
    const read_job *j = arg;
    const size_t c0 = (size_t)c * READ_CHUNK_BYTES;
    const size_t c1 = c0 + READ_CHUNK_BYTES < j->bytes ? c0 + READ_CHUNK_BYTES : j->bytes;
    __m256i a = _mm256_setzero_si256(), b = a;
    size_t i = c0;
    for (; i + 64 <= c1; i += 64) {
        a = _mm256_xor_si256(a, _mm256_loadu_si256((const __m256i *)(j->p + i)));
        b = _mm256_xor_si256(b, _mm256_loadu_si256((const __m256i *)(j->p + i + 32)));
    }
    uint64_t lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, _mm256_xor_si256(a, b));
    uint64_t sum = lanes[0] ^ lanes[1] ^ lanes[2] ^ lanes[3];
    for (; i < c1; ++i) sum ^= (uint8_t)j->p[i];
    atomic_fetch_xor(&((read_job *)j)->sum, sum);
}

/* Reads bytes from p once (1 MB chunks on the pool, as the products share out rows); returns an xor of them. */
uint64_t wb_read(const int8_t *p, size_t bytes, int threads) {
    read_job job = {p, bytes, 0};
    pool_run(pool_for_thread(threads - 1), read_chunk, &job, (int)((bytes + READ_CHUNK_BYTES - 1) / READ_CHUNK_BYTES));
    return atomic_load(&job.sum);
}

/* ---- A bf16 weight times one fp32 row (a bf16 model's lm_head in decode steps) ------------------------------
 * y[o] = sum_k w[o][k] * x[k]: the bf16 weights widened exactly to fp32 as they load, summed in fp32 (four
 * 8-lane accumulators, then their lanes), one row at a time; rows shared out over the work pool in chunks as
 * the products' are. On a 2-core Zen 4 (AVX512_BF16) torch's one-row bf16 product read the 6B model's 1.07 GB
 * table at 14-20 GB/s, this loop at 24-27 GB/s, a plain read at 29-33 GB/s. */
typedef struct {
    const float *x;
    const uint16_t *w;
    float *y;
    int n, out, rows_per_chunk;
} bf16_job;

static inline __m256 load_bf16x8(const uint16_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}

static void gemv_bf16_chunk(const void *arg, int c) {
    const bf16_job *j = arg;
    const int o1 = min_int((c + 1) * j->rows_per_chunk, j->out);
    for (int o = c * j->rows_per_chunk; o < o1; ++o) {
        const uint16_t *w = j->w + (size_t)o * j->n;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        int k = 0;
        for (; k + 32 <= j->n; k += 32) {
            a0 = _mm256_fmadd_ps(load_bf16x8(w + k), _mm256_loadu_ps(j->x + k), a0);
            a1 = _mm256_fmadd_ps(load_bf16x8(w + k + 8), _mm256_loadu_ps(j->x + k + 8), a1);
            a2 = _mm256_fmadd_ps(load_bf16x8(w + k + 16), _mm256_loadu_ps(j->x + k + 16), a2);
            a3 = _mm256_fmadd_ps(load_bf16x8(w + k + 24), _mm256_loadu_ps(j->x + k + 24), a3);
        }
        for (; k + 8 <= j->n; k += 8) a0 = _mm256_fmadd_ps(load_bf16x8(w + k), _mm256_loadu_ps(j->x + k), a0);
        float s = hsum_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
        for (; k < j->n; ++k) {
            const uint32_t bits = (uint32_t)w[k] << 16;
            float f;
            memcpy(&f, &bits, sizeof f);
            s += f * j->x[k];
        }
        j->y[o] = s;
    }
}

int wb_gemv_bf16(const float *x, int n, const uint16_t *w, int out, float *y, int threads) {
    if (n <= 0 || out <= 0) return -2;
    const bf16_job job = {x, w, y, n, out, chunk_rows((size_t)n * 2, out)};
    pool_run(pool_for_thread(threads - 1), gemv_bf16_chunk, &job, (out + job.rows_per_chunk - 1) / job.rows_per_chunk);
    return 0;
}

/* ---- The prompt pass: weight rows dequantized to fp32 or bf16 -----------------------------------------------
 * out [rows, n] = q * scale[row] with one fp32 rounding, the same bits as torch's q.float() * scale; with bf16
 * out, that fp32 value rounded to nearest even once more, as torch's .to(torch.bfloat16) rounds it (q * scale
 * is exact in fp32 for bf16 scales, so a bf16 model's weights are rounded once). w: int8 [rows, n], or int4
 * [rows, n / 2] in the ChatGLM layout (even column in the high nibble). */

/* 8 floats to bf16, rounded to nearest even (finite values; NaN stays NaN unless its payload is in the low
 * 16 bits only, which q * scale never gives). With AVX512_BF16 one instruction does it (it would flush a
 * subnormal product to zero, i.e. a row scale under 1e-38, which quantization never gives). */
static inline __m128i bf16_round8(const __m256 v) {
#if defined(__AVX512BF16__) && defined(__AVX512VL__)
    return (__m128i)_mm256_cvtneps_pbh(v);
#else
    __m256i b = _mm256_castps_si256(v);
    const __m256i odd = _mm256_and_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(1));
    b = _mm256_srli_epi32(_mm256_add_epi32(b, _mm256_add_epi32(odd, _mm256_set1_epi32(0x7FFF))), 16);
    return _mm_packus_epi32(_mm256_castsi256_si128(b), _mm256_extracti128_si256(b, 1));
#endif
}

static inline uint16_t bf16_round1(const float f) {
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return (uint16_t)((b + 0x7FFF + ((b >> 16) & 1)) >> 16);
}

/* out[i:i+8] = v, as fp32 or (bf16 != 0) bf16. */
static inline void store8(void *out, const size_t i, const __m256 v, const int bf16) {
    if (bf16)
        _mm_storeu_si128((__m128i *)((uint16_t *)out + i), bf16_round8(v));
    else
        _mm256_storeu_ps((float *)out + i, v);
}

static inline void store1(void *out, const size_t i, const float v, const int bf16) {
    if (bf16)
        ((uint16_t *)out)[i] = bf16_round1(v);
    else
        ((float *)out)[i] = v;
}

/* out[o:o+32] = the 32 columns of 16 ChatGLM-layout int4 bytes times s. */
static inline void dequantize_int4_32(const __m128i bytes, const __m256 s, void *out, const size_t o, const int bf16) {
    const __m256i v = _mm256_cvtepi8_epi16(bytes);
    const __m256i hi = _mm256_srai_epi16(v, 4);
    const __m256i lo = _mm256_srai_epi16(_mm256_slli_epi16(v, 12), 12);
    /* Per 128-bit lane: a = columns 0-7 and 16-23, b = columns 8-15 and 24-31 of these 32. */
    const __m256i a = _mm256_unpacklo_epi16(hi, lo), b = _mm256_unpackhi_epi16(hi, lo);
    const __m256i parts[4] = {a, b, _mm256_permute2x128_si256(a, a, 0x11), _mm256_permute2x128_si256(b, b, 0x11)};
    for (int k = 0; k < 4; ++k) {
        const __m256 f = _mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(_mm256_castsi256_si128(parts[k])));
        store8(out, o + 8 * k, _mm256_mul_ps(f, s), bf16);
    }
}

#if defined(__AVX512BW__)
/* bf16 blocks from interleaved int4 by table lookup: a row's nibbles take 16 values, u = q + 8 in [0, 15]
 * (stored offset by 8), so its 16 bf16 products are computed once per row (rounded by store8, as the
 * arithmetic path rounds each weight: the same bits) and vpermw looks 32 of them up at a time. Per 64 weights
 * that is about a dozen instructions against some fifty: the fill of a 64-row prompt pass took ~0.8 s of a
 * `--full` int4 pass's ~3.9 s. */
static inline __m512i int4_row_table(const float s) {
    static const float offsets[16] = {-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7};
    uint16_t table[16];
    const __m256 vs = _mm256_set1_ps(s);
    store8(table, 0, _mm256_mul_ps(_mm256_loadu_ps(offsets), vs), 1);
    store8(table, 8, _mm256_mul_ps(_mm256_loadu_ps(offsets + 8), vs), 1);
    return _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)table));
}

/* out[0:64] = the 64 columns of 32 stored (offset) int4 bytes, looked up in table: byte i holds column 2i in
 * its high nibble and 2i + 1 in its low one. */
static inline void lookup_int4_64(const __m256i bytes, const __m512i table, uint16_t *out) {
    const __m512i w = _mm512_cvtepu8_epi16(bytes);
    const __m512i hi = _mm512_srli_epi16(w, 4), lo = _mm512_and_si512(w, _mm512_set1_epi16(0xF));
    const __m512i columns = _mm512_or_si512(hi, _mm512_slli_epi16(lo, 8)); /* as bytes: hi0 lo0 hi1 lo1 ... */
    _mm512_storeu_si512(out, _mm512_permutexvar_epi16(_mm512_cvtepu8_epi16(_mm512_castsi512_si256(columns)), table));
    _mm512_storeu_si512(out + 32,
                        _mm512_permutexvar_epi16(_mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(columns, 1)), table));
}
#endif

/* Row r of an int4 weight of `out_rows` rows held interleaved (see wb_gemv_int4_interleaved; n a multiple of 64),
 * read in place, times s: out[o:o+n] as fp32 or (bf16 != 0) bf16. */
static void dequantize_interleaved_row(const int8_t *w, const int out_rows, const int r, const int n, const float s,
                                       void *out, const size_t o, const int bf16) {
    const size_t row_bytes = (size_t)n / 2;
    if (r >= out_rows / INTERLEAVE * INTERLEAVE) { /* past the last full block: the ChatGLM layout */
        const __m256 vs = _mm256_set1_ps(s);
        for (int c = 0; c < n; c += 32)
            dequantize_int4_32(_mm_loadu_si128((const __m128i *)(w + (size_t)r * row_bytes + c / 2)), vs, out, o + c,
                               bf16);
        return;
    }
    /* Row r's 32 bytes of group g sit at (g * INTERLEAVE + r % INTERLEAVE) * 32 in its block, offset by 0x88. */
    const int8_t *block = w + (size_t)(r - r % INTERLEAVE) * row_bytes + (size_t)(r % INTERLEAVE) * 32;
#if defined(__AVX512BW__)
    if (bf16) {
        const __m512i table = int4_row_table(s);
        for (int c = 0; c < n; c += 64)
            lookup_int4_64(_mm256_loadu_si256((const __m256i *)(block + (size_t)(c / 64) * INTERLEAVE * 32)), table,
                           (uint16_t *)out + o + c);
        return;
    }
#endif
    const __m128i flip = _mm_set1_epi8((char)0x88);
    const __m256 vs = _mm256_set1_ps(s);
    for (int c = 0; c < n; c += 64) {
        const int8_t *g = block + (size_t)(c / 64) * INTERLEAVE * 32;
        dequantize_int4_32(_mm_xor_si128(_mm_loadu_si128((const __m128i *)g), flip), vs, out, o + c, bf16);
        dequantize_int4_32(_mm_xor_si128(_mm_loadu_si128((const __m128i *)(g + 16)), flip), vs, out, o + c + 32, bf16);
    }
}

/* As wb_dequantize (int4) for rows [r0, r1) of an int4 weight of `out` rows held interleaved, read in place: the
 * prompt pass no longer copies the rows back into the ChatGLM layout first. scale and out hold rows [r0, r1)
 * only. */
void wb_dequantize_int4_interleaved(const int8_t *w, int out_rows, int r0, int r1, int n, const float *scale,
                                    void *out, int threads, int bf16) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int r = r0; r < r1; ++r)
        dequantize_interleaved_row(w, out_rows, r, n, scale[r - r0], out, (size_t)(r - r0) * n, bf16);
}

/* One row wr (int8 [n], or int4 [n / 2] in the ChatGLM layout) times s: out[o:o+n] as fp32 or bf16. */
static void dequantize_row(const int8_t *wr, const int n, const float s, void *out, const size_t o, const int bits,
                           const int bf16) {
    const __m256 vs = _mm256_set1_ps(s);
    int c = 0;
    if (bits == 8) {
#if defined(__AVX512BF16__)
        /* 16 weights per instruction where one instruction rounds 16 floats to bf16 (the same rounding). */
        if (bf16)
            for (; c + 16 <= n; c += 16) {
                const __m512 f = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(wr + c))));
                _mm256_storeu_si256((__m256i *)((uint16_t *)out + o + c),
                                    (__m256i)_mm512_cvtneps_pbh(_mm512_mul_ps(f, _mm512_set1_ps(s))));
            }
#endif
        for (; c + 8 <= n; c += 8) {
            const __m256i q = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(wr + c)));
            store8(out, o + c, _mm256_mul_ps(_mm256_cvtepi32_ps(q), vs), bf16);
        }
        for (; c < n; ++c) store1(out, o + c, (float)wr[c] * s, bf16);
        return;
    }
#if defined(__AVX512BW__)
    /* The interleaved layout's table lookup (its bytes are these with the nibbles offset by 8). */
    if (bf16) {
        const __m512i table = int4_row_table(s);
        const __m256i flip = _mm256_set1_epi8((char)0x88);
        for (; c + 64 <= n; c += 64)
            lookup_int4_64(_mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(wr + c / 2)), flip), table,
                           (uint16_t *)out + o + c);
    }
#endif
    for (; c + 32 <= n; c += 32) dequantize_int4_32(_mm_loadu_si128((const __m128i *)(wr + c / 2)), vs, out, o + c, bf16);
    for (; c < n; c += 2) {
        const int8_t byte = wr[c / 2];
        store1(out, o + c, (float)(byte >> 4) * s, bf16);
        store1(out, o + c + 1, (float)(((byte & 0xF) ^ 8) - 8) * s, bf16);
    }
}

void wb_dequantize(const int8_t *w, int rows, int n, const float *scale, void *out, int threads, int bits, int bf16) {
    const size_t row_bytes = bits == 4 ? (size_t)n / 2 : (size_t)n;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int r = 0; r < rows; ++r) dequantize_row(w + (size_t)r * row_bytes, n, scale[r], out, (size_t)r * n, bits, bf16);
}

/* Prompt-pass products fused with the dequantization: y [m, n] (fp32) = x @ W.T + bias for bf16 activations x
 * [m, k] and a weight W [n, k] held as `layout` (PG_*), each weight rounded to bf16 exactly as wb_dequantize
 * rounds it (the same row routines), every product exact and summed in fp32 by vdpbf16ps (AVX512_BF16).
 *
 * The blocked path (wb_dequantize into a bf16 block, then torch's GEMM) writes every weight to a buffer, reads it
 * back, and the GEMM repacks it again: at BianQue-2's size and 64 rows that fill took ~0.5-0.7 s of a ~3.3 s int4
 * prompt pass whose GEMMs ran at ~0.9 of one F.linear. Here a tile of PG_ROWS weight rows is dequantized into a
 * small per-thread buffer (L2) and multiplied at once: each of its bf16 pairs is broadcast against 16 packed
 * activation rows per vdpbf16ps, PG_ROWS x 4 accumulators covering 64 rows. The activations are packed once per
 * pass as [64-row block][k / 2][64] bf16 pairs, at most PG_PASS_BYTES at a time (an L3-sized share), so a
 * tile streams them from cache. Measured on a 2-core Zen 4 (bf16 weights, 64 rows, 4096 / 16384 wide): 410-440
 * GFLOP/s on two threads against 290-350 for torch's bf16 F.linear. */
#define PG_ROWS 6
#define PG_BLOCK 64
#define PG_PASS_BYTES (8u << 20)
enum { PG_BF16 = 0, PG_INT8 = 1, PG_INT4 = 2, PG_INT4_INTERLEAVED = 3 };

/* Pairs per packing chunk, and tiles per product chunk (24 weight rows: a chunk a descheduled helper holds
 * costs little, and claiming one is noise beside its ~0.1 ms of products at k = 4096). */
#define PG_PACK_PAIRS 512
#define PG_TILES_PER_CHUNK 4

/* A thread's buffer for one tile's dequantized rows, kept for its next calls and freed when the thread ends
 * (helpers end with their caller's pool; callers may be short-lived threads). */
typedef struct {
    size_t bytes;
    void *data;
} pg_rows;

static pthread_key_t pg_rows_key;
static pthread_once_t pg_rows_once = PTHREAD_ONCE_INIT;

static void pg_rows_free(void *p) {
    if (!p) return;
    free(((pg_rows *)p)->data);
    free(p);
}
static void pg_rows_make_key(void) { pthread_key_create(&pg_rows_key, pg_rows_free); }

/* This thread's buffer of at least `bytes`, or NULL when it cannot grow. */
static void *pg_buffer(const size_t bytes) {
    pthread_once(&pg_rows_once, pg_rows_make_key);
    pg_rows *rows = pthread_getspecific(pg_rows_key);
    if (!rows) {
        if (!(rows = calloc(1, sizeof *rows))) return NULL;
        pthread_setspecific(pg_rows_key, rows);
    }
    if (bytes > rows->bytes) {
        free(rows->data);
        rows->data = aligned_alloc(64, bytes);
        rows->bytes = rows->data ? bytes : 0;
    }
    return rows->data;
}

/* One fused product's operands and its current pass (both routines' chunk functions read it). */
typedef struct {
    const void *x; /* this pass's first activation row */
    int rows, k, blocks, layout, n;
    const void *w;
    const float *scale, *bias;
    float *y;      /* this pass's first output row */
    void *a;       /* this pass's packed activations */
    _Atomic int failed;
} pg_job;

/* Both routines' passes: at most PG_PASS_BYTES of activations (`row_bytes` a row packed) are packed at a time, in
 * blocks of `block` rows (`pack_chunks` chunks per block), then every `tile_rows` weight rows (PG_TILES_PER_CHUNK
 * tiles a chunk) are multiplied with them, on the calling thread and its work pool's helpers. Returns 0, or -1
 * out of memory. */
static int pg_run(pg_job *job, const void *x, const int m, const size_t row_bytes, const int block,
                  const int pack_chunks, const chunk_fn pack, const int tile_rows, const chunk_fn multiply, float *y,
                  const int threads) {
    int pass_rows = (int)(PG_PASS_BYTES / row_bytes / block * block);
    if (pass_rows < block) pass_rows = block;
    const int pass_blocks = (min_int(m, pass_rows) + block - 1) / block;
    if (!(job->a = aligned_alloc(64, (size_t)pass_blocks * block * row_bytes))) return -1;
    pool_t *pool = pool_for_thread(threads - 1);
    atomic_init(&job->failed, 0);
    const int tiles = (job->n + tile_rows - 1) / tile_rows;
    for (int m0 = 0; m0 < m && !atomic_load(&job->failed); m0 += pass_rows) {
        job->x = (const char *)x + (size_t)m0 * row_bytes;
        job->y = y + (size_t)m0 * job->n;
        job->rows = min_int(pass_rows, m - m0);
        job->blocks = (job->rows + block - 1) / block;
        pool_run(pool, pack, job, job->blocks * pack_chunks);
        pool_run(pool, multiply, job, (tiles + PG_TILES_PER_CHUNK - 1) / PG_TILES_PER_CHUNK);
    }
    free(job->a);
    return atomic_load(&job->failed) ? -1 : 0;
}

#if defined(__AVX512BF16__) && defined(__AVX512BW__)
/* c[r][0:16 * J] = the J x 16 activation rows of one packed block times weight rows wr[r], r < PG_ROWS. */
static inline __attribute__((always_inline)) void pg_tile(const int J, const uint32_t *a, const uint32_t *const *wr,
                                                          const int pairs, float *c) {
    __m512 acc[PG_ROWS][4];
#pragma GCC unroll 6
    for (int r = 0; r < PG_ROWS; ++r)
#pragma GCC unroll 4
        for (int j = 0; j < J; ++j) acc[r][j] = _mm512_setzero_ps();
    for (int p = 0; p < pairs; ++p) {
        __m512bh av[4];
#pragma GCC unroll 4
        for (int j = 0; j < J; ++j) av[j] = (__m512bh)_mm512_loadu_si512(a + (size_t)p * PG_BLOCK + 16 * j);
#pragma GCC unroll 6
        for (int r = 0; r < PG_ROWS; ++r) {
            const __m512bh b = (__m512bh)_mm512_set1_epi32((int)wr[r][p]);
#pragma GCC unroll 4
            for (int j = 0; j < J; ++j) acc[r][j] = _mm512_dpbf16_ps(acc[r][j], av[j], b);
        }
    }
#pragma GCC unroll 6
    for (int r = 0; r < PG_ROWS; ++r)
#pragma GCC unroll 4
        for (int j = 0; j < J; ++j) _mm512_storeu_ps(c + r * PG_BLOCK + 16 * j, acc[r][j]);
}

static void pg_tile_rows(const int J, const uint32_t *a, const uint32_t *const *wr, const int pairs, float *c) {
    switch (J) { /* one specialization per width: the accumulators stay in registers */
    case 1: pg_tile(1, a, wr, pairs, c); break;
    case 2: pg_tile(2, a, wr, pairs, c); break;
    case 3: pg_tile(3, a, wr, pairs, c); break;
    default: pg_tile(4, a, wr, pairs, c); break;
    }
}

/* Rows [0, rows) of x (bf16 [.., k]), pairs [p0, p1), into a block packed as [k / 2][PG_BLOCK] pairs, zero past
 * `rows`. */
static void pg_pack_block(const uint16_t *x, const int rows, const int k, const int p0, const int p1, uint32_t *a) {
    for (int p = p0; p < p1; ++p)
        for (int i = 0; i < PG_BLOCK; ++i) {
            uint32_t v = 0;
            if (i < rows) memcpy(&v, x + (size_t)i * k + 2 * p, sizeof v);
            a[(size_t)p * PG_BLOCK + i] = v;
        }
}



static void pg_pack_chunk(const void *arg, const int c) {
    const pg_job *j = arg;
    const int pairs = j->k / 2, per_block = (pairs + PG_PACK_PAIRS - 1) / PG_PACK_PAIRS, b = c / per_block;
    const int p0 = (c % per_block) * PG_PACK_PAIRS;
    pg_pack_block((const uint16_t *)j->x + (size_t)b * PG_BLOCK * j->k, min_int(PG_BLOCK, j->rows - b * PG_BLOCK),
                  j->k, p0, min_int(p0 + PG_PACK_PAIRS, pairs), (uint32_t *)j->a + (size_t)b * pairs * PG_BLOCK);
}

static void pg_tile_chunk(const void *arg, const int c) {
    pg_job *j = (pg_job *)arg;
    const int k = j->k;
    uint16_t *buffer = NULL;
    if (j->layout != PG_BF16 && !(buffer = pg_buffer(((size_t)PG_ROWS * k * 2 + 63) / 64 * 64))) {
        atomic_store(&j->failed, 1);
        return;
    }
    float tile[PG_ROWS * PG_BLOCK] __attribute__((aligned(64)));
    const int t_end = min_int((c + 1) * PG_TILES_PER_CHUNK, (j->n + PG_ROWS - 1) / PG_ROWS);
    for (int t = c * PG_TILES_PER_CHUNK; t < t_end; ++t) {
        const int n0 = t * PG_ROWS, tile_rows = min_int(PG_ROWS, j->n - n0);
        const uint32_t *wr[PG_ROWS];
        for (int r = 0; r < PG_ROWS; ++r) {
            const int row = n0 + min_int(r, tile_rows - 1); /* a short last tile repeats its last row */
            if (j->layout == PG_BF16) {
                wr[r] = (const uint32_t *)((const uint16_t *)j->w + (size_t)row * k);
                continue;
            }
            wr[r] = (const uint32_t *)(buffer + (size_t)min_int(r, tile_rows - 1) * k);
            if (r >= tile_rows) continue;
            if (j->layout == PG_INT4_INTERLEAVED)
                dequantize_interleaved_row(j->w, j->n, row, k, j->scale[row], buffer, (size_t)r * k, 1);
            else
                dequantize_row((const int8_t *)j->w + (size_t)row * (j->layout == PG_INT8 ? k : k / 2), k,
                               j->scale[row], buffer, (size_t)r * k, j->layout == PG_INT8 ? 8 : 4, 1);
        }
        for (int b = 0; b < j->blocks; ++b) {
            const int block_rows = min_int(PG_BLOCK, j->rows - b * PG_BLOCK);
            pg_tile_rows((block_rows + 15) / 16, (const uint32_t *)j->a + (size_t)b * (k / 2) * PG_BLOCK, wr, k / 2,
                         tile);
            float *yb = j->y + (size_t)b * PG_BLOCK * j->n + n0;
            for (int i = 0; i < block_rows; ++i)
                for (int r = 0; r < tile_rows; ++r)
                    yb[(size_t)i * j->n + r] = j->bias ? tile[r * PG_BLOCK + i] + j->bias[n0 + r] : tile[r * PG_BLOCK + i];
        }
    }
}
#endif

/* Returns 0; -1 out of memory; -2 bad operands; -3 not built here (no AVX512_BF16). scale: float32 [n] (unused for
 * PG_BF16), bias: float32 [n] or NULL. Runs on the calling thread and its work pool's helpers, as the decode
 * products do: a helper the scheduler has not run holds up no barrier. */
int wb_prompt_gemm_bf16(const uint16_t *x, int m, int k, const void *w, int layout, int n, const float *scale,
                        const float *bias, float *y, int threads) {
#if !(defined(__AVX512BF16__) && defined(__AVX512BW__))
    (void)x, (void)m, (void)k, (void)w, (void)layout, (void)n, (void)scale, (void)bias, (void)y, (void)threads;
    return -3;
#else
    if (m <= 0 || n <= 0 || k <= 0 || k % 2 || layout < PG_BF16 || layout > PG_INT4_INTERLEAVED ||
        (layout == PG_INT4_INTERLEAVED && k % 64) || (layout != PG_BF16 && !scale))
        return -2;
    pg_job job = {.k = k, .layout = layout, .n = n, .w = w, .scale = scale, .bias = bias};
    return pg_run(&job, x, m, (size_t)k * 2, PG_BLOCK, (k / 2 + PG_PACK_PAIRS - 1) / PG_PACK_PAIRS, pg_pack_chunk,
                  PG_ROWS, pg_tile_chunk, y, threads);
#endif
}

/* The same fused product in fp32, for CPUs without native bf16 arithmetic (AVX2 and FMA): y [m, n] (fp32) =
 * x @ W.T + bias for fp32 activations x [m, k], each weight dequantized to fp32 as wb_dequantize writes it
 * (q * scale, one rounding; a bf16 weight widened exactly), every product and sum in fp32: torch's fp32 GEMM on
 * the blocked path's dequantized blocks sums the same products in another order.
 *
 * On such CPUs a quantized layer's prompt pass dequantized its weight into 4 MB fp32 blocks for torch's GEMM,
 * which wrote every weight out as fp32, read it back and packed it again. Here a tile of PF_ROWS weight rows is
 * dequantized into a per-thread buffer (L1/L2) and each fp32 weight is broadcast against 16 packed activation
 * rows (two FMAs): PF_ROWS x 2 accumulators, the 6 x 16 register tile of fp32 GEMM kernels. The activations are
 * packed once per pass as [16-row block][k][16] floats, at most PG_PASS_BYTES at a time, and streamed from
 * cache by every tile. */
#define PF_ROWS 6
#define PF_BLOCK 16
#define PF_PACK_COLUMNS 1024

/* c[r][0:8 * J] = the 8 * J activation rows of one packed block times weight rows wr[r], r < PF_ROWS. */
static inline __attribute__((always_inline)) void pf_tile(const int J, const float *a, const float *const *wr,
                                                          const int k, float *c) {
    __m256 acc[PF_ROWS][2];
#pragma GCC unroll 6
    for (int r = 0; r < PF_ROWS; ++r)
#pragma GCC unroll 2
        for (int j = 0; j < J; ++j) acc[r][j] = _mm256_setzero_ps();
    for (int p = 0; p < k; ++p) {
        __m256 av[2];
#pragma GCC unroll 2
        for (int j = 0; j < J; ++j) av[j] = _mm256_load_ps(a + (size_t)p * PF_BLOCK + 8 * j);
#pragma GCC unroll 6
        for (int r = 0; r < PF_ROWS; ++r) {
            const __m256 b = _mm256_broadcast_ss(wr[r] + p);
#pragma GCC unroll 2
            for (int j = 0; j < J; ++j) acc[r][j] = _mm256_fmadd_ps(av[j], b, acc[r][j]);
        }
    }
#pragma GCC unroll 6
    for (int r = 0; r < PF_ROWS; ++r)
#pragma GCC unroll 2
        for (int j = 0; j < J; ++j) _mm256_storeu_ps(c + r * PF_BLOCK + 8 * j, acc[r][j]);
}

/* Rows [0, rows) of x (fp32 [.., k]), columns [p0, p1), into a block packed as [k][PF_BLOCK], zero past `rows`. */
static void pf_pack_block(const float *x, const int rows, const int k, const int p0, const int p1, float *a) {
    for (int p = p0; p < p1; ++p)
        for (int i = 0; i < PF_BLOCK; ++i) a[(size_t)p * PF_BLOCK + i] = i < rows ? x[(size_t)i * k + p] : 0.0f;
}

static void pf_pack_chunk(const void *arg, const int c) {
    const pg_job *j = arg;
    const int per_block = (j->k + PF_PACK_COLUMNS - 1) / PF_PACK_COLUMNS, b = c / per_block;
    const int p0 = (c % per_block) * PF_PACK_COLUMNS;
    pf_pack_block((const float *)j->x + (size_t)b * PF_BLOCK * j->k, min_int(PF_BLOCK, j->rows - b * PF_BLOCK), j->k,
                  p0, min_int(p0 + PF_PACK_COLUMNS, j->k), (float *)j->a + (size_t)b * j->k * PF_BLOCK);
}

/* Row `row` of W as fp32 into out[0:k]. */
static void pf_weight_row(const pg_job *j, const int row, float *out) {
    const int k = j->k;
    if (j->layout == PG_BF16) {
        const uint16_t *wr = (const uint16_t *)j->w + (size_t)row * k;
        int c = 0;
        for (; c + 8 <= k; c += 8)
            _mm256_storeu_ps(out + c, _mm256_castsi256_ps(_mm256_slli_epi32(
                                          _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(wr + c))), 16)));
        for (; c < k; ++c) {
            const uint32_t bits = (uint32_t)wr[c] << 16;
            memcpy(out + c, &bits, sizeof bits);
        }
    } else if (j->layout == PG_INT4_INTERLEAVED) {
        dequantize_interleaved_row(j->w, j->n, row, k, j->scale[row], out, 0, 0);
    } else {
        dequantize_row((const int8_t *)j->w + (size_t)row * (j->layout == PG_INT8 ? k : k / 2), k, j->scale[row],
                       out, 0, j->layout == PG_INT8 ? 8 : 4, 0);
    }
}

static void pf_tile_chunk(const void *arg, const int c) {
    pg_job *j = (pg_job *)arg;
    const int k = j->k;
    const size_t row_floats = ((size_t)k + 15) / 16 * 16; /* rows start 64-byte aligned */
    float *buffer = pg_buffer(PF_ROWS * row_floats * sizeof(float));
    if (!buffer) {
        atomic_store(&j->failed, 1);
        return;
    }
    float tile[PF_ROWS * PF_BLOCK] __attribute__((aligned(64)));
    const int t_end = min_int((c + 1) * PG_TILES_PER_CHUNK, (j->n + PF_ROWS - 1) / PF_ROWS);
    for (int t = c * PG_TILES_PER_CHUNK; t < t_end; ++t) {
        const int n0 = t * PF_ROWS, tile_rows = min_int(PF_ROWS, j->n - n0);
        const float *wr[PF_ROWS];
        for (int r = 0; r < PF_ROWS; ++r) {
            wr[r] = buffer + (size_t)min_int(r, tile_rows - 1) * row_floats; /* a short last tile repeats its last row */
            if (r < tile_rows) pf_weight_row(j, n0 + r, buffer + (size_t)r * row_floats);
        }
        for (int b = 0; b < j->blocks; ++b) {
            const int block_rows = min_int(PF_BLOCK, j->rows - b * PF_BLOCK);
            const float *a = (const float *)j->a + (size_t)b * k * PF_BLOCK;
            if (block_rows > 8)
                pf_tile(2, a, wr, k, tile);
            else
                pf_tile(1, a, wr, k, tile);
            float *yb = j->y + (size_t)b * PF_BLOCK * j->n + n0;
            for (int i = 0; i < block_rows; ++i)
                for (int r = 0; r < tile_rows; ++r)
                    yb[(size_t)i * j->n + r] = j->bias ? tile[r * PF_BLOCK + i] + j->bias[n0 + r] : tile[r * PF_BLOCK + i];
        }
    }
}

/* Returns 0; -1 out of memory; -2 bad operands. As wb_prompt_gemm_bf16 with fp32 activations; built on every CPU
 * the library is (AVX2 and FMA). */
int wb_prompt_gemm_f32(const float *x, int m, int k, const void *w, int layout, int n, const float *scale,
                       const float *bias, float *y, int threads) {
    if (m <= 0 || n <= 0 || k <= 0 || layout < PG_BF16 || layout > PG_INT4_INTERLEAVED ||
        (layout == PG_INT4_INTERLEAVED && k % 64) || ((layout == PG_INT4 || layout == PG_INT4_INTERLEAVED) && k % 2) ||
        (layout != PG_BF16 && !scale))
        return -2;
    pg_job job = {.k = k, .layout = layout, .n = n, .w = w, .scale = scale, .bias = bias};
    return pg_run(&job, x, m, (size_t)k * sizeof(float), PF_BLOCK, (k + PF_PACK_COLUMNS - 1) / PF_PACK_COLUMNS,
                  pf_pack_chunk, PF_ROWS, pf_tile_chunk, y, threads);
}

/* exp on 8 floats: Cephes' expf (range reduction by ln 2, degree-6 polynomial), about 1 ulp. NaN stays NaN
 * (min/max keep their second operand when either is NaN). */
static inline __m256 exp256(__m256 x) {
    x = _mm256_min_ps(_mm256_set1_ps(88.3762626647949f), x);
    x = _mm256_max_ps(_mm256_set1_ps(-87.3365478515625f), x);
    __m256 fx = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.f)));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

/* scores[t] = exp(scores[t] - mx) for t in [0, n), returning their sum: a softmax's middle, shared by the
 * whole-step decode (native_step.c) and the 16-bit cache attention below. */
static inline float exp_shifted_in_place(float *scores, int n, float mx) {
    int t = 0;
    __m256 vsum = _mm256_setzero_ps();
    const __m256 vmx = _mm256_set1_ps(mx);
    for (; t + 8 <= n; t += 8) {
        const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(scores + t), vmx));
        _mm256_storeu_ps(scores + t, e);
        vsum = _mm256_add_ps(vsum, e);
    }
    float sum = hsum_ps(vsum);
    for (; t < n; ++t) {
        scores[t] = expf(scores[t] - mx);
        sum += scores[t];
    }
    return sum;
}

/* ---- Decode-time attention over a 16-bit KV cache ----------------------------------------------------------
 * One query token per sequence against T cached positions, for bf16 or fp16 caches (kind 0 / 1). torch runs
 * this as two batched bf16 products, which on CPUs without bf16 arithmetic are slow and, with sleeping OpenMP
 * threads, pay a wake-up each (measured 3.3 ms a product at --full, against 0.2 ms of arithmetic). Here each
 * head reads its keys and values straight from the cache, widened to fp32 on load (bf16 -> fp32 is a 16-bit
 * shift, fp16 one vcvtph2ps), and the heads are shared out by the work pool.
 * The roundings follow modeling.py's torch path: q / divisor, each score, score * coeff, the probabilities
 * and the output are rounded to the cache's dtype where torch rounds them; the sums run in fp32 (in another
 * order than torch's, so a value may differ by one 16-bit ulp), softmax in fp32 as torch.softmax(dtype=fp32). */

/* fp32 -> the 16-bit kind and back (round to nearest even; NaN stays NaN). */
static inline __m256 round16_ps(__m256 x, int kind) {
    if (kind) return _mm256_cvtph_ps(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    const __m256i u = _mm256_castps_si256(x);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_add_epi32(u, _mm256_add_epi32(_mm256_set1_epi32(0x7FFF), lsb));
    r = _mm256_and_si256(r, _mm256_set1_epi32((int)0xFFFF0000u));
    /* A NaN becomes bf16's quiet NaN, as torch rounds it (its payload may sit in the dropped half). */
    const __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
    return _mm256_blendv_ps(_mm256_castsi256_ps(r), _mm256_castsi256_ps(_mm256_set1_epi32(0x7FC00000)), nan);
}

static inline float round16(float x, int kind) {
    float lanes[8];
    _mm256_storeu_ps(lanes, round16_ps(_mm256_set1_ps(x), kind));
    return lanes[0];
}

static inline __m256 load16_ps(const uint16_t *p, int kind) {
    const __m128i h = _mm_loadu_si128((const __m128i *)p);
    if (kind) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

static inline float load16(const uint16_t *p, int kind) {
    if (kind) return _cvtsh_ss(*p);
    const uint32_t u = (uint32_t)*p << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline void store16_ps(uint16_t *p, __m256 x, int kind) {
    if (kind) {
        _mm_storeu_si128((__m128i *)p, _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        return;
    }
    /* x is already rounded to bf16: its high halves are the bf16 values. */
    const __m256i hi = _mm256_srli_epi32(_mm256_castps_si256(x), 16);
    const __m128i packed = _mm_packus_epi32(_mm256_castsi256_si128(hi), _mm256_extracti128_si256(hi, 1));
    _mm_storeu_si128((__m128i *)p, packed);
}

static inline void store16(uint16_t *p, float x, int kind) {
    if (kind) {
        *p = _cvtss_sh(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        return;
    }
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    *p = (uint16_t)(u >> 16);
}

#define ATTEND_MAX_HD 512

typedef struct {
    const uint16_t *q, *keys, *values;
    const uint8_t *mask; /* [batch, length], nonzero = masked; or NULL */
    uint16_t *out;       /* [batch, heads, hd] */
    float *scores;       /* [batch * heads, length] scratch */
    long q_batch, q_head, k_batch, k_head, k_pos, v_batch, v_head, v_pos;
    int heads, length, hd, kind;
    float divisor, coeff, fill;
} attend_job;

static void attend_chunk(const void *arg, int c) {
    const attend_job *j = arg;
    const int b = c / j->heads, h = c % j->heads, hd = j->hd, kind = j->kind, T = j->length;
    const uint16_t *q = j->q + b * j->q_batch + h * j->q_head;
    const uint16_t *keys = j->keys + b * j->k_batch + h * j->k_head;
    const uint16_t *values = j->values + b * j->v_batch + h * j->v_head;
    const uint8_t *mask = j->mask ? j->mask + (size_t)b * T : NULL;
    float *scores = j->scores + (size_t)c * T;
    float qs[ATTEND_MAX_HD] __attribute__((aligned(32)));
    const __m256 vdiv = _mm256_set1_ps(j->divisor);
    for (int d = 0; d < hd; d += 8)
        _mm256_store_ps(qs + d, round16_ps(_mm256_div_ps(load16_ps(q + d, kind), vdiv), kind));
    /* Scores, four positions at a time (four independent sums). */
    const float fill = round16(j->fill, kind);
    int t = 0;
    for (; t + 4 <= T; t += 4) {
        __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
        const uint16_t *k0 = keys + (long)t * j->k_pos;
        for (int d = 0; d < hd; d += 8) {
            const __m256 qd = _mm256_load_ps(qs + d);
            for (int r = 0; r < 4; ++r) acc[r] = _mm256_fmadd_ps(qd, load16_ps(k0 + r * j->k_pos + d, kind), acc[r]);
        }
        for (int r = 0; r < 4; ++r) scores[t + r] = hsum_ps(acc[r]);
    }
    for (; t < T; ++t) {
        __m256 acc = _mm256_setzero_ps();
        const uint16_t *k0 = keys + (long)t * j->k_pos;
        for (int d = 0; d < hd; d += 8) acc = _mm256_fmadd_ps(_mm256_load_ps(qs + d), load16_ps(k0 + d, kind), acc);
        scores[t] = hsum_ps(acc);
    }
    /* The product's rounding, the mask, the coefficient's rounding; then softmax in fp32. */
    float mx = -INFINITY;
    const __m256 vcoeff = _mm256_set1_ps(j->coeff);
    for (t = 0; t + 8 <= T; t += 8) {
        __m256 s = round16_ps(_mm256_loadu_ps(scores + t), kind);
        if (mask) {
            const __m256i m = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(mask + t)));
            const __m256 masked = _mm256_castsi256_ps(_mm256_cmpgt_epi32(m, _mm256_setzero_si256()));
            s = _mm256_blendv_ps(s, _mm256_set1_ps(fill), masked);
        }
        _mm256_storeu_ps(scores + t, round16_ps(_mm256_mul_ps(s, vcoeff), kind));
    }
    for (; t < T; ++t) {
        float s = round16(scores[t], kind);
        if (mask && mask[t]) s = fill;
        scores[t] = round16(s * j->coeff, kind);
    }
    for (t = 0; t < T; ++t) mx = scores[t] > mx ? scores[t] : mx;
    const float sum = exp_shifted_in_place(scores, T, mx);
    const float inv = 1.f / sum;
    const __m256 vinv = _mm256_set1_ps(inv);
    for (t = 0; t + 8 <= T; t += 8)
        _mm256_storeu_ps(scores + t, round16_ps(_mm256_mul_ps(_mm256_loadu_ps(scores + t), vinv), kind));
    for (; t < T; ++t) scores[t] = round16(scores[t] * inv, kind);
    /* probabilities x values, hd outputs accumulated in fp32, two positions per pass. */
    float acc[ATTEND_MAX_HD] __attribute__((aligned(32)));
    for (int d = 0; d < hd; d += 8) _mm256_store_ps(acc + d, _mm256_setzero_ps());
    for (t = 0; t + 2 <= T; t += 2) {
        const __m256 p0 = _mm256_set1_ps(scores[t]), p1 = _mm256_set1_ps(scores[t + 1]);
        const uint16_t *v0 = values + (long)t * j->v_pos, *v1 = v0 + j->v_pos;
        for (int d = 0; d < hd; d += 8) {
            __m256 a = _mm256_fmadd_ps(p0, load16_ps(v0 + d, kind), _mm256_load_ps(acc + d));
            _mm256_store_ps(acc + d, _mm256_fmadd_ps(p1, load16_ps(v1 + d, kind), a));
        }
    }
    for (; t < T; ++t) {
        const __m256 p = _mm256_set1_ps(scores[t]);
        const uint16_t *v = values + (long)t * j->v_pos;
        for (int d = 0; d < hd; d += 8)
            _mm256_store_ps(acc + d, _mm256_fmadd_ps(p, load16_ps(v + d, kind), _mm256_load_ps(acc + d)));
    }
    uint16_t *out = j->out + ((size_t)b * j->heads + h) * hd;
    for (int d = 0; d < hd; d += 8) store16_ps(out + d, round16_ps(_mm256_load_ps(acc + d), kind), kind);
}

/* out[b, h] = softmax(round(round(q[b, h] / divisor) . K[b, h]^T) * coeff (masked: fill)) . V[b, h] for one query
 * token. q, keys, values, out: 16-bit (kind 0 bf16, 1 fp16), element strides as given (the head dimension
 * contiguous); mask: uint8 [batch, length] or NULL; out: contiguous [batch, heads, hd]. Returns 0, -1 when out
 * of memory, -2 for bad sizes. */
int wb_attend_decode(const uint16_t *q, long q_batch, long q_head, const uint16_t *keys, long k_batch, long k_head,
                     long k_pos, const uint16_t *values, long v_batch, long v_head, long v_pos, const uint8_t *mask,
                     uint16_t *out, int batch, int heads, int length, int hd, float divisor, float coeff, float fill,
                     int kind, int threads) {
    if (batch <= 0 || heads <= 0 || length <= 0 || hd <= 0 || hd % 8 || hd > ATTEND_MAX_HD || (kind != 0 && kind != 1))
        return -2;
    float *scores = malloc(sizeof(float) * (size_t)batch * (size_t)heads * (size_t)length);
    if (!scores) return -1;
    const attend_job job = {
        .q = q, .keys = keys, .values = values, .mask = mask, .out = out, .scores = scores,
        .q_batch = q_batch, .q_head = q_head, .k_batch = k_batch, .k_head = k_head, .k_pos = k_pos,
        .v_batch = v_batch, .v_head = v_head, .v_pos = v_pos,
        .heads = heads, .length = length, .hd = hd, .kind = kind, .divisor = divisor, .coeff = coeff, .fill = fill,
    };
    pool_run(pool_for_thread(threads - 1), attend_chunk, &job, batch * heads);
    free(scores);
    return 0;
}
