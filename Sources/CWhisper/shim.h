#ifndef BALCAO_CWHISPER_SHIM_H
#define BALCAO_CWHISPER_SHIM_H
// whisper.cpp 1.8.5, built static by scripts/fetch-whisper.sh (which `make setup` runs) into .build-whisper/prefix;
// Package.swift adds its lib/ to the linker's search path.
#include "../../.build-whisper/prefix/include/whisper.h"
#endif
