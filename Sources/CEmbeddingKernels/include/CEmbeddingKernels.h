#ifndef BALCAO_CEMBEDDINGKERNELS_H
#define BALCAO_CEMBEDDINGKERNELS_H
/*
 * Numeric kernels of Balcão's local E5 encoder.
 *
 * Every entry point dispatches at run time: an AVX2+FMA build of the function is used when the CPU
 * has both (checked once with __builtin_cpu_supports), a portable build otherwise. Nothing in this
 * target is compiled for a newer baseline than the toolchain's default, so the binary runs on any
 * x86-64 (and builds on other architectures with the portable path only). Setting the environment
 * variable BALCAO_EMBED_KERNELS=portable before the first call selects the portable build.
 *
 * Matrices are row-major float32. "Packed" right-hand sides are laid out in panels of 16 output
 * columns: panel j holds, for k = 0..<K, the 16 values B[j*16 + c][k] contiguously, so element
 * (n, k) lives at packed[(n / 16) * K * 16 + k * 16 + n % 16]. N is padded with zeros to a multiple
 * of 16 (bek_packed_count gives the float count).
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Which implementation the dispatcher chose: 0 = portable, 1 = AVX2+FMA, 2 = AVX-512 VNNI (int8 GEMM) + AVX2+FMA.
int bek_active_isa(void);
/// Caps the implementation (0 = portable, 1 = AVX2+FMA, 2 = AVX-512 VNNI; -1 = best supported). For tests and benchmarks.
void bek_force_isa(int isa);

/// Floats needed to pack an N x K right-hand side (N rounded up to 16).
size_t bek_packed_count(int n, int k);

/// Packs B given as N rows of K (row n at b + n*ldb, like a torch Linear weight [out][in]).
void bek_pack_nk(const float *b, int n, int k, int ldb, float *packed);
/// Packs B given as K rows of N (row k at b + k*ldb), i.e. the transpose layout.
void bek_pack_kn(const float *b, int k, int n, int ldb, float *packed);

/// Dequantizes `rows` x `cols` Q4_0 weights (18-byte blocks of 32: f16 scale, 16 nibble bytes;
/// byte j holds weight j in its low nibble and weight j + 16 in its high nibble) into float rows.
void bek_dequant_q4_0(const uint8_t *q, int rows, int cols, float *out);

/// C[m][n] = bias[n] (or 0) + sum_k A[m][k] * B[n][k] for m < M, n < N (N <= padded width of `packed`).
/// A rows at a + m*lda; C rows at c + m*ldc. `n` may be any value up to the packed width.
void bek_gemm(const float *a, int lda, int m, int k, const float *packed, int n, const float *bias, float *c, int ldc);

/// x[r] = LayerNorm(x[r] + y[r]) * w + b over `cols` for r < rows (y may be NULL). Row stride = cols.
void bek_add_layernorm(float *x, const float *y, const float *w, const float *b, int rows, int cols, float eps);

/// x = x * 0.5 * (1 + erf(x / sqrt(2))) elementwise (exact-erf GELU, float accuracy).
void bek_gelu(float *x, size_t count);

/// Softmax of each of `rows` rows of length `cols` (row stride ld), scaled by `scale` first.
void bek_softmax_rows(float *x, int rows, int cols, int ld, float scale);

/* ---- int8 path: weights 4-bit -> u8 (w + 8) in VNNI panels, activations quantized to s8 per 32-block ----
 * Weight panels of 16 output columns: for each 32-block kb of K and each group g of 4 k's, 64 bytes holding
 * w[c][kb*32 + g*4 + 0..3] + 8 for c = 0..15; scales in a parallel float array [panel][kb][16].
 * Activations: row t has K int8 values (stride K), per-block scale xs[t][kb] and correction xc[t][kb] = -8 * sum(q). */

/// Bytes of u8 weight panels for N x K (N rounded up to 16); floats of its scale array.
size_t bek_q8_weight_bytes(int n, int k);
size_t bek_q8_scale_count(int n, int k);
/// Repacks N x K Q4_0 weights (rows of K/32 blocks, like a torch Linear [out][in]) into the VNNI panel layout.
void bek_q8_pack_q4_0(const uint8_t *q4, int n, int k, uint8_t *packed, float *scales);
/// Quantizes M rows of K floats (stride ldx) to int8 per 32-block.
void bek_q8_quantize_rows(const float *x, int m, int k, int ldx, int8_t *xq, float *xs, int32_t *xc);
/// C[m][n] = bias[n] + sum_k x[m][k] * w[n][k] with quantized operands. Uses VNNI when the active ISA is 2.
void bek_q8_gemm(const int8_t *xq, const float *xs, const int32_t *xc, int m, int k, const uint8_t *packed,
                 const float *scales, int n, const float *bias, float *c, int ldc);

/// erf(x) elementwise, as used by bek_gelu (exposed for tests).
void bek_erf(const float *x, float *out, size_t count);

#ifdef __cplusplus
}
#endif
#endif
