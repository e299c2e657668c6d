/* purgatory (x86_64): the entry registers the loader patches by name (purgatory/abi.h). */
#include "purgatory/abi.h"

uint64_t entry64_rip = 0;
uint64_t entry64_rsi = 0;
