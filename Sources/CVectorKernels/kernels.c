#include "CVectorKernels.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define BVK_X86 1
#endif

// MARK: - Portable path: generic vector extensions (SSE2 on baseline x86-64, NEON elsewhere)

typedef float v4f __attribute__((vector_size(16)));

static inline v4f load4(const float *p) { v4f v; memcpy(&v, p, sizeof v); return v; }
static inline float hsum4(v4f v) { return (v[0] + v[2]) + (v[1] + v[3]); }

static inline float h2f(uint16_t h) {
    // Exponent/mantissa shifted into place and rescaled by 2^112 (handles normals and subnormals).
    union { uint32_t u; float f; } o;
    uint32_t em = h & 0x7fffu;
    o.u = em << 13;
    o.f *= 0x1p112f;
    if (em >= 0x7c00u) o.u |= 0x7f800000u; // inf / nan
    o.u |= (uint32_t)(h & 0x8000u) << 16;
    return o.f;
}

static inline uint16_t f2h(float f) {
    // Round to nearest even (after F. Giesen's float_to_half_fast3_rtne).
    union { uint32_t u; float f; } in, f32infty, f16max, denorm_magic;
    f32infty.u = 255u << 23; f16max.u = (127u + 16u) << 23; denorm_magic.u = ((127u - 15u) + (23u - 10u) + 1u) << 23;
    in.f = f;
    uint32_t sign = in.u & 0x80000000u;
    in.u ^= sign;
    uint16_t o;
    if (in.u >= f16max.u) {
        o = (in.u > f32infty.u) ? 0x7e00 : 0x7c00;
    } else if (in.u < (113u << 23)) {
        in.f += denorm_magic.f;
        o = (uint16_t)(in.u - denorm_magic.u);
    } else {
        uint32_t mant_odd = (in.u >> 13) & 1u;
        in.u += ((uint32_t)(15 - 127) << 23) + 0xfffu;
        in.u += mant_odd;
        o = (uint16_t)(in.u >> 13);
    }
    return (uint16_t)(o | (sign >> 16));
}

static inline v4f load4h(const uint16_t *p) {
    v4f v = { h2f(p[0]), h2f(p[1]), h2f(p[2]), h2f(p[3]) };
    return v;
}

#define PORTABLE_KERNEL(name, TA, TB, LA, LB, SA, SB, BODY, TAIL)                   \
    static float name(const TA *a, const TB *b, size_t n) {                        \
        v4f s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};                                \
        size_t i = 0;                                                              \
        for (; i + 16 <= n; i += 16) {                                             \
            { v4f x = LA(a + i), y = LB(b + i); s0 += BODY; }                      \
            { v4f x = LA(a + i + 4), y = LB(b + i + 4); s1 += BODY; }              \
            { v4f x = LA(a + i + 8), y = LB(b + i + 8); s2 += BODY; }              \
            { v4f x = LA(a + i + 12), y = LB(b + i + 12); s3 += BODY; }            \
        }                                                                          \
        for (; i + 4 <= n; i += 4) { v4f x = LA(a + i), y = LB(b + i); s0 += BODY; } \
        float s = hsum4((s0 + s1) + (s2 + s3));                                    \
        for (; i < n; i++) { float x = SA(a[i]), y = SB(b[i]); s += TAIL; }         \
        return s;                                                                  \
    }

static inline float ident(float x) { return x; }

PORTABLE_KERNEL(dot_f32_portable, float, float, load4, load4, ident, ident, x * y, x * y)
PORTABLE_KERNEL(l2sq_f32_portable, float, float, load4, load4, ident, ident, (x - y) * (x - y), (x - y) * (x - y))
PORTABLE_KERNEL(dot_f32_f16_portable, float, uint16_t, load4, load4h, ident, h2f, x * y, x * y)
PORTABLE_KERNEL(l2sq_f32_f16_portable, float, uint16_t, load4, load4h, ident, h2f, (x - y) * (x - y), (x - y) * (x - y))
PORTABLE_KERNEL(dot_f16_portable, uint16_t, uint16_t, load4h, load4h, h2f, h2f, x * y, x * y)
PORTABLE_KERNEL(l2sq_f16_portable, uint16_t, uint16_t, load4h, load4h, h2f, h2f, (x - y) * (x - y), (x - y) * (x - y))

static void f32_to_f16_portable(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = f2h(src[i]);
}

static void f16_to_f32_portable(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = h2f(src[i]);
}

