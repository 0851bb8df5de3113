/* Directed tests of the ARMv7-M executor for what the differential test cannot compare: IT
 * blocks with their flag rules and ITSTATE in xPSR, the exclusive monitor, faults and their CFSR
 * bits (divide by zero, unaligned, undefined, invalid state, bus errors, coprocessors), system
 * registers and their privilege rules, table branches and loads into PC. The encodings come
 * from arm-none-eabi-as (shown beside each). */
#include "check.h"
#include "sim_target.h"

#define CODE 0x20000000u
#define DATA 0x20001000u
#define UNMAPPED 0x30000000u /* nothing on any profile's bus */

static sim_target t;
static unsigned last_cycles;

static void setup(const char *profile, const uint16_t *code, unsigned halfwords)
{
    sim_target_free(&t);
    CHECK_EQ(sim_target_init(&t, profile), SIM_OK);
    sim_cpu_reset(&t);
    CHECK_EQ(sim_target_load(&t, CODE, (const uint8_t *)code, halfwords * 2), SIM_OK);
    t.cpu.r[13] = 0x20002000u;
    t.cpu.r[15] = CODE;
}

static sim_step_result step(void)
{
    return sim_cpu_step(&t, &last_cycles);
}

static uint32_t peek32(uint32_t addr)
{
    uint8_t b[4];
    sim_target_peek(&t, addr, b, 4);
    return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

static void poke32(uint32_t addr, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    sim_target_load(&t, addr, b, 4);
}

/* A faulting step: the CFSR bit, the PC still at the instruction, no register changed. */
static void expect_fault(uint32_t cfsr)
{
    uint32_t before[16], xpsr = t.cpu.xpsr;
    memcpy(before, t.cpu.r, sizeof before);
    CHECK_EQ(step(), SIM_STEP_FAULT);
    CHECK_EQ(t.cpu.fault.cfsr, cfsr);
    CHECK(memcmp(before, t.cpu.r, sizeof before) == 0);
    CHECK_EQ(t.cpu.xpsr, xpsr);
}

#define IT_BITS(x) ((((x) & 0xFCu) << 8) | (((x) & 3u) << 25))

static void test_it_block_flags_and_itstate(void)
{
    static const uint16_t code[] = {
        0xBF06,         /* itte eq */
        0x3001,         /* addeq r0, #1: no flags inside an IT block */
        0x2105,         /* moveq r1, #5 */
        0x2207,         /* movne r2, #7: skipped */
        0xBF18,         /* it ne */
        0xF113, 0x0301, /* addsne.w r3, r3, #1: executed (Z was cleared... no: Z still set) */
        0x4280,         /* cmp r0, r0 */
        0xBF04,         /* itt eq */
        0xF384, 0x8800, /* msreq APSR_nzcvq, r4 (clears Z) */
        0x2501,         /* moveq r5, #1: skipped now */
        0x3001,         /* adds r0, #1: outside the block, sets flags again */
    };
    setup("stm32f407", code, sizeof code / 2);
    t.cpu.r[0] = 0xFFFFFFFFu;
    t.cpu.r[2] = 2;
    t.cpu.r[3] = 3;
    t.cpu.r[4] = 0x80000000u; /* N only */
    t.cpu.xpsr = XPSR_T | XPSR_Z | XPSR_C;
    CHECK_EQ(step(), SIM_STEP_OK); /* ITTE EQ: ITSTATE = 0x06 */
    CHECK_EQ(t.cpu.xpsr & 0x0600FC00u, IT_BITS(0x06));
    uint32_t xpsr = 0;
    CHECK(sim_cpu_read_reg(&t, SIM_REG_XPSR, &xpsr)); /* the debugger sees ITSTATE */
    CHECK_EQ(xpsr & 0x0600FC00u, IT_BITS(0x06));
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[0], 0);                                 /* 0xFFFFFFFF + 1 */
    CHECK_EQ(t.cpu.xpsr & 0xF0000000u, XPSR_Z | XPSR_C);     /* flags untouched: no carry out set, N not set */
    CHECK_EQ(t.cpu.xpsr & 0x0600FC00u, IT_BITS(0x0C));       /* advanced */
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[1], 5);
    CHECK_EQ(step(), SIM_STEP_OK); /* the else slot: condition NE fails */
    CHECK_EQ(t.cpu.r[2], 2);
    CHECK_EQ(t.cpu.r[15], CODE + 8);
    CHECK_EQ(t.cpu.xpsr & 0x0600FC00u, 0); /* the block is over */
    CHECK_EQ(step(), SIM_STEP_OK);         /* IT NE */
    CHECK_EQ(step(), SIM_STEP_OK);         /* skipped: Z is set */
    CHECK_EQ(t.cpu.r[3], 3);
    CHECK_EQ(t.cpu.r[15], CODE + 0x0E);
    CHECK_EQ(step(), SIM_STEP_OK); /* cmp */
    CHECK_EQ(step(), SIM_STEP_OK); /* itt eq */
    CHECK_EQ(step(), SIM_STEP_OK); /* msr: flags become N */
    CHECK_EQ(t.cpu.xpsr & 0xF8000000u, XPSR_N);
    CHECK_EQ(step(), SIM_STEP_OK); /* moveq: condition now fails */
    CHECK_EQ(t.cpu.r[5], 0);
    CHECK_EQ(t.cpu.xpsr & 0x0600FC00u, 0);
    CHECK_EQ(step(), SIM_STEP_OK); /* adds r0, #1 sets flags */
    CHECK_EQ(t.cpu.r[0], 1);
    CHECK_EQ(t.cpu.xpsr & 0xF0000000u, 0);
    /* a 32-bit flag-setting instruction inside a block still sets flags; IT inside IT faults */
    static const uint16_t code2[] = {0xBF08, 0xF113, 0x0301, 0xBF08, 0xBF08};
    setup("stm32f103", code2, 5); /* it eq; addseq.w r3, r3, #1; it eq; it eq */
    t.cpu.r[3] = 0xFFFFFFFFu;
    t.cpu.xpsr = XPSR_T | XPSR_Z;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[3], 0);
    CHECK_EQ(t.cpu.xpsr & 0xF0000000u, XPSR_Z | XPSR_C);
    CHECK_EQ(step(), SIM_STEP_OK);
    expect_fault(SIM_CFSR_UNDEFINSTR);
}

