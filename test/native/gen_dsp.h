/* Random-encoding generators for the DSP extension of ARMv7E-M, one per encoding class, for the
 * differential tests against Unicorn. Each returns hw1 << 16 | hw2 of one instruction with defined
 * behaviour (registers r0-r12 only, should-be-zero bits zero). */
#ifndef GEN_DSP_H
#define GEN_DSP_H

#include <stdint.h>

typedef uint32_t (*insn_gen_fn)(uint64_t *rng);

typedef struct {
    const char *name;
    insn_gen_fn gen;
} insn_gen_class;

/* xorshift64*: deterministic from a seed (which must not be 0). */
uint32_t gen_rand(uint64_t *rng);

extern const insn_gen_class gen_dsp_classes[];
extern const unsigned gen_dsp_class_count;

#endif
