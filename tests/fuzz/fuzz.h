/* SPDX-License-Identifier: MIT */
/*
 * The libFuzzer entry point, shared by the fuzz targets and the replay
 * driver (replay.c) that runs them without libFuzzer.
 */
#ifndef PB_FUZZ_H
#define PB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Runs one input.  Returns 0 (keep in the corpus); never exits. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