static void test_exclusive_monitor(void)
{
    static const uint16_t code[] = {
        0xE850, 0x1F00, /* ldrex r1, [r0] */
        0xE840, 0x3200, /* strex r2, r3, [r0]: succeeds */
        0xE840, 0x4200, /* strex r2, r4, [r0]: fails, the monitor is closed */
        0xE850, 0x1F00, /* ldrex r1, [r0] */
        0xF3BF, 0x8F2F, /* clrex */
        0xE840, 0x4200, /* strex r2, r4, [r0]: fails */
        0xE850, 0x1F01, /* ldrex r1, [r0, #4] */
        0xE840, 0x4200, /* strex r2, r4, [r0]: another address, fails */
        0xE8D0, 0x1F4F, /* ldrexb r1, [r0] */
        0xE8C0, 0x3F42, /* strexb r2, r3, [r0]: succeeds */
        0xE8D0, 0x1F5F, /* ldrexh r1, [r0] */
        0xE8C0, 0x3F52, /* strexh r2, r3, [r0]: succeeds */
        0xE850, 0x1F00, /* ldrex r1, [r0] */
        0xE840, 0x4200, /* strex r2, r4, [r0]: fails after an exception cleared the monitor */
    };
    setup("stm32f103", code, sizeof code / 2);
    poke32(DATA, 0x11223344u);
    poke32(DATA + 4, 0x55667788u);
    t.cpu.r[0] = DATA;
    t.cpu.r[3] = 0xAABBCCDDu;
    t.cpu.r[4] = 0x99999999u;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[1], 0x11223344u);
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[2], 0);
    CHECK_EQ(peek32(DATA), 0xAABBCCDDu);
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[2], 1);
    CHECK_EQ(peek32(DATA), 0xAABBCCDDu);
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[2], 1);
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[1], 0x55667788u);
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[2], 1);
    CHECK_EQ(peek32(DATA), 0xAABBCCDDu);
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[1], 0xDD);
    t.cpu.r[2] = 7;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[2], 0);
    CHECK_EQ(peek32(DATA), 0xAABBCCDDu); /* the byte written was 0xDD again */
    t.cpu.r[3] = 0x1234;
    CHECK_EQ(step(), SIM_STEP_OK);
    t.cpu.r[2] = 7;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[2], 0);
    CHECK_EQ(peek32(DATA), 0xAABB1234u);
    CHECK_EQ(step(), SIM_STEP_OK);
    sim_cpu_clear_exclusive(&t.cpu); /* what exception entry and return do */
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[2], 1);
    CHECK_EQ(peek32(DATA), 0xAABB1234u);
}

