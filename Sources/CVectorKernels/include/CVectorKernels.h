#ifndef BALCAO_CVECTORKERNELS_H
#define BALCAO_CVECTORKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Distance kernels for the vector index, chosen at run time.
///
/// Every kernel exists in a portable version (generic vector extensions, baseline x86-64 / any CPU) and, on x86-64,
/// in an AVX2+FMA+F16C version and an AVX-512 (F/VL/BW) version, each compiled with a per-function target attribute
/// and picked with `__builtin_cpu_supports`, so one binary runs everywhere and uses the widest SIMD present.
/// Float16 values travel as their IEEE 754 binary16 bit patterns (`uint16_t`); int8 vectors as codes with one Float32
/// scale per vector.

/// Inner product or squared L2 distance between a Float32 query and a stored vector, whose per-vector scale is
/// `scale` (int8 storage: component = code × scale; Float32 and Float16 ignore it).
typedef float (*bvk_query_fn)(const float *q, const void *v, float scale, size_t n);
/// Inner product or squared L2 distance between two stored vectors of the same storage type, with their scales.
typedef float (*bvk_pair_fn)(const void *a, const void *b, float scale_a, float scale_b, size_t n);

/// Distances from one Float32 query to `count` stored vectors at once: `vectors[i]` with scale `scales[i]` (int8
/// storage; the other types pass NULL), written to `out[i]`, each equal to what the single-vector kernel returns.
///
/// A group of vectors (16 with AVX-512, 8 with AVX2 and the portable path; a short last group is padded) is read in
/// step, one SIMD block of each per iteration, so the cache misses of different vectors are in flight together
/// rather than one vector's at a time. The beam search is bound by memory latency, so this is where most of its
/// speed comes from.
typedef void (*bvk_query_batch_fn)(const float *q, const void *const *vectors, const float *scales, size_t count,
                                   size_t n, float *out);

/// One implementation level's kernel table.
typedef struct bvk_kernels {
    bvk_query_fn dot_f32;
    bvk_query_fn l2sq_f32;
    bvk_pair_fn dot_f32_pair;
    bvk_pair_fn l2sq_f32_pair;
    bvk_query_fn dot_f32_f16;
    bvk_query_fn l2sq_f32_f16;
    bvk_pair_fn dot_f16;
    bvk_pair_fn l2sq_f16;
    bvk_query_fn dot_f32_i8;
    bvk_query_fn l2sq_f32_i8;
    bvk_pair_fn dot_i8;
    bvk_pair_fn l2sq_i8;
    bvk_query_batch_fn dot_f32_batch;
    bvk_query_batch_fn l2sq_f32_batch;
    bvk_query_batch_fn dot_f32_f16_batch;
    bvk_query_batch_fn l2sq_f32_f16_batch;
    bvk_query_batch_fn dot_f32_i8_batch;
    bvk_query_batch_fn l2sq_f32_i8_batch;
    /// 0 = portable, 1 = AVX2+FMA+F16C, 2 = AVX-512.
    int level;
} bvk_kernels;

/// The best level this CPU supports (0 portable, 1 AVX2+FMA+F16C, 2 AVX-512).
int bvk_best_level(void);
/// The kernel table for `level` (clamped to what the CPU supports); `level < 0` means the best available.
const bvk_kernels *bvk_get_kernels(int level);

/// Converts Float32 to Float16 bit patterns (round to nearest even), dispatched like the kernels.
void bvk_f32_to_f16(const float *src, uint16_t *dst, size_t n);
/// Converts Float16 bit patterns to Float32, dispatched like the kernels.
void bvk_f16_to_f32(const uint16_t *src, float *dst, size_t n);
/// Quantizes Float32 to int8 codes with one scale (max |x| / 127, round to nearest); returns the scale
/// (0 for a zero vector, whose codes are all 0).
float bvk_f32_to_i8(const float *src, int8_t *dst, size_t n);
/// Expands int8 codes to Float32 (code × scale).
void bvk_i8_to_f32(const int8_t *src, float scale, float *dst, size_t n);

/// A fast 64-bit checksum (xxHash64-style rounds) over `n` bytes, chained through `seed`.
uint64_t bvk_checksum64(const void *data, size_t n, uint64_t seed);

// MARK: - Atomics on plain memory (for concurrent readers of graph arrays)

static inline uint32_t bvk_load_acquire_u32(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void bvk_store_release_u32(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline uint8_t bvk_load_acquire_u8(const uint8_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void bvk_store_release_u8(uint8_t *p, uint8_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline uint64_t bvk_load_acquire_u64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void bvk_store_release_u64(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline int bvk_cas_u64(uint64_t *p, uint64_t expected, uint64_t desired) {
    return __atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
static inline uint64_t bvk_fetch_add_u64(uint64_t *p, uint64_t v) { return __atomic_fetch_add(p, v, __ATOMIC_ACQ_REL); }

/// Takes a one-byte spin lock.
static inline void bvk_spin_lock(uint8_t *p) {
    while (__atomic_exchange_n(p, (uint8_t)1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(p, __ATOMIC_RELAXED)) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
    }
}
/// Releases a one-byte spin lock.
static inline void bvk_spin_unlock(uint8_t *p) { __atomic_store_n(p, (uint8_t)0, __ATOMIC_RELEASE); }

/// Prefetches `lines` cache lines starting at `p` for reading.
static inline void bvk_prefetch(const void *p, int lines) {
    const char *c = (const char *)p;
    for (int i = 0; i < lines; i++) __builtin_prefetch(c + 64 * i, 0, 3);
}

#endif