// int8 codes with a per-vector scale: the query stays Float32, the codes are widened and the scale applied once
// (inner product) or per lane (L2).

static inline v4f load4b(const int8_t *p) {
    v4f v = { (float)p[0], (float)p[1], (float)p[2], (float)p[3] };
    return v;
}

static float dot_f32_i8_portable(const float *q, const void *v, float scale, size_t n) {
    const int8_t *c = (const int8_t *)v;
    v4f s0 = {0}, s1 = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        s0 += load4(q + i) * load4b(c + i);
        s1 += load4(q + i + 4) * load4b(c + i + 4);
    }
    float s = hsum4(s0 + s1);
    for (; i < n; i++) s += q[i] * (float)c[i];
    return s * scale;
}

static float l2sq_f32_i8_portable(const float *q, const void *v, float scale, size_t n) {
    const int8_t *c = (const int8_t *)v;
    v4f s0 = {0}, s1 = {0}, sv = {scale, scale, scale, scale};
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        v4f d0 = load4(q + i) - sv * load4b(c + i), d1 = load4(q + i + 4) - sv * load4b(c + i + 4);
        s0 += d0 * d0;
        s1 += d1 * d1;
    }
    float s = hsum4(s0 + s1);
    for (; i < n; i++) { float d = q[i] - scale * (float)c[i]; s += d * d; }
    return s;
}

static float dot_i8_portable(const void *va, const void *vb, float sa, float sb, size_t n) {
    const int8_t *a = (const int8_t *)va, *b = (const int8_t *)vb;
    int32_t s = 0; // |sum| <= 65536 * 127 * 127 < 2^31
    for (size_t i = 0; i < n; i++) s += (int32_t)a[i] * (int32_t)b[i];
    return (float)s * sa * sb;
}

static float l2sq_i8_portable(const void *va, const void *vb, float sa, float sb, size_t n) {
    const int8_t *a = (const int8_t *)va, *b = (const int8_t *)vb;
    v4f s0 = {0}, xa = {sa, sa, sa, sa}, xb = {sb, sb, sb, sb};
    size_t i = 0;
    for (; i + 4 <= n; i += 4) { v4f d = xa * load4b(a + i) - xb * load4b(b + i); s0 += d * d; }
    float s = hsum4(s0);
    for (; i < n; i++) { float d = sa * (float)a[i] - sb * (float)b[i]; s += d * d; }
    return s;
}

// MARK: - Batches: one query against several stored vectors, read in step

// `BATCH_GROUP` reads `G` vectors in step: per iteration one `W`-lane block of the query and of each vector, one
// accumulator per vector. `VEC` and the operations are the implementation level's (SIMD type, zero, loads, set1,
// fma(a, b, c) = a·b + c, sub, mul, horizontal sum); `SCALAR` widens one stored component for the tail. int8 (`SCALED`)
// applies the vector's scale once at the end for the inner product and per lane for L2, as the single kernels do.
#define BATCH_GROUP(ATTR, name, G, W, VEC, ZERO, LOADQ, LOADV, SET1, FMA, SUB, MUL, REDUCE, TB, SCALAR, DOT, SCALED) \
    ATTR static inline void name(const float *q, const void *const *v, const float *scales, size_t n, float *out) { \
        VEC s[G];                                                                                                 \
        for (int t = 0; t < G; t++) s[t] = ZERO();                                                                \
        size_t i = 0;                                                                                             \
        for (; i + W <= n; i += W) {                                                                              \
            VEC x = LOADQ(q + i);                                                                                 \
            _Pragma("clang loop unroll(full)")                                                                    \
            for (int t = 0; t < G; t++) {                                                                         \
                VEC y = LOADV((const TB *)v[t] + i);                                                              \
                if (SCALED && !DOT) y = MUL(SET1(scales[t]), y);                                                  \
                if (DOT) {                                                                                        \
                    s[t] = FMA(x, y, s[t]);                                                                       \
                } else {                                                                                          \
                    VEC d = SUB(x, y);                                                                            \
                    s[t] = FMA(d, d, s[t]);                                                                       \
                }                                                                                                 \
            }                                                                                                     \
        }                                                                                                         \
        for (int t = 0; t < G; t++) {                                                                             \
            float r = REDUCE(s[t]), scale = SCALED ? scales[t] : 1.0f;                                            \
            const TB *p = (const TB *)v[t];                                                                       \
            for (size_t j = i; j < n; j++) {                                                                      \
                float y = SCALAR(p[j]);                                                                           \
                if (DOT) {                                                                                        \
                    r += q[j] * y;                                                                                \
                } else {                                                                                          \
                    float d = q[j] - (SCALED ? scale * y : y);                                                    \
                    r += d * d;                                                                                   \
                }                                                                                                 \
            }                                                                                                     \
            out[t] = (SCALED && DOT) ? r * scale : r;                                                             \
        }                                                                                                         \
    }