static void test_divide_by_zero(void)
{
    static const uint16_t code[] = {0xFB90, 0xF2F1, 0xFBB0, 0xF2F1, 0xFB90, 0xF2F1}; /* sdiv, udiv, sdiv r2, r0, r1 */
    setup("stm32f103", code, 6);
    t.cpu.r[0] = 100;
    t.cpu.r[1] = 0;
    t.cpu.r[2] = 0x5555;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[2], 0);
    t.cpu.r[2] = 0x5555;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[2], 0);
    t.core.ccr |= 1u << 4; /* CCR.DIV_0_TRP */
    t.cpu.r[2] = 0x5555;
    expect_fault(SIM_CFSR_DIVBYZERO);
    CHECK_EQ(t.cpu.r[15], CODE + 8);
    t.cpu.r[1] = 0xFFFFFFFFu; /* -100 / -1 ... and INT_MIN / -1 = INT_MIN, no fault */
    t.cpu.r[0] = 0x80000000u;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[2], 0x80000000u);
}

static void test_alignment(void)
{
    static const uint16_t code[] = {
        0xF8D0, 0x1000, /* ldr.w r1, [r0]: unaligned, allowed */
        0xE890, 0x0006, /* ldmia.w r0, {r1, r2}: must be aligned */
        0xC806,         /* ldmia r0!, {r1, r2} */
        0xE9D0, 0x1200, /* ldrd r1, r2, [r0] */
        0xE850, 0x1F00, /* ldrex r1, [r0] */
        0xF8D0, 0x1000, /* ldr.w r1, [r0] with CCR.UNALIGN_TRP */
    };
    setup("stm32f407", code, sizeof code / 2);
    poke32(DATA, 0x33221100u);
    poke32(DATA + 4, 0x77665544u);
    t.cpu.r[0] = DATA + 2;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[1], 0x55443322u);
    t.cpu.r[1] = 1;
    expect_fault(SIM_CFSR_UNALIGNED);
    t.cpu.r[15] += 4;
    expect_fault(SIM_CFSR_UNALIGNED);
    t.cpu.r[15] += 2;
    expect_fault(SIM_CFSR_UNALIGNED);
    t.cpu.r[15] += 4;
    expect_fault(SIM_CFSR_UNALIGNED);
    t.cpu.r[15] += 4;
    t.core.ccr |= 1u << 3; /* CCR.UNALIGN_TRP */
    expect_fault(SIM_CFSR_UNALIGNED);
    /* an unaligned store is split into bytes */
    static const uint16_t store[] = {0xF8C0, 0x1000}; /* str.w r1, [r0] */
    setup("stm32f103", store, 2);
    t.cpu.r[0] = DATA + 3;
    t.cpu.r[1] = 0xA1B2C3D4u;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(peek32(DATA), 0xD4000000u | (peek32(DATA) & 0xFFFFFF));
    CHECK_EQ(peek32(DATA + 4), (peek32(DATA + 4) & 0xFF000000u) | 0xA1B2C3u);
}

