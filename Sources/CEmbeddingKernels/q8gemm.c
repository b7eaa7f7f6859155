/* int8 GEMM for the encoder's linear layers: 4-bit weights widened to u8 (w + 8), activations quantized to s8
 * per 32-block, products summed in int32 per block and scaled in float. An AVX-512 VNNI kernel (vpdpbusd)
 * when the CPU has it, a portable one otherwise. See include/CEmbeddingKernels.h for the layouts. */
#include "CEmbeddingKernels.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define BEK_Q8_X86 1
#include <immintrin.h>
#else
#define BEK_Q8_X86 0
#endif

size_t bek_q8_weight_bytes(int n, int k) { return (size_t)((n + 15) / 16) * 16 * (size_t)k; }
size_t bek_q8_scale_count(int n, int k) { return (size_t)((n + 15) / 16) * 16 * (size_t)(k / 32); }

static float q8_f16(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1Fu, man = h & 0x3FFu, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else {
            int e = -1;
            do { man <<= 1; e++; } while ((man & 0x400u) == 0);
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3FFu) << 13);
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

void bek_q8_pack_q4_0(const uint8_t *q4, int n, int k, uint8_t *packed, float *scales) {
    int np = (n + 15) / 16, kbs = k / 32;
    for (int j = 0; j < np; j++) {
        for (int kb = 0; kb < kbs; kb++) {
            uint8_t *dst = packed + ((size_t)j * kbs + kb) * 512;
            float *sc = scales + ((size_t)j * kbs + kb) * 16;
            for (int c = 0; c < 16; c++) {
                int row = j * 16 + c;
                uint8_t w[32];
                float d = 0.0f;
                if (row < n) {
                    const uint8_t *blk = q4 + ((size_t)row * kbs + kb) * 18;
                    d = q8_f16((uint16_t)(blk[0] | (blk[1] << 8)));
                    for (int i = 0; i < 16; i++) {
                        w[i] = blk[2 + i] & 0x0F;
                        w[i + 16] = blk[2 + i] >> 4;
                    }
                } else {
                    memset(w, 8, sizeof w); /* zero weight */
                }
                sc[c] = d;
                for (int g = 0; g < 8; g++)
                    for (int b = 0; b < 4; b++) dst[g * 64 + c * 4 + b] = w[g * 4 + b];
            }
        }
    }
}

/* Portable micro-kernel: up to 8 rows x 16 columns of one panel. */
static void q8_kernel_portable(const int8_t *xq, const float *xs, const int32_t *xc, int k, int mr, const uint8_t *wp,
                               const float *ws, float *c, int ldc, int nc, const float *bias) {
    int kbs = k / 32;
    for (int r = 0; r < mr; r++) {
        const int8_t *xr = xq + (size_t)r * k;
        float f[16];
        for (int cc = 0; cc < 16; cc++) f[cc] = 0.0f;
        for (int kb = 0; kb < kbs; kb++) {
            int32_t acc[16];
            for (int cc = 0; cc < 16; cc++) acc[cc] = xc[(size_t)r * kbs + kb];
            const uint8_t *wb = wp + (size_t)kb * 512;
            const int8_t *xb = xr + kb * 32;
            for (int g = 0; g < 8; g++)
                for (int cc = 0; cc < 16; cc++)
                    for (int b = 0; b < 4; b++) acc[cc] += (int32_t)wb[g * 64 + cc * 4 + b] * (int32_t)xb[g * 4 + b];
            float dx = xs[(size_t)r * kbs + kb];
            for (int cc = 0; cc < 16; cc++) f[cc] += (float)acc[cc] * (ws[kb * 16 + cc] * dx);
        }
        float *cr = c + (size_t)r * ldc;
        for (int cc = 0; cc < nc; cc++) cr[cc] = f[cc] + (bias ? bias[cc] : 0.0f);
    }
}

#if BEK_Q8_X86
#define Q8_MR 8
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void q8_kernel_vnni(const int8_t *xq, const float *xs, const int32_t *xc, int k, int mr, const uint8_t *wp,
                           const float *ws, float *c, int ldc, int nc, const float *bias) {
    int kbs = k / 32;
    const int8_t *xr[Q8_MR];
    const float *sr[Q8_MR];
    const int32_t *cr_[Q8_MR];
    for (int r = 0; r < Q8_MR; r++) {
        int rr = r < mr ? r : mr - 1;
        xr[r] = xq + (size_t)rr * k;
        sr[r] = xs + (size_t)rr * kbs;
        cr_[r] = xc + (size_t)rr * kbs;
    }
    __m512 f[Q8_MR];
    for (int r = 0; r < Q8_MR; r++) f[r] = _mm512_setzero_ps();
    for (int kb = 0; kb < kbs; kb++) {
        __m512i acc[Q8_MR];
        for (int r = 0; r < Q8_MR; r++) acc[r] = _mm512_set1_epi32(cr_[r][kb]);
        const uint8_t *wb = wp + (size_t)kb * 512;
        for (int g = 0; g < 8; g++) {
            __m512i w = _mm512_loadu_si512((const void *)(wb + g * 64));
            for (int r = 0; r < Q8_MR; r++) {
                int32_t xv;
                memcpy(&xv, xr[r] + kb * 32 + g * 4, 4);
                acc[r] = _mm512_dpbusd_epi32(acc[r], w, _mm512_set1_epi32(xv));
            }
        }
        __m512 d = _mm512_loadu_ps(ws + kb * 16);
        for (int r = 0; r < Q8_MR; r++)
            f[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[r]), _mm512_mul_ps(d, _mm512_set1_ps(sr[r][kb])), f[r]);
    }
    __mmask16 mask = nc >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nc) - 1u);
    __m512 b = bias ? _mm512_maskz_loadu_ps(mask, bias) : _mm512_setzero_ps();
    for (int r = 0; r < mr; r++) _mm512_mask_storeu_ps(c + (size_t)r * ldc, mask, _mm512_add_ps(f[r], b));
}

