#ifndef BALCAO_CTESSERACT_SHIM_H
#define BALCAO_CTESSERACT_SHIM_H
#include <tesseract/capi.h>
#include <leptonica/allheaders.h>
#endif