static void test_undefined_and_state(void)
{
    static const uint16_t code[] = {0xDE00, 0xF7F0, 0xA000, 0xFA82, 0xF081, 0xEE00, 0x0010};
    /* udf #0; udf.w #0; qadd r0, r1, r2 (DSP); mcr p0, ... */
    setup("stm32f103", code, sizeof code / 2);
    expect_fault(SIM_CFSR_UNDEFINSTR);
    t.cpu.r[15] = CODE + 2;
    expect_fault(SIM_CFSR_UNDEFINSTR);
    t.cpu.r[15] = CODE + 6;
    expect_fault(SIM_CFSR_UNDEFINSTR); /* no DSP extension on the Cortex-M3 */
    t.cpu.r[15] = CODE + 10;
    expect_fault(SIM_CFSR_NOCP); /* coprocessor 0 does not exist */
    /* EPSR.T clear */
    t.cpu.r[15] = CODE;
    t.cpu.xpsr &= ~XPSR_T;
    expect_fault(SIM_CFSR_INVSTATE);
    /* BX to an even address clears T; the next instruction faults */
    static const uint16_t bx[] = {0x4708}; /* bx r1 */
    setup("stm32f103", bx, 1);
    t.cpu.r[1] = CODE + 0x100;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.xpsr & XPSR_T, 0);
    expect_fault(SIM_CFSR_INVSTATE);
    /* ARMv6-M has no MOVW: a Cortex-M0+ core faults where the Cortex-M3 executes */
    static const uint16_t movw[] = {0xF241, 0x2034}; /* movw r0, #0x1234 */
    setup("stm32f103", movw, 2);
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[0], 0x1234);
    sim_profile m0p = *t.profile;
    m0p.core = SIM_CORE_M0P;
    t.profile = &m0p;
    t.cpu.r[15] = CODE;
    t.cpu.r[0] = 0;
    CHECK_EQ(step(), SIM_STEP_FAULT);
    CHECK_EQ(t.cpu.r[0], 0);
    t.profile = sim_profile_find("stm32f103");
}

static void test_bus_errors(void)
{
    static const uint16_t code[] = {0xF8D0, 0x1000, 0x6001}; /* ldr.w r1, [r0]; str r1, [r0] */
    setup("stm32f407", code, 3);
    CHECK(sim_bus_find(&t.bus, UNMAPPED) == NULL);
    t.cpu.r[0] = UNMAPPED + 8;
    expect_fault(SIM_CFSR_PRECISERR | SIM_CFSR_BFARVALID);
    CHECK_EQ(t.cpu.fault.address, UNMAPPED + 8);
    CHECK(t.cpu.fault.address_valid);
    t.cpu.r[15] = CODE + 4;
    expect_fault(SIM_CFSR_PRECISERR | SIM_CFSR_BFARVALID);
    CHECK_EQ(t.cpu.fault.address, UNMAPPED + 8);
    t.cpu.r[15] = UNMAPPED; /* instruction fetch */
    expect_fault(SIM_CFSR_IBUSERR);
    CHECK(!t.cpu.fault.address_valid);
}

static void test_branches_and_pc_loads(void)
{
    static const uint16_t code[] = {
        0xE8DF, 0xF001, /* tbb [pc, r1] */
        0x0402, 0x0806, /* table: 2, 4, 6, 8 (halfwords) */
        0xE8D0, 0xF011, /* 0x08: tbh [r0, r1, lsl #1] */
        0xF8D0, 0xF000, /* 0x0C: ldr.w pc, [r0] */
        0xBF10,         /* 0x10: yield */
        0xF3AF, 0x8001, /* 0x12: yield.w */
    };
    setup("stm32f103", code, sizeof code / 2);
    t.cpu.r[1] = 2;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[15], CODE + 4 + 2 * 6);
    /* TBH from a table in RAM */
    poke32(DATA, 0x00030001u);
    t.cpu.r[15] = CODE + 8;
    t.cpu.r[0] = DATA;
    t.cpu.r[1] = 1;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[15], CODE + 8 + 4 + 2 * 3);
    /* LDR PC interworks: bit 0 set keeps Thumb */
    poke32(DATA, (CODE + 0x10) | 1);
    t.cpu.r[15] = CODE + 0x0C;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[15], CODE + 0x10);
    CHECK(t.cpu.xpsr & XPSR_T);
    CHECK_EQ(step(), SIM_STEP_OK); /* YIELD is a NOP here */
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[15], CODE + 0x16);
    /* PUSH.W / POP.W with PC */
    static const uint16_t stack[] = {0xE92D, 0x4FF0, 0xE8BD, 0x8FF0}; /* push.w {r4-r11, lr}; pop.w {r4-r11, pc} */
    setup("stm32f103", stack, 4);
    for (unsigned i = 4; i <= 11; i++) t.cpu.r[i] = 0x100 + i;
    t.cpu.r[14] = (CODE + 0x40) | 1;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[13], 0x20002000u - 36);
    CHECK_EQ(peek32(t.cpu.r[13] + 32), (CODE + 0x40) | 1);
    for (unsigned i = 4; i <= 11; i++) t.cpu.r[i] = 0;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[15], CODE + 0x40);
    CHECK_EQ(t.cpu.r[13], 0x20002000u);
    CHECK_EQ(t.cpu.r[11], 0x10B);
}