/* AVX2 micro-kernel (no VNNI): vpmaddubsw on u8 weights x s8 activations gives pair sums of at most
 * 2 * 15 * 127 = 3810, so the 8 groups of a 32-block add up in int16 without saturation (|sum| <= 30480);
 * vpmaddwd widens to int32 once per block. Up to 4 rows, one 8-column half of the panel at a time. */
__attribute__((target("avx2,fma")))
static void q8_kernel_avx2(const int8_t *xq, const float *xs, const int32_t *xc, int k, int mr, const uint8_t *wp,
                           const float *ws, float *c, int ldc, int nc, const float *bias) {
    enum { R = 4 };
    int kbs = k / 32;
    const int8_t *xr[R];
    const float *sr[R];
    const int32_t *cr_[R];
    for (int r = 0; r < R; r++) {
        int rr = r < mr ? r : mr - 1;
        xr[r] = xq + (size_t)rr * k;
        sr[r] = xs + (size_t)rr * kbs;
        cr_[r] = xc + (size_t)rr * kbs;
    }
    const __m256i ones = _mm256_set1_epi16(1);
    for (int half = 0; half < 2; half++) {
        int cols = nc - half * 8;
        if (cols <= 0) break;
        if (cols > 8) cols = 8;
        __m256 f[R];
        for (int r = 0; r < R; r++) f[r] = _mm256_setzero_ps();
        for (int kb = 0; kb < kbs; kb++) {
            __m256i a16[R];
            for (int r = 0; r < R; r++) a16[r] = _mm256_setzero_si256();
            const uint8_t *wb = wp + (size_t)kb * 512 + half * 32;
            for (int g = 0; g < 8; g++) {
                __m256i w = _mm256_loadu_si256((const __m256i *)(wb + g * 64));
                for (int r = 0; r < R; r++) {
                    int32_t xv;
                    memcpy(&xv, xr[r] + kb * 32 + g * 4, 4);
                    a16[r] = _mm256_add_epi16(a16[r], _mm256_maddubs_epi16(w, _mm256_set1_epi32(xv)));
                }
            }
            __m256 d = _mm256_loadu_ps(ws + kb * 16 + half * 8);
            for (int r = 0; r < R; r++) {
                __m256i a32 = _mm256_add_epi32(_mm256_madd_epi16(a16[r], ones), _mm256_set1_epi32(cr_[r][kb]));
                f[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(a32), _mm256_mul_ps(d, _mm256_set1_ps(sr[r][kb])), f[r]);
            }
        }
        for (int r = 0; r < mr; r++) {
            float out[8];
            __m256 b = _mm256_setzero_ps();
            if (bias) {
                float bb[8] = {0};
                for (int j = 0; j < cols; j++) bb[j] = bias[half * 8 + j];
                b = _mm256_loadu_ps(bb);
            }
            _mm256_storeu_ps(out, _mm256_add_ps(f[r], b));
            float *dst = c + (size_t)r * ldc + half * 8;
            if (cols == 8) {
                memcpy(dst, out, sizeof out);
            } else {
                for (int j = 0; j < cols; j++) dst[j] = out[j];
            }
        }
    }
}
#endif

void bek_q8_gemm(const int8_t *xq, const float *xs, const int32_t *xc, int m, int k, const uint8_t *packed,
                 const float *scales, int n, const float *bias, float *c, int ldc) {
    enum { MC = 64 };
    int np = (n + 15) / 16, kbs = k / 32, MR = 8;
    void (*kern)(const int8_t *, const float *, const int32_t *, int, int, const uint8_t *, const float *, float *, int, int,
                 const float *) = q8_kernel_portable;
#if BEK_Q8_X86
    int isa = bek_active_isa();
    if (isa >= 2) {
        kern = q8_kernel_vnni;
    } else if (isa == 1) {
        kern = q8_kernel_avx2;
        MR = 4;
    }
#endif
    for (int m0 = 0; m0 < m; m0 += MC) {
        int mc = m - m0 < MC ? m - m0 : MC;
        for (int j = 0; j < np; j++) {
            const uint8_t *wp = packed + (size_t)j * kbs * 512;
            const float *ws = scales + (size_t)j * kbs * 16;
            int nc = n - j * 16 < 16 ? n - j * 16 : 16;
            const float *bj = bias ? bias + j * 16 : NULL;
            for (int i = 0; i < mc; i += MR) {
                int mr = mc - i < MR ? mc - i : MR;
                int row = m0 + i;
                kern(xq + (size_t)row * k, xs + (size_t)row * kbs, xc + (size_t)row * kbs, k, mr, wp, ws,
                     c + (size_t)row * ldc + j * 16, ldc, nc, bj);
            }
        }
    }
}