// A whole batch: groups of `G` (`group`), then the last `r` vectors as one padded group of `H` = G/2 (`half`) or of
// `G`, its spare lanes repeating the last vector (cache hits: the misses of the real vectors still overlap, which
// running them through groups of 4 and single kernels did not), or the single-vector kernel `ONE` for one vector.
#define BATCH(ATTR, name, G, H, group, half, ONE)                                                                  \
    ATTR static void name(const float *q, const void *const *v, const float *scales, size_t count, size_t n,       \
                          float *out) {                                                                            \
        size_t i = 0;                                                                                              \
        for (; i + G <= count; i += G) group(q, v + i, scales ? scales + i : scales, n, out + i);                  \
        size_t r = count - i;                                                                                      \
        if (r == 1) {                                                                                              \
            out[i] = ONE(q, v[i], scales ? scales[i] : 1.0f, n);                                                   \
        } else if (r > 1) {                                                                                        \
            const void *pv[G];                                                                                     \
            float ps[G], po[G];                                                                                    \
            size_t width = r <= H ? H : G;                                                                         \
            for (size_t t = 0; t < width; t++) {                                                                   \
                size_t k = i + (t < r ? t : r - 1);                                                                \
                pv[t] = v[k];                                                                                      \
                ps[t] = scales ? scales[k] : 1.0f;                                                                 \
            }                                                                                                      \
            if (width == H) half(q, pv, scales ? ps : NULL, n, po);                                                \
            else group(q, pv, scales ? ps : NULL, n, po);                                                          \
            memcpy(out + i, po, r * sizeof(float));                                                                \
        }                                                                                                          \
    }

