#ifndef BALCAO_CAUDIO_SHIM_H
#define BALCAO_CAUDIO_SHIM_H
#include <opusfile.h>
#include <speex/speex_resampler.h>
#endif
