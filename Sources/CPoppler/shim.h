#ifndef BALCAO_CPOPPLER_SHIM_H
#define BALCAO_CPOPPLER_SHIM_H
#include <poppler.h>
#endif