// Every batch kernel of one level: `DEFINE_BATCHES(ATTR, suffix, G, H, W, VEC, ZERO, LOADQ, SET1, FMA, SUB, MUL,
// REDUCE, LOADH, LOADB)` with `LOADH`/`LOADB` the level's Float16 and int8 block loads.
#define DEFINE_BATCH(ATTR, suffix, kind, G, H, W, VEC, ZERO, LOADQ, LOADV, SET1, FMA, SUB, MUL, REDUCE, TB, SCALAR, DOT, SCALED, ONE) \
    BATCH_GROUP(ATTR, kind##_g_##suffix, G, W, VEC, ZERO, LOADQ, LOADV, SET1, FMA, SUB, MUL, REDUCE, TB, SCALAR, DOT, SCALED) \
    BATCH_GROUP(ATTR, kind##_h_##suffix, H, W, VEC, ZERO, LOADQ, LOADV, SET1, FMA, SUB, MUL, REDUCE, TB, SCALAR, DOT, SCALED) \
    BATCH(ATTR, kind##_batch_##suffix, G, H, kind##_g_##suffix, kind##_h_##suffix, ONE)
#define DEFINE_BATCHES(ATTR, suffix, G, H, W, VEC, ZERO, LOADQ, SET1, FMA, SUB, MUL, REDUCE, LOADH, LOADB)              \
    DEFINE_BATCH(ATTR, suffix, dot_f32, G, H, W, VEC, ZERO, LOADQ, LOADQ, SET1, FMA, SUB, MUL, REDUCE, float, ident, 1, 0, q_dot_f32_##suffix) \
    DEFINE_BATCH(ATTR, suffix, l2sq_f32, G, H, W, VEC, ZERO, LOADQ, LOADQ, SET1, FMA, SUB, MUL, REDUCE, float, ident, 0, 0, q_l2sq_f32_##suffix) \
    DEFINE_BATCH(ATTR, suffix, dot_f32_f16, G, H, W, VEC, ZERO, LOADQ, LOADH, SET1, FMA, SUB, MUL, REDUCE, uint16_t, h2f, 1, 0, q_dot_f32_f16_##suffix) \
    DEFINE_BATCH(ATTR, suffix, l2sq_f32_f16, G, H, W, VEC, ZERO, LOADQ, LOADH, SET1, FMA, SUB, MUL, REDUCE, uint16_t, h2f, 0, 0, q_l2sq_f32_f16_##suffix) \
    DEFINE_BATCH(ATTR, suffix, dot_f32_i8, G, H, W, VEC, ZERO, LOADQ, LOADB, SET1, FMA, SUB, MUL, REDUCE, int8_t, (float), 1, 1, dot_f32_i8_##suffix) \
    DEFINE_BATCH(ATTR, suffix, l2sq_f32_i8, G, H, W, VEC, ZERO, LOADQ, LOADB, SET1, FMA, SUB, MUL, REDUCE, int8_t, (float), 0, 1, l2sq_f32_i8_##suffix)

static inline v4f zero4(void) { v4f z = {0, 0, 0, 0}; return z; }
static inline v4f set1_4(float x) { v4f v = {x, x, x, x}; return v; }
static inline v4f fma4(v4f a, v4f b, v4f c) { return a * b + c; }
static inline v4f sub4(v4f a, v4f b) { return a - b; }
static inline v4f mul4(v4f a, v4f b) { return a * b; }

// Adapters from the typed kernels to the table's uniform signatures (the scales are unused); `ATTR` is the
// implementation's target attribute, so the kernel inlines into its adapter.
#define QUERY_ADAPTER(ATTR, name, impl, TB) \
    ATTR static float name(const float *q, const void *v, float scale, size_t n) { (void)scale; return impl(q, (const TB *)v, n); }
#define PAIR_ADAPTER(ATTR, name, impl, T)                                                    \
    ATTR static float name(const void *a, const void *b, float sa, float sb, size_t n) {     \
        (void)sa; (void)sb; return impl((const T *)a, (const T *)b, n);                     \
    }
#define ADAPTERS(ATTR, suffix)                                                                   \
    QUERY_ADAPTER(ATTR, q_dot_f32_##suffix, dot_f32_##suffix, float)                             \
    QUERY_ADAPTER(ATTR, q_l2sq_f32_##suffix, l2sq_f32_##suffix, float)                           \
    PAIR_ADAPTER(ATTR, p_dot_f32_##suffix, dot_f32_##suffix, float)                              \
    PAIR_ADAPTER(ATTR, p_l2sq_f32_##suffix, l2sq_f32_##suffix, float)                            \
    QUERY_ADAPTER(ATTR, q_dot_f32_f16_##suffix, dot_f32_f16_##suffix, uint16_t)                  \
    QUERY_ADAPTER(ATTR, q_l2sq_f32_f16_##suffix, l2sq_f32_f16_##suffix, uint16_t)                \
    PAIR_ADAPTER(ATTR, p_dot_f16_##suffix, dot_f16_##suffix, uint16_t)                           \
    PAIR_ADAPTER(ATTR, p_l2sq_f16_##suffix, l2sq_f16_##suffix, uint16_t)
#define TABLE(suffix, level)                                                                           \
    {                                                                                                  \
        q_dot_f32_##suffix, q_l2sq_f32_##suffix, p_dot_f32_##suffix, p_l2sq_f32_##suffix,               \
        q_dot_f32_f16_##suffix, q_l2sq_f32_f16_##suffix, p_dot_f16_##suffix, p_l2sq_f16_##suffix,       \
        dot_f32_i8_##suffix, l2sq_f32_i8_##suffix, dot_i8_##suffix, l2sq_i8_##suffix,                   \
        dot_f32_batch_##suffix, l2sq_f32_batch_##suffix, dot_f32_f16_batch_##suffix,                    \
        l2sq_f32_f16_batch_##suffix, dot_f32_i8_batch_##suffix, l2sq_f32_i8_batch_##suffix, level,      \
    }

ADAPTERS(, portable)
DEFINE_BATCHES(, portable, 8, 4, 4, v4f, zero4, load4, set1_4, fma4, sub4, mul4, hsum4, load4h, load4b)
static const bvk_kernels portable_kernels = TABLE(portable, 0);

// MARK: - AVX2 + FMA + F16C path (per-function target attribute; the rest of the file stays baseline)

#ifdef BVK_X86
#define AVX2 __attribute__((target("avx2,fma,f16c")))

AVX2 static inline float hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    __m128 sh = _mm_movehdup_ps(lo);
    __m128 s = _mm_add_ps(lo, sh);
    sh = _mm_movehl_ps(sh, s);
    s = _mm_add_ss(s, sh);
    return _mm_cvtss_f32(s);
}

AVX2 static inline __m256 loadh(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }

AVX2 static float dot_f32_avx2(const float *a, const float *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    float s = hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

AVX2 static float l2sq_f32_avx2(const float *a, const float *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
        __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
        __m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
        s0 = _mm256_fmadd_ps(d0, d0, s0);
        s1 = _mm256_fmadd_ps(d1, d1, s1);
        s2 = _mm256_fmadd_ps(d2, d2, s2);
        s3 = _mm256_fmadd_ps(d3, d3, s3);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        s0 = _mm256_fmadd_ps(d, d, s0);
    }
    float s = hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) { float d = a[i] - b[i]; s += d * d; }
    return s;
}

AVX2 static float dot_f32_f16_avx2(const float *a, const uint16_t *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), loadh(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), loadh(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), loadh(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), loadh(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), loadh(b + i), s0);
    float s = hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) s += a[i] * h2f(b[i]);
    return s;
}

AVX2 static float l2sq_f32_f16_avx2(const float *a, const uint16_t *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), loadh(b + i));
        __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), loadh(b + i + 8));
        s0 = _mm256_fmadd_ps(d0, d0, s0);
        s1 = _mm256_fmadd_ps(d1, d1, s1);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), loadh(b + i));
        s0 = _mm256_fmadd_ps(d, d, s0);
    }
    float s = hsum256(_mm256_add_ps(s0, s1));
    for (; i < n; i++) { float d = a[i] - h2f(b[i]); s += d * d; }
    return s;
}

AVX2 static float dot_f16_avx2(const uint16_t *a, const uint16_t *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(loadh(a + i), loadh(b + i), s0);
        s1 = _mm256_fmadd_ps(loadh(a + i + 8), loadh(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(loadh(a + i + 16), loadh(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(loadh(a + i + 24), loadh(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(loadh(a + i), loadh(b + i), s0);
    float s = hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) s += h2f(a[i]) * h2f(b[i]);
    return s;
}

AVX2 static float l2sq_f16_avx2(const uint16_t *a, const uint16_t *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 d0 = _mm256_sub_ps(loadh(a + i), loadh(b + i));
        __m256 d1 = _mm256_sub_ps(loadh(a + i + 8), loadh(b + i + 8));
        s0 = _mm256_fmadd_ps(d0, d0, s0);
        s1 = _mm256_fmadd_ps(d1, d1, s1);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(loadh(a + i), loadh(b + i));
        s0 = _mm256_fmadd_ps(d, d, s0);
    }
    float s = hsum256(_mm256_add_ps(s0, s1));
    for (; i < n; i++) { float d = h2f(a[i]) - h2f(b[i]); s += d * d; }
    return s;
}

AVX2 static void f32_to_f16_avx2(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) dst[i] = f2h(src[i]);
}

AVX2 static void f16_to_f32_avx2(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, loadh(src + i));
    for (; i < n; i++) dst[i] = h2f(src[i]);
}

AVX2 static inline __m256 loadb(const int8_t *p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}

AVX2 static inline int32_t hsum256i(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

AVX2 static float dot_f32_i8_avx2(const float *q, const void *v, float scale, size_t n) {
    const int8_t *c = (const int8_t *)v;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), loadb(c + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), loadb(c + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 16), loadb(c + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 24), loadb(c + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), loadb(c + i), s0);
    float s = hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) s += q[i] * (float)c[i];
    return s * scale;
}

AVX2 static float l2sq_f32_i8_avx2(const float *q, const void *v, float scale, size_t n) {
    const int8_t *c = (const int8_t *)v;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), sv = _mm256_set1_ps(scale);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 d0 = _mm256_fnmadd_ps(sv, loadb(c + i), _mm256_loadu_ps(q + i));
        __m256 d1 = _mm256_fnmadd_ps(sv, loadb(c + i + 8), _mm256_loadu_ps(q + i + 8));
        s0 = _mm256_fmadd_ps(d0, d0, s0);
        s1 = _mm256_fmadd_ps(d1, d1, s1);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_fnmadd_ps(sv, loadb(c + i), _mm256_loadu_ps(q + i));
        s0 = _mm256_fmadd_ps(d, d, s0);
    }
    float s = hsum256(_mm256_add_ps(s0, s1));
    for (; i < n; i++) { float d = q[i] - scale * (float)c[i]; s += d * d; }
    return s;
}

AVX2 static float dot_i8_avx2(const void *va, const void *vb, float sa, float sb, size_t n) {
    const int8_t *a = (const int8_t *)va, *b = (const int8_t *)vb;
    __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i a0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i)));
        __m256i b0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i)));
        __m256i a1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i + 16)));
        __m256i b1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i + 16)));
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(a0, b0));
        s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(a1, b1));
    }
    int32_t s = hsum256i(_mm256_add_epi32(s0, s1));
    for (; i < n; i++) s += (int32_t)a[i] * (int32_t)b[i];
    return (float)s * sa * sb;
}

