#ifndef BALCAO_CVECTORKERNELS_H
#define BALCAO_CVECTORKERNELS_H
/// Placeholder until the vector kernels land.
int balcao_vector_kernels_version(void);
#endif
