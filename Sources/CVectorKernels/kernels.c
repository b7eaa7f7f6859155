#include "CVectorKernels.h"
int balcao_vector_kernels_version(void) { return 0; }