AVX2 static float l2sq_i8_avx2(const void *va, const void *vb, float sa, float sb, size_t n) {
    const int8_t *a = (const int8_t *)va, *b = (const int8_t *)vb;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), xa = _mm256_set1_ps(sa), xb = _mm256_set1_ps(sb);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 d0 = _mm256_fnmadd_ps(xb, loadb(b + i), _mm256_mul_ps(xa, loadb(a + i)));
        __m256 d1 = _mm256_fnmadd_ps(xb, loadb(b + i + 8), _mm256_mul_ps(xa, loadb(a + i + 8)));
        s0 = _mm256_fmadd_ps(d0, d0, s0);
        s1 = _mm256_fmadd_ps(d1, d1, s1);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_fnmadd_ps(xb, loadb(b + i), _mm256_mul_ps(xa, loadb(a + i)));
        s0 = _mm256_fmadd_ps(d, d, s0);
    }
    float s = hsum256(_mm256_add_ps(s0, s1));
    for (; i < n; i++) { float d = sa * (float)a[i] - sb * (float)b[i]; s += d * d; }
    return s;
}

ADAPTERS(AVX2, avx2)
AVX2 static inline __m256 zero256(void) { return _mm256_setzero_ps(); }
DEFINE_BATCHES(AVX2, avx2, 8, 4, 8, __m256, zero256, _mm256_loadu_ps, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_sub_ps,
               _mm256_mul_ps, hsum256, loadh, loadb)
