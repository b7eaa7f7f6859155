/* Runtime-dispatched numeric kernels for the local E5 encoder. See include/CEmbeddingKernels.h. */
#include "CEmbeddingKernels.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define BEK_X86 1
#include <immintrin.h>
#else
#define BEK_X86 0
#endif

/* ------------------------------------------------------------------ elementwise, two builds */
#define BEK_FN(name) name##_portable
#define BEK_TARGET
#include "elementwise.inc"
#undef BEK_FN
#undef BEK_TARGET

#if BEK_X86
#define BEK_FN(name) name##_avx2
#define BEK_TARGET __attribute__((target("avx2,fma")))
#include "elementwise.inc"
#undef BEK_FN
#undef BEK_TARGET
#endif

/* ------------------------------------------------------------------ dispatch */
static int bek_isa_cached = -1; /* accessed with __atomic builtins */
static int bek_isa_forced = -1;

static int bek_detect_cpu(void);
static int bek_detect(void) {
    const char *env = getenv("BALCAO_EMBED_KERNELS");
    if (env && strcmp(env, "portable") == 0) return 0;
    int cap = env && strcmp(env, "avx2") == 0 ? 1 : 2;
    int best = bek_detect_cpu();
    return best < cap ? best : cap;
}

static int bek_detect_cpu(void) {
#if BEK_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni"))
            return 2;
        return 1;
    }
#endif
    return 0;
}

int bek_active_isa(void) {
    int forced = __atomic_load_n(&bek_isa_forced, __ATOMIC_RELAXED);
    int isa = __atomic_load_n(&bek_isa_cached, __ATOMIC_RELAXED);
    if (isa < 0) {
        isa = bek_detect();
        __atomic_store_n(&bek_isa_cached, isa, __ATOMIC_RELAXED);
    }
    if (forced >= 0 && forced < isa) return forced;
    return isa;
}

void bek_force_isa(int isa) { __atomic_store_n(&bek_isa_forced, isa, __ATOMIC_RELAXED); }

/* ------------------------------------------------------------------ packing / dequantization */
size_t bek_packed_count(int n, int k) { return (size_t)((n + 15) / 16) * 16 * (size_t)k; }

void bek_pack_nk(const float *b, int n, int k, int ldb, float *packed) {
    int np = (n + 15) / 16;
    for (int j = 0; j < np; j++) {
        float *panel = packed + (size_t)j * k * 16;
        int nc = n - j * 16 < 16 ? n - j * 16 : 16;
        const float *rows[16];
        for (int c = 0; c < 16; c++) rows[c] = b + (size_t)(j * 16 + (c < nc ? c : 0)) * ldb;
        for (int kk = 0; kk < k; kk++) {
            float *dst = panel + (size_t)kk * 16;
            for (int c = 0; c < 16; c++) dst[c] = c < nc ? rows[c][kk] : 0.0f;
        }
    }
}

void bek_pack_kn(const float *b, int k, int n, int ldb, float *packed) {
    int np = (n + 15) / 16;
    for (int j = 0; j < np; j++) {
        float *panel = packed + (size_t)j * k * 16;
        int nc = n - j * 16;
        if (nc > 16) nc = 16;
        for (int kk = 0; kk < k; kk++) {
            const float *src = b + (size_t)kk * ldb + j * 16;
            float *dst = panel + (size_t)kk * 16;
            int c = 0;
            for (; c < nc; c++) dst[c] = src[c];
            for (; c < 16; c++) dst[c] = 0.0f;
        }
    }
}

