/* A fault as a debugger sees it: the SCB fault registers read over the wire, through SWD and
 * through CMSIS-DAP (what `x/5wx 0xE000ED28` in GDB reads), give what silicon gives, for a
 * fault the fixture firmware makes itself and for faults injected while it is halted. */
#include "check.h"
#include "fixture_target.h"

#define CFSR 0xE000ED28u
#define BFAR 0xE000ED38u

static const char *const profiles[] = {"stm32f103", "stm32f407", "stm32h743"};

static void fault_registers_over_the_wire(const char *profile, bool over_dap)
{
    CHECK(open_fixture(profile, over_dap));
    uint32_t v = 0;
    CHECK_EQ(adiv5_mem_read32(&dp, 0, CFSR, &v), BMP_OK);
    CHECK_EQ(v, 0);
    /* an undefined instruction, with no UsageFault handler enabled (the fixture enables none) */
    CHECK_EQ(cortexm_halt(&core), BMP_OK);
    t.cpu.fault = (sim_fault_info){SIM_CFSR_UNDEFINSTR, 0, false};
    sim_core_fault(&t);
    /* CFSR, HFSR, DFSR, MMFAR, BFAR in one block read, as GDB's x/5wx makes it */
    uint8_t block[20];
    CHECK_EQ(adiv5_mem_read(&dp, 0, CFSR, block, sizeof block), BMP_OK);
    CHECK_EQ(sim_get_le(block, 4), SIM_CFSR_UNDEFINSTR);
    /* FORCED, and DEBUGEVT from the start-up semihosting BKPT that no debugger caught */
    CHECK_EQ(sim_get_le(block + 4, 4), 3u << 30);
    CHECK_EQ(cortexm_read_register(&core, 16, &v), BMP_OK); /* xPSR: in HardFault */
    CHECK_EQ(v & 0x1FF, 3);
    /* the handler's write-one-to-clear, made by the debugger */
    CHECK_EQ(adiv5_mem_write32(&dp, 0, CFSR, SIM_CFSR_UNDEFINSTR), BMP_OK);
    CHECK_EQ(adiv5_mem_read32(&dp, 0, CFSR, &v), BMP_OK);
    CHECK_EQ(v, 0);
    /* a bus error on a data access shows in BFAR, as the BFSR byte too */
    t.cpu.fault = (sim_fault_info){SIM_CFSR_PRECISERR, 0x30000004u, true};
    CHECK_EQ(adiv5_mem_write32(&dp, 0, 0xE000ED24u, 1u << 17), BMP_OK); /* SHCSR.BUSFAULTENA */
    sim_core_fault(&t); /* in HardFault: locks up, the registers still say why */
    CHECK_EQ(adiv5_mem_read32(&dp, 0, BFAR, &v), BMP_OK);
    CHECK_EQ(v, 0x30000004u);
    CHECK_EQ(adiv5_mem_read32(&dp, 0, CFSR, &v), BMP_OK);
    CHECK_EQ(v, SIM_CFSR_PRECISERR | SIM_CFSR_BFARVALID);
    close_fixture();
}

/* The fixture's own fault: its UDF, escalated (it enables no UsageFault handler), counted by
 * its HardFault handler, and seen over the wire. */
static void fixture_fault_over_the_wire(const char *profile, bool over_dap)
{
    CHECK(open_fixture(profile, over_dap));
    uint32_t v = 0;
    CHECK_EQ(adiv5_mem_write32(&dp, 0, elf_symbol(&image, "fault_request"), 1), BMP_OK);
    sim_target_advance(&t, 1000000000ull);
    CHECK_EQ(adiv5_mem_read32(&dp, 0, elf_symbol(&image, "hardfault_count"), &v), BMP_OK);
    CHECK_EQ(v, 1);
    CHECK_EQ(adiv5_mem_read32(&dp, 0, CFSR, &v), BMP_OK);
    CHECK_EQ(v, SIM_CFSR_UNDEFINSTR);
    CHECK_EQ(adiv5_mem_read32(&dp, 0, CFSR + 4, &v), BMP_OK); /* HFSR */
    CHECK_EQ(v & (1u << 30), 1u << 30);
    close_fixture();
}

static void test_fault_registers_over_swd_and_dap(void)
{
    for (unsigned link = 0; link < 2; link++)
        for (unsigned p = 0; p < 3; p++) {
            fault_registers_over_the_wire(profiles[p], link == 1);
            fixture_fault_over_the_wire(profiles[p], link == 1);
        }
}

int main(void)
{
    RUN(test_fault_registers_over_swd_and_dap);
    return CHECK_SUMMARY();
}