static const bvk_kernels avx2_kernels = TABLE(avx2, 1);

// MARK: - AVX-512 path (AVX-512F/VL/BW + F16C; per-function target attribute, chosen at run time)

#define AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx2,fma,f16c")))

AVX512 static inline __m512 loadh16(const uint16_t *p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p)); }

AVX512 static inline __m512 tailmask_f32(const float *p, size_t rem) {
    return _mm512_maskz_loadu_ps((__mmask16)((1u << rem) - 1u), p);
}

AVX512 static inline __m512 tailmask_f16(const uint16_t *p, size_t rem) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16((__mmask16)((1u << rem) - 1u), p));
}

#define AVX512_KERNEL(name, TA, TB, LA, LB, TLA, TLB, DOT)                                                   \
    AVX512 static float name(const TA *a, const TB *b, size_t n) {                                          \
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps(); \
        size_t i = 0;                                                                                        \
        for (; i + 64 <= n; i += 64) {                                                                       \
            __m512 x0 = LA(a + i), y0 = LB(b + i), x1 = LA(a + i + 16), y1 = LB(b + i + 16);                 \
            __m512 x2 = LA(a + i + 32), y2 = LB(b + i + 32), x3 = LA(a + i + 48), y3 = LB(b + i + 48);       \
            if (DOT) {                                                                                       \
                s0 = _mm512_fmadd_ps(x0, y0, s0); s1 = _mm512_fmadd_ps(x1, y1, s1);                         \
                s2 = _mm512_fmadd_ps(x2, y2, s2); s3 = _mm512_fmadd_ps(x3, y3, s3);                         \
            } else {                                                                                         \
                __m512 d0 = _mm512_sub_ps(x0, y0), d1 = _mm512_sub_ps(x1, y1);                              \
                __m512 d2 = _mm512_sub_ps(x2, y2), d3 = _mm512_sub_ps(x3, y3);                              \
                s0 = _mm512_fmadd_ps(d0, d0, s0); s1 = _mm512_fmadd_ps(d1, d1, s1);                         \
                s2 = _mm512_fmadd_ps(d2, d2, s2); s3 = _mm512_fmadd_ps(d3, d3, s3);                         \
            }                                                                                                \
        }                                                                                                    \
        for (; i < n; i += 16) {                                                                             \
            size_t rem = n - i;                                                                              \
            __m512 x = rem >= 16 ? LA(a + i) : TLA(a + i, rem), y = rem >= 16 ? LB(b + i) : TLB(b + i, rem); \
            if (DOT) s0 = _mm512_fmadd_ps(x, y, s0);                                                         \
            else { __m512 d = _mm512_sub_ps(x, y); s0 = _mm512_fmadd_ps(d, d, s0); }                         \
        }                                                                                                    \
        return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));           \
    }

