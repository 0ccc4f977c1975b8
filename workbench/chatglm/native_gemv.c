/* Few-row products y = x @ dequant(W).T * scale + bias for weight-only quantized Linear layers on CPU.
 *
 * Loaded by workbench/chatglm/native_gemv.py (compiled at first use with -O3 -fopenmp -march=native on
 * AVX2+FMA machines). Weights stay as checkpoints store them: int8 [out, in], or int4 packed two per byte
 * along the input (even column in the high nibble, odd in the low one), one float scale per output row.
 *
 * Decoding reads every weight once per token, so the loop must keep up with memory (0.5-1 byte per
 * weight). Each activation row is therefore quantized to int16 once per call, with one scale per BLOCK
 * columns (an outlier only coarsens its own block: relative error <= 2^-16 of the block's largest
 * value), and weights are multiplied with vpmaddwd into int32, which needs 3-4 instructions per 16
 * weights where sign-extending to fp32 and an FMA needed twice as many. Each block's int32 sums are
 * converted and scaled into fp32: 16 (int8) or 8 (int4) steps of 2 * 32767 * 127 cannot overflow.
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* One int8 weight row dotted with one quantized activation row. */
static float dot_int8(const int8_t *w, const int16_t *xq, const float *xs, int n) {
    __m256 acc = _mm256_setzero_ps();
    const int full = n / BLOCK;
    int c = 0;
    for (int b = 0; b < full; ++b) {
        __m256i sum = _mm256_setzero_si256();
        for (int j = 0; j < BLOCK; j += 16, c += 16) {
            const __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + c)));
            const __m256i xv = _mm256_loadu_si256((const __m256i *)(xq + c));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(wv, xv));
        }
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_set1_ps(xs[b]), acc);
    }
    float total = hsum_ps(acc);
    if (c < n) { /* the last, partial block */
        __m256i sum = _mm256_setzero_si256();
        for (; c + 16 <= n; c += 16) {
            const __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + c)));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(wv, _mm256_loadu_si256((const __m256i *)(xq + c))));
        }
        int32_t s = hsum_epi32(sum);
        for (; c < n; ++c) s += (int32_t)w[c] * xq[c];
        total += (float)s * xs[full];
    }
    return total;
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
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(even, _mm256_loadu_si256((const __m256i *)(xq + c))));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(odd, _mm256_loadu_si256((const __m256i *)(xq + c + 16))));
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
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(even, _mm256_loadu_si256((const __m256i *)(xq + c))));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(odd, _mm256_loadu_si256((const __m256i *)(xq + c + 16))));
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
    const size_t row_bytes = bits == 4 ? (size_t)n / 2 : (size_t)n;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int o = 0; o < out; ++o) {
        const int8_t *wo = w + (size_t)o * row_bytes;
        for (int r = 0; r < rows; ++r) {
            const int16_t *xr = xq + (size_t)r * n;
            const float *sr = xs + (size_t)r * blocks;
            const float d = bits == 4 ? dot_int4(wo, xr, sr, n) : dot_int8(wo, xr, sr, n);
            y[(size_t)r * out + o] = d * scale[o] + (bias ? bias[o] : 0.f);
        }
    }
    free(xq);
    free(xs);
    return 0;
}

/* x: float [rows, n]; w: int8 [out, n]; scale, bias (may be NULL): float [out]; y: float [rows, out].
 * Returns 0, -1 when out of memory, -2 for a bad shape. */
int wb_gemv_int8(const float *x, int rows, int n, const int8_t *w, int out, const float *scale, const float *bias,
                 float *y, int threads) {
    return gemv(x, rows, n, w, out, scale, bias, y, threads, 8);
}

/* As wb_gemv_int8 with w int4 packed [out, n / 2] (n even). */
int wb_gemv_int4(const float *x, int rows, int n, const int8_t *w, int out, const float *scale, const float *bias,
                 float *y, int threads) {
    return gemv(x, rows, n, w, out, scale, bias, y, threads, 4);
}