static float bek_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1Fu;
    uint32_t man = h & 0x3FFu;
    uint32_t bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: normalize */
            int e = -1;
            do { man <<= 1; e++; } while ((man & 0x400u) == 0);
            man &= 0x3FFu;
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | (man << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7F800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

void bek_dequant_q4_0(const uint8_t *q, int rows, int cols, float *out) {
    size_t blocks = (size_t)rows * (size_t)(cols / 32);
    for (size_t blk = 0; blk < blocks; blk++) {
        const uint8_t *p = q + blk * 18;
        uint16_t h = (uint16_t)(p[0] | (p[1] << 8));
        float d = bek_f16_to_f32(h);
        float *o = out + blk * 32;
        for (int j = 0; j < 16; j++) {
            o[j] = (float)((int)(p[2 + j] & 0x0F) - 8) * d;
            o[j + 16] = (float)((int)(p[2 + j] >> 4) - 8) * d;
        }
    }
}

/* ------------------------------------------------------------------ GEMM */
/* Micro-kernel contract: rows a + r*lda (r < mr <= 6), kc steps over the panel bp (stride 16),
 * writes nc (<= 16) columns of c; init != 0 starts from bias (or 0 when bias is NULL), otherwise
 * accumulates into c. */
typedef void (*bek_kernel_fn)(const float *a, int lda, int mr, int kc, const float *bp, float *c, int ldc, int nc,
                              int init, const float *bias);

static void bek_store_tile(float acc[6][16], int mr, float *c, int ldc, int nc, int init, const float *bias) {
    for (int r = 0; r < mr; r++) {
        float *cr = c + (size_t)r * ldc;
        for (int j = 0; j < nc; j++) {
            float base = init ? (bias ? bias[j] : 0.0f) : cr[j];
            cr[j] = base + acc[r][j];
        }
    }
}

static void bek_kernel_portable(const float *a, int lda, int mr, int kc, const float *bp, float *c, int ldc, int nc,
                                int init, const float *bias) {
    float acc[6][16];
    memset(acc, 0, sizeof acc);
    for (int r = 0; r < mr; r++) {
        const float *ar = a + (size_t)r * lda;
        float *accr = acc[r];
        for (int k = 0; k < kc; k++) {
            float av = ar[k];
            const float *b = bp + (size_t)k * 16;
            for (int j = 0; j < 16; j++) accr[j] += av * b[j];
        }
    }
    bek_store_tile(acc, mr, c, ldc, nc, init, bias);
}

#if BEK_X86
__attribute__((target("avx2,fma")))
static void bek_kernel_avx2(const float *a, int lda, int mr, int kc, const float *bp, float *c, int ldc, int nc,
                            int init, const float *bias) {
    const float *a0 = a;
    const float *a1 = a + (size_t)(mr > 1 ? 1 : 0) * lda;
    const float *a2 = a + (size_t)(mr > 2 ? 2 : 0) * lda;
    const float *a3 = a + (size_t)(mr > 3 ? 3 : 0) * lda;
    const float *a4 = a + (size_t)(mr > 4 ? 4 : 0) * lda;
    const float *a5 = a + (size_t)(mr > 5 ? 5 : 0) * lda;
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (int k = 0; k < kc; k++) {
        __m256 b0 = _mm256_loadu_ps(bp + (size_t)k * 16);
        __m256 b1 = _mm256_loadu_ps(bp + (size_t)k * 16 + 8);
        __m256 av;
        av = _mm256_broadcast_ss(a0 + k); c00 = _mm256_fmadd_ps(av, b0, c00); c01 = _mm256_fmadd_ps(av, b1, c01);
        av = _mm256_broadcast_ss(a1 + k); c10 = _mm256_fmadd_ps(av, b0, c10); c11 = _mm256_fmadd_ps(av, b1, c11);
        av = _mm256_broadcast_ss(a2 + k); c20 = _mm256_fmadd_ps(av, b0, c20); c21 = _mm256_fmadd_ps(av, b1, c21);
        av = _mm256_broadcast_ss(a3 + k); c30 = _mm256_fmadd_ps(av, b0, c30); c31 = _mm256_fmadd_ps(av, b1, c31);
        av = _mm256_broadcast_ss(a4 + k); c40 = _mm256_fmadd_ps(av, b0, c40); c41 = _mm256_fmadd_ps(av, b1, c41);
        av = _mm256_broadcast_ss(a5 + k); c50 = _mm256_fmadd_ps(av, b0, c50); c51 = _mm256_fmadd_ps(av, b1, c51);
    }
    __m256 acc[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    if (nc == 16) {
        __m256 base0 = _mm256_setzero_ps(), base1 = _mm256_setzero_ps();
        if (init && bias) {
            base0 = _mm256_loadu_ps(bias);
            base1 = _mm256_loadu_ps(bias + 8);
        }
        for (int r = 0; r < mr; r++) {
            float *cr = c + (size_t)r * ldc;
            __m256 s0 = init ? base0 : _mm256_loadu_ps(cr);
            __m256 s1 = init ? base1 : _mm256_loadu_ps(cr + 8);
            _mm256_storeu_ps(cr, _mm256_add_ps(s0, acc[r][0]));
            _mm256_storeu_ps(cr + 8, _mm256_add_ps(s1, acc[r][1]));
        }
    } else {
        float tile[6][16];
        for (int r = 0; r < 6; r++) {
            _mm256_storeu_ps(tile[r], acc[r][0]);
            _mm256_storeu_ps(tile[r] + 8, acc[r][1]);
        }
        bek_store_tile(tile, mr, c, ldc, nc, init, bias);
    }
}
#endif

static void bek_gemm_driver(bek_kernel_fn kern, const float *a, int lda, int m, int k, const float *packed, int n,
                            const float *bias, float *c, int ldc) {
    enum { KC = 384, MC = 48 };
    int np = (n + 15) / 16;
    for (int k0 = 0; k0 < k; k0 += KC) {
        int kc = k - k0 < KC ? k - k0 : KC;
        for (int m0 = 0; m0 < m; m0 += MC) {
            int mc = m - m0 < MC ? m - m0 : MC;
            for (int j = 0; j < np; j++) {
                const float *bp = packed + (size_t)j * k * 16 + (size_t)k0 * 16;
                int nc = n - j * 16 < 16 ? n - j * 16 : 16;
                const float *bj = bias ? bias + j * 16 : NULL;
                for (int i = 0; i < mc; i += 6) {
                    int mr = mc - i < 6 ? mc - i : 6;
                    kern(a + (size_t)(m0 + i) * lda + k0, lda, mr, kc, bp, c + (size_t)(m0 + i) * ldc + j * 16, ldc, nc,
                         k0 == 0, bj);
                }
            }
        }
    }
}

void bek_gemm(const float *a, int lda, int m, int k, const float *packed, int n, const float *bias, float *c, int ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) { /* degenerate: C = bias */
        for (int r = 0; r < m; r++)
            for (int j = 0; j < n; j++) c[(size_t)r * ldc + j] = bias ? bias[j] : 0.0f;
        return;
    }
#if BEK_X86
    if (bek_active_isa() >= 1) {
        bek_gemm_driver(bek_kernel_avx2, a, lda, m, k, packed, n, bias, c, ldc);
        return;
    }
#endif
    bek_gemm_driver(bek_kernel_portable, a, lda, m, k, packed, n, bias, c, ldc);
}

/* ------------------------------------------------------------------ elementwise entry points */
#if BEK_X86
#define BEK_DISPATCH(call_avx2, call_portable) \
    do {                                          \
        if (bek_active_isa() >= 1) {              \
            call_avx2;                            \
        } else {                                  \
            call_portable;                        \
        }                                         \
    } while (0)
#else
#define BEK_DISPATCH(call_avx2, call_portable) call_portable
#endif

void bek_add_layernorm(float *x, const float *y, const float *w, const float *b, int rows, int cols, float eps) {
    BEK_DISPATCH(add_layernorm_avx2(x, y, w, b, rows, cols, eps), add_layernorm_portable(x, y, w, b, rows, cols, eps));
}

void bek_gelu(float *x, size_t count) { BEK_DISPATCH(gelu_avx2(x, count), gelu_portable(x, count)); }

void bek_softmax_rows(float *x, int rows, int cols, int ld, float scale) {
    BEK_DISPATCH(softmax_rows_avx2(x, rows, cols, ld, scale), softmax_rows_portable(x, rows, cols, ld, scale));
}

#if BEK_X86
/* Explicit AVX2 version: the generic loop's rounding and narrowing do not vectorize well. Rounds half to even
 * (cvtps2dq) where the portable one rounds half away from zero; ties are immaterial at this precision. */
__attribute__((target("avx2,fma")))
static void q8_quantize_avx2_explicit(const float *x, int m, int k, int ldx, int8_t *xq, float *xs, int32_t *xc) {
    int kbs = k / 32;
    const __m256 signmask = _mm256_set1_ps(-0.0f);
    const __m256i ones16 = _mm256_set1_epi16(1);
    for (int r = 0; r < m; r++) {
        const float *row = x + (size_t)r * ldx;
        for (int kb = 0; kb < kbs; kb++) {
            const float *v = row + kb * 32;
            __m256 v0 = _mm256_loadu_ps(v), v1 = _mm256_loadu_ps(v + 8), v2 = _mm256_loadu_ps(v + 16), v3 = _mm256_loadu_ps(v + 24);
            __m256 mx = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(signmask, v0), _mm256_andnot_ps(signmask, v1)),
                                      _mm256_max_ps(_mm256_andnot_ps(signmask, v2), _mm256_andnot_ps(signmask, v3)));
            __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
            m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
            m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
            float amax = _mm_cvtss_f32(m4);
            float id = amax > 0.0f ? 127.0f / amax : 0.0f;
            __m256 s = _mm256_set1_ps(id);
            __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, s)), i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, s));
            __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, s)), i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, s));
            __m256i p01 = _mm256_packs_epi32(i0, i1), p23 = _mm256_packs_epi32(i2, i3); /* int16, lane-interleaved */
            __m256i sum16 = _mm256_add_epi16(p01, p23);
            __m256i sum32 = _mm256_madd_epi16(sum16, ones16);
            __m128i t = _mm_add_epi32(_mm256_castsi256_si128(sum32), _mm256_extracti128_si256(sum32, 1));
            t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4E));
            t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xB1));
            __m256i p = _mm256_packs_epi16(p01, p23);
            /* undo the in-lane interleaving of the two packs: order dwords 0,4,1,5,2,6,3,7 */
            p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256((__m256i *)(xq + (size_t)r * k + kb * 32), p);
            xs[(size_t)r * kbs + kb] = amax / 127.0f;
            xc[(size_t)r * kbs + kb] = -8 * _mm_cvtsi128_si32(t);
        }
    }
}
#endif

void bek_q8_quantize_rows(const float *x, int m, int k, int ldx, int8_t *xq, float *xs, int32_t *xc) {
    BEK_DISPATCH(q8_quantize_avx2_explicit(x, m, k, ldx, xq, xs, xc), q8_quantize_portable(x, m, k, ldx, xq, xs, xc));
}

void bek_erf(const float *x, float *out, size_t count) {
    BEK_DISPATCH(erf_array_avx2(x, out, count), erf_array_portable(x, out, count));
}
