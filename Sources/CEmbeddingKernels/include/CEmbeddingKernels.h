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

/// Which implementation the dispatcher chose: 0 = portable, 1 = AVX2+FMA.
int bek_active_isa(void);
/// Forces an implementation (0 = portable, 1 = AVX2+FMA if supported, -1 = automatic). For tests and benchmarks.
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

/// erf(x) elementwise, as used by bek_gelu (exposed for tests).
void bek_erf(const float *x, float *out, size_t count);

#ifdef __cplusplus
}
#endif
#endif