AVX512_KERNEL(dot_f32_avx512, float, float, _mm512_loadu_ps, _mm512_loadu_ps, tailmask_f32, tailmask_f32, 1)
AVX512_KERNEL(l2sq_f32_avx512, float, float, _mm512_loadu_ps, _mm512_loadu_ps, tailmask_f32, tailmask_f32, 0)
AVX512_KERNEL(dot_f32_f16_avx512, float, uint16_t, _mm512_loadu_ps, loadh16, tailmask_f32, tailmask_f16, 1)
AVX512_KERNEL(l2sq_f32_f16_avx512, float, uint16_t, _mm512_loadu_ps, loadh16, tailmask_f32, tailmask_f16, 0)
AVX512_KERNEL(dot_f16_avx512, uint16_t, uint16_t, loadh16, loadh16, tailmask_f16, tailmask_f16, 1)
AVX512_KERNEL(l2sq_f16_avx512, uint16_t, uint16_t, loadh16, loadh16, tailmask_f16, tailmask_f16, 0)

AVX512 static inline __m512 loadb16(const int8_t *p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)p)));
}

AVX512 static inline __m512 tailmask_i8(const int8_t *p, size_t rem) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8((__mmask16)((1u << rem) - 1u), p)));
}

AVX512 static float dot_f32_i8_avx512(const float *q, const void *v, float scale, size_t n) {
    const int8_t *c = (const int8_t *)v;
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), loadb16(c + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 16), loadb16(c + i + 16), s1);
        s2 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 32), loadb16(c + i + 32), s2);
        s3 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 48), loadb16(c + i + 48), s3);
    }
    for (; i < n; i += 16) {
        size_t rem = n - i;
        __m512 x = rem >= 16 ? _mm512_loadu_ps(q + i) : tailmask_f32(q + i, rem);
        __m512 y = rem >= 16 ? loadb16(c + i) : tailmask_i8(c + i, rem);
        s0 = _mm512_fmadd_ps(x, y, s0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3))) * scale;
}

AVX512 static float l2sq_f32_i8_avx512(const float *q, const void *v, float scale, size_t n) {
    const int8_t *c = (const int8_t *)v;
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), sv = _mm512_set1_ps(scale);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 d0 = _mm512_fnmadd_ps(sv, loadb16(c + i), _mm512_loadu_ps(q + i));
        __m512 d1 = _mm512_fnmadd_ps(sv, loadb16(c + i + 16), _mm512_loadu_ps(q + i + 16));
        s0 = _mm512_fmadd_ps(d0, d0, s0);
        s1 = _mm512_fmadd_ps(d1, d1, s1);
    }
    for (; i < n; i += 16) {
        size_t rem = n - i;
        __m512 x = rem >= 16 ? _mm512_loadu_ps(q + i) : tailmask_f32(q + i, rem);
        __m512 y = rem >= 16 ? loadb16(c + i) : tailmask_i8(c + i, rem);
        __m512 d = _mm512_fnmadd_ps(sv, y, x);
        s0 = _mm512_fmadd_ps(d, d, s0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

AVX512 static float dot_i8_avx512(const void *va, const void *vb, float sa, float sb, size_t n) {
    const int8_t *a = (const int8_t *)va, *b = (const int8_t *)vb;
    __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512i a0 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(a + i)));
        __m512i b0 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(b + i)));
        __m512i a1 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(a + i + 32)));
        __m512i b1 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(b + i + 32)));
        s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(a0, b0));
        s1 = _mm512_add_epi32(s1, _mm512_madd_epi16(a1, b1));
    }
    for (; i < n; i += 32) {
        size_t rem = n - i;
        __mmask32 mask = rem >= 32 ? (__mmask32)0xffffffffu : (__mmask32)((1u << rem) - 1u);
        __m512i x = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(mask, a + i));
        __m512i y = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(mask, b + i));
        s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(x, y));
    }
    return (float)_mm512_reduce_add_epi32(_mm512_add_epi32(s0, s1)) * sa * sb;
}

