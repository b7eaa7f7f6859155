#ifndef BALCAO_CEMBEDDINGKERNELS_H
#define BALCAO_CEMBEDDINGKERNELS_H
/// Placeholder until the embedding kernels land.
int balcao_embedding_kernels_version(void);
#endif