static void test_system_registers(void)
{
    static const uint16_t code[] = {
        0xF380, 0x8811, /* msr basepri, r0 */
        0xF380, 0x8812, /* msr basepri_max, r0 */
        0xF380, 0x8813, /* msr faultmask, r0 */
        0xF3EF, 0x8111, /* mrs r1, basepri */
        0xB671,         /* cpsid f */
        0xB661,         /* cpsie f */
        0xDF05,         /* svc #5 */
        0xBE03,         /* bkpt #3 */
        0xF3AF, 0x8003, /* wfi.w */
    };
    setup("stm32f407", code, sizeof code / 2);
    t.cpu.r[0] = 0x40;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.basepri, 0x40);
    t.cpu.r[0] = 0x80; /* BASEPRI_MAX only raises the priority: 0x80 is lower */
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.basepri, 0x40);
    t.cpu.r[15] = CODE + 4;
    t.cpu.r[0] = 0x20;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.basepri, 0x20);
    t.cpu.r[0] = 1;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.faultmask, 1);
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[1], 0x20);
    t.cpu.faultmask = 0;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.faultmask, 1);
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.faultmask, 0);
    CHECK_EQ(step(), SIM_STEP_SVC);
    CHECK_EQ(t.cpu.r[15], CODE + 0x16);
    CHECK_EQ(step(), SIM_STEP_BKPT);
    CHECK_EQ(t.cpu.bkpt_imm, 3);
    CHECK_EQ(t.cpu.r[15], CODE + 0x16);
    t.cpu.r[15] += 2;
    CHECK_EQ(step(), SIM_STEP_WFI);
    CHECK_EQ(t.cpu.r[15], CODE + 0x1C);
    /* unprivileged thread mode: writes to BASEPRI, FAULTMASK and CPS are ignored */
    t.cpu.control = CONTROL_NPRIV;
    t.cpu.basepri = 0;
    t.cpu.faultmask = 0;
    t.cpu.r[0] = 0x40;
    t.cpu.r[15] = CODE;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.basepri, 0);
    t.cpu.r[15] = CODE + 0x10;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.faultmask, 0);
    /* in a HardFault handler (priority -1) FAULTMASK cannot be set */
    t.cpu.control = 0;
    t.cpu.xpsr = XPSR_T | 3;
    t.cpu.r[15] = CODE + 0x10;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.faultmask, 0);
}

static void test_saturate_and_bitfields(void)
{
    static const uint16_t code[] = {0xF301, 0x0007, 0xF381, 0x0008, 0xF361, 0x100B};
    /* ssat r0, #8, r1; usat r0, #8, r1; bfi r0, r1, #4, #8 */
    setup("stm32f103", code, 6);
    t.cpu.r[1] = 1000;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[0], 127);
    CHECK(t.cpu.xpsr & XPSR_Q);
    t.cpu.xpsr &= ~XPSR_Q;
    t.cpu.r[1] = (uint32_t)-5;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[0], 0);
    CHECK(t.cpu.xpsr & XPSR_Q);
    t.cpu.r[0] = 0xFFFFFFFFu;
    t.cpu.r[1] = 0x12345678u;
    CHECK_EQ(step(), SIM_STEP_OK);
    CHECK_EQ(t.cpu.r[0], 0xFFFFF78Fu);
}

int main(void)
{
    RUN(test_it_block_flags_and_itstate);
    RUN(test_exclusive_monitor);
    RUN(test_divide_by_zero);
    RUN(test_alignment);
    RUN(test_undefined_and_state);
    RUN(test_bus_errors);
    RUN(test_branches_and_pc_loads);
    RUN(test_system_registers);
    RUN(test_saturate_and_bitfields);
    sim_target_free(&t);
    return CHECK_SUMMARY();
}