AVX512 static float l2sq_i8_avx512(const void *va, const void *vb, float sa, float sb, size_t n) {
    const int8_t *a = (const int8_t *)va, *b = (const int8_t *)vb;
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), xa = _mm512_set1_ps(sa), xb = _mm512_set1_ps(sb);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 d0 = _mm512_fnmadd_ps(xb, loadb16(b + i), _mm512_mul_ps(xa, loadb16(a + i)));
        __m512 d1 = _mm512_fnmadd_ps(xb, loadb16(b + i + 16), _mm512_mul_ps(xa, loadb16(a + i + 16)));
        s0 = _mm512_fmadd_ps(d0, d0, s0);
        s1 = _mm512_fmadd_ps(d1, d1, s1);
    }
    for (; i < n; i += 16) {
        size_t rem = n - i;
        __m512 x = rem >= 16 ? loadb16(a + i) : tailmask_i8(a + i, rem);
        __m512 y = rem >= 16 ? loadb16(b + i) : tailmask_i8(b + i, rem);
        __m512 d = _mm512_fnmadd_ps(xb, y, _mm512_mul_ps(xa, x));
        s0 = _mm512_fmadd_ps(d, d, s0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

ADAPTERS(AVX512, avx512)
AVX512 static inline __m512 zero512(void) { return _mm512_setzero_ps(); }
DEFINE_BATCHES(AVX512, avx512, 16, 8, 16, __m512, zero512, _mm512_loadu_ps, _mm512_set1_ps, _mm512_fmadd_ps,
               _mm512_sub_ps, _mm512_mul_ps, _mm512_reduce_add_ps, loadh16, loadb16)
static const bvk_kernels avx512_kernels = TABLE(avx512, 2);
#endif

// MARK: - Dispatch

int bvk_best_level(void) {
#ifdef BVK_X86
    static int cached = -1;
    int level = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (level < 0) {
        __builtin_cpu_init();
        level = (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) ? 1 : 0;
        if (level == 1 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
            __builtin_cpu_supports("avx512bw"))
            level = 2;
        __atomic_store_n(&cached, level, __ATOMIC_RELAXED);
    }
    return level;
#else
    return 0;
#endif
}

const bvk_kernels *bvk_get_kernels(int level) {
    int best = bvk_best_level();
    if (level < 0 || level > best) level = best;
#ifdef BVK_X86
    if (level == 2) return &avx512_kernels;
    if (level == 1) return &avx2_kernels;
#endif
    return &portable_kernels;
}

void bvk_f32_to_f16(const float *src, uint16_t *dst, size_t n) {
#ifdef BVK_X86
    if (bvk_best_level() >= 1) { f32_to_f16_avx2(src, dst, n); return; }
#endif
    f32_to_f16_portable(src, dst, n);
}

void bvk_f16_to_f32(const uint16_t *src, float *dst, size_t n) {
#ifdef BVK_X86
    if (bvk_best_level() >= 1) { f16_to_f32_avx2(src, dst, n); return; }
#endif
    f16_to_f32_portable(src, dst, n);
}

float bvk_f32_to_i8(const float *src, int8_t *dst, size_t n) {
    float top = 0;
    for (size_t i = 0; i < n; i++) {
        float a = src[i] < 0 ? -src[i] : src[i];
        if (a > top) top = a;
    }
    if (!(top > 0) || top > 3.0e38f) { // zero (or non-finite) vector: all codes 0
        memset(dst, 0, n);
        return 0;
    }
    float inverse = 127.0f / top;
    for (size_t i = 0; i < n; i++) {
        float x = src[i] * inverse;
        int code = (int)(x + (x >= 0 ? 0.5f : -0.5f));
        dst[i] = (int8_t)(code > 127 ? 127 : code < -127 ? -127 : code);
    }
    return top / 127.0f;
}

void bvk_i8_to_f32(const int8_t *src, float scale, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = (float)src[i] * scale;
}

// MARK: - Checksum

static const uint64_t P1 = 0x9E3779B185EBCA87ULL, P2 = 0xC2B2AE3D27D4EB4FULL, P3 = 0x165667B19E3779F9ULL;
static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static inline uint64_t round64(uint64_t acc, uint64_t w) { return rotl64(acc + w * P2, 31) * P1; }

uint64_t bvk_checksum64(const void *data, size_t n, uint64_t seed) {
    const unsigned char *p = (const unsigned char *)data;
    uint64_t a0 = seed + P1 + P2, a1 = seed + P2, a2 = seed, a3 = seed - P1;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        uint64_t w[4];
        memcpy(w, p + i, 32);
        a0 = round64(a0, w[0]); a1 = round64(a1, w[1]); a2 = round64(a2, w[2]); a3 = round64(a3, w[3]);
    }
    uint64_t h = rotl64(a0, 1) + rotl64(a1, 7) + rotl64(a2, 12) + rotl64(a3, 18) + (uint64_t)n;
    for (; i < n; i++) h = rotl64(h ^ (p[i] * P3), 11) * P1;
    h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32;
    return h;
}
