/* The ARMv7-M exception model of the simulated core (ARMv7-M ARM B1.5, B3.2): fault routing and
 * escalation with the fault status registers as a debugger reads them, priority grouping,
 * BASEPRI and FAULTMASK, the faults of exception entry and return, the FP extended frame and
 * lazy stacking, vector catch. Hand-assembled programs in SRAM raise the faults as the executor
 * reports them; the cases no short program reaches are injected through cpu.fault. */
#include "check.h"
#include "sim_bus_check.h"
#include "sim_exc.h"
#include "sim_target.h"

#define BASE 0x20000000u
#define STACK_TOP 0x20004000u
#define THREAD_CODE (BASE + 0x200)
#define STUB (BASE + 0x300)            /* a `bx lr` for returns */
#define HANDLER(n) (BASE + 0x400 + 0x10 * (n))
#define UNMAPPED 0x30000000u           /* nothing answers there on the F103 and the F407 */
#define US 1000000ull                  /* one microsecond in picoseconds */

#define ICSR 0xE000ED04u
#define VTOR 0xE000ED08u
#define AIRCR 0xE000ED0Cu
#define SCR 0xE000ED10u
#define CCR 0xE000ED14u
#define SHPR2 0xE000ED1Cu
#define SHPR3 0xE000ED20u
#define SHCSR 0xE000ED24u
#define CFSR 0xE000ED28u
#define HFSR 0xE000ED2Cu
#define DFSR 0xE000ED30u
#define MMFAR 0xE000ED34u
#define BFAR 0xE000ED38u
#define CPACR 0xE000ED88u
#define DHCSR 0xE000EDF0u
#define DEMCR 0xE000EDFCu
#define STIR 0xE000EF00u
#define FPCCR 0xE000EF34u
#define FPCAR 0xE000EF38u
#define FPDSCR 0xE000EF3Cu
#define ISER0 0xE000E100u
#define ISPR0 0xE000E200u
#define IPR0 0xE000E400u
#define KEY 0xA05F0000u

#define USGFAULTENA (1u << 18)
#define BUSFAULTENA (1u << 17)
#define MEMFAULTENA (1u << 16)
#define FORCED (1u << 30)
#define VECTTBL (1u << 1)
#define DEBUGEVT (1u << 31)
#define LSPACT 1u
#define ASPEN_LSPEN 0xC0000000u

static const char *const v7m_profiles[] = {"stm32f103", "stm32f407", "stm32h743"};

static void code(sim_target *t, uint32_t addr, const uint16_t *insns, size_t count)
{
    CHECK_EQ(sim_target_load(t, addr, (const uint8_t *)insns, count * 2), SIM_OK);
}

/* A target whose vector table is at BASE: every handler a `b .` at HANDLER(n), the thread a
 * `b .` at THREAD_CODE, running in thread mode on MSP = STACK_TOP. */
static void populate(sim_target *t)
{
    uint32_t vectors[48];
    const uint16_t loop = 0xE7FE, bx_lr = 0x4770;
    vectors[0] = STACK_TOP;
    vectors[1] = THREAD_CODE | 1;
    for (unsigned n = 2; n < 48; n++) {
        vectors[n] = HANDLER(n) | 1;
        code(t, HANDLER(n), &loop, 1);
    }
    CHECK_EQ(sim_target_load(t, BASE, (const uint8_t *)vectors, sizeof vectors), SIM_OK);
    code(t, THREAD_CODE, &loop, 1);
    code(t, STUB, &bx_lr, 1);
    dbg_wr32(t, VTOR, BASE);
    CHECK(sim_cpu_load_reset_vector(t, BASE));
}

static void setup(sim_target *t, const char *profile)
{
    CHECK_EQ(sim_target_init(t, profile), SIM_OK);
    populate(t);
}

/* No ARMv6-M profile exists yet: the F103's memory map with a Cortex-M0+ core. */
static sim_profile v6m_profile;

static void setup_v6m(sim_target *t)
{
    CHECK_EQ(sim_target_init(t, "stm32f103"), SIM_OK);
    v6m_profile = *t->profile;
    v6m_profile.core = SIM_CORE_M0P;
    t->profile = &v6m_profile;
    sim_target_reset(t, SIM_RESET_POWER_ON);
    populate(t);
}

static void run(sim_target *t, uint64_t ps)
{
    sim_target_advance(t, ps);
}

static unsigned ipsr(const sim_target *t)
{
    return t->cpu.xpsr & 0x1FF;
}

static void inject(sim_target *t, uint32_t cfsr, uint32_t address, bool valid)
{
    t->cpu.fault.cfsr = cfsr;
    t->cpu.fault.address = address;
    t->cpu.fault.address_valid = valid;
    sim_core_fault(t);
}

/* Runs the handler code at PC = STUB (`bx lr`): an exception return. */
static void return_from_handler(sim_target *t)
{
    t->cpu.r[15] = STUB;
    run(t, 2 * US);
}

/* --- fault routing ------------------------------------------------------------------------------ */

static const struct {
    uint32_t cfsr;
    unsigned exception;
    uint32_t enable;
    bool has_address;
} faults[] = {
    {SIM_CFSR_UNDEFINSTR, 6, USGFAULTENA, false}, {SIM_CFSR_INVSTATE, 6, USGFAULTENA, false},
    {SIM_CFSR_NOCP, 6, USGFAULTENA, false},       {SIM_CFSR_UNALIGNED, 6, USGFAULTENA, false},
    {SIM_CFSR_DIVBYZERO, 6, USGFAULTENA, false},  {SIM_CFSR_PRECISERR, 5, BUSFAULTENA, true},
    {SIM_CFSR_IBUSERR, 5, BUSFAULTENA, false},    {SIM_CFSR_DACCVIOL, 4, MEMFAULTENA, true},
    {SIM_CFSR_IACCVIOL, 4, MEMFAULTENA, false},
};

static void test_configurable_faults_taken_when_enabled(void)
{
    for (unsigned p = 0; p < 3; p++)
        for (unsigned i = 0; i < sizeof faults / sizeof faults[0]; i++) {
            sim_target t;
            setup(&t, v7m_profiles[p]);
            dbg_wr32(&t, SHCSR, faults[i].enable);
            inject(&t, faults[i].cfsr, 0x40001234u, faults[i].has_address);
            CHECK_EQ(ipsr(&t), faults[i].exception);
            CHECK_EQ(t.cpu.r[15], HANDLER(faults[i].exception));
            CHECK_EQ(t.cpu.r[14], 0xFFFFFFF9u); /* thread, MSP, basic frame */
            CHECK_EQ(t.cpu.r[13], STACK_TOP - 0x20);
            CHECK_EQ(dbg_rd32(&t, STACK_TOP - 0x20 + 0x18), THREAD_CODE); /* stacked PC */
            CHECK_EQ(dbg_rd32(&t, HFSR), 0);
            uint32_t cfsr = dbg_rd32(&t, CFSR);
            CHECK(cfsr & faults[i].cfsr);
            if (faults[i].exception == 5) {
                CHECK_EQ(cfsr & SIM_CFSR_BFARVALID, faults[i].has_address ? SIM_CFSR_BFARVALID : 0);
                if (faults[i].has_address) CHECK_EQ(dbg_rd32(&t, BFAR), 0x40001234u);
            }
            if (faults[i].exception == 4) {
                CHECK_EQ(cfsr & SIM_CFSR_MMARVALID, faults[i].has_address ? SIM_CFSR_MMARVALID : 0);
                if (faults[i].has_address) CHECK_EQ(dbg_rd32(&t, MMFAR), 0x40001234u);
            }
            /* SHCSR shows the handler active, with its enable bit */
            uint32_t act = faults[i].exception == 4 ? 1u : faults[i].exception == 5 ? 2u : 8u;
            CHECK_EQ(dbg_rd32(&t, SHCSR), faults[i].enable | act);
            sim_target_free(&t);
        }
}

static void test_configurable_faults_escalate_when_disabled(void)
{
    for (unsigned p = 0; p < 3; p++)
        for (unsigned i = 0; i < sizeof faults / sizeof faults[0]; i++) {
            sim_target t;
            setup(&t, v7m_profiles[p]);
            /* the two other handlers enabled: only its own bit counts */
            dbg_wr32(&t, SHCSR, (USGFAULTENA | BUSFAULTENA | MEMFAULTENA) & ~faults[i].enable);
            inject(&t, faults[i].cfsr, 0x40001234u, faults[i].has_address);
            CHECK_EQ(ipsr(&t), 3);
            CHECK_EQ(t.cpu.r[15], HANDLER(3));
            CHECK_EQ(dbg_rd32(&t, HFSR), FORCED);
            CHECK(dbg_rd32(&t, CFSR) & faults[i].cfsr); /* the cause stays visible */
            sim_target_free(&t);
        }
}

/* A fault without a CFSR bit (a BKPT with no debugger, a vector read) is a HardFault by itself. */
static void test_hardfault_without_cause_and_bkpt(void)
{
    sim_target t;
    setup(&t, "stm32f407");
    inject(&t, 0, 0, false);
    CHECK_EQ(ipsr(&t), 3);
    CHECK_EQ(dbg_rd32(&t, HFSR), 0);
    CHECK_EQ(dbg_rd32(&t, CFSR), 0);
    sim_target_free(&t);

    /* BKPT with halting debug off: HardFault with HFSR.DEBUGEVT */
    setup(&t, "stm32f407");
    const uint16_t bkpt = 0xBE00;
    code(&t, THREAD_CODE, &bkpt, 1);
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 3);
    CHECK_EQ(dbg_rd32(&t, HFSR), DEBUGEVT);
    CHECK_EQ(dbg_rd32(&t, t.cpu.r[13] + 0x18), THREAD_CODE);
    sim_target_free(&t);
}

/* The fault registers as a debugger reads and writes them: byte and halfword views of CFSR,
 * write-one-to-clear, BFAR and MMFAR one register on the M3/M4 and two on the M7. */
static void test_fault_registers_through_the_debugger(void)
{
    for (unsigned p = 0; p < 3; p++) {
        sim_target t;
        setup(&t, v7m_profiles[p]);
        inject(&t, SIM_CFSR_PRECISERR, 0x48000000u, true);
        inject(&t, SIM_CFSR_UNDEFINSTR, 0, false); /* in HardFault: locks up, CFSR still records it */
        CHECK(dbg_rd32(&t, DHCSR) & (1u << 19));
        CHECK_EQ(dbg_rd32(&t, CFSR), SIM_CFSR_PRECISERR | SIM_CFSR_BFARVALID | SIM_CFSR_UNDEFINSTR);
        CHECK_EQ(bus_rd(&t, CFSR + 1, 1, SIM_MASTER_DEBUG), (SIM_CFSR_PRECISERR | SIM_CFSR_BFARVALID) >> 8); /* BFSR */
        CHECK_EQ(bus_rd(&t, CFSR + 2, 2, SIM_MASTER_DEBUG), 1);                                            /* UFSR */
        CHECK_EQ(bus_rd(&t, CFSR, 1, SIM_MASTER_DEBUG), 0);                                                /* MMFSR */
        CHECK_EQ(dbg_rd32(&t, BFAR), 0x48000000u);
        bool shared = p < 2;
        CHECK_EQ(dbg_rd32(&t, MMFAR), shared ? 0x48000000u : 0);
        CHECK_EQ(dbg_rd32(&t, HFSR), FORCED);
        /* write one to clear: a byte write to UFSR clears only what it names */
        CHECK_EQ(sim_bus_write(&t, CFSR + 2, 2, 1, SIM_MASTER_DEBUG), SIM_BUS_OK);
        CHECK_EQ(dbg_rd32(&t, CFSR), SIM_CFSR_PRECISERR | SIM_CFSR_BFARVALID);
        dbg_wr32(&t, CFSR, 0xFFFFFFFFu);
        CHECK_EQ(dbg_rd32(&t, CFSR), 0);
        dbg_wr32(&t, HFSR, FORCED);
        CHECK_EQ(dbg_rd32(&t, HFSR), 0);
        dbg_wr32(&t, MMFAR, 0x1234);
        CHECK_EQ(dbg_rd32(&t, BFAR), shared ? 0x1234u : 0x48000000u);
        sim_target_free(&t);
    }
    /* a MemManage address after a BusFault address on the M4: MMARVALID replaces BFARVALID */
    sim_target t;
    setup(&t, "stm32f407");
    dbg_wr32(&t, SHCSR, BUSFAULTENA | MEMFAULTENA);
    inject(&t, SIM_CFSR_PRECISERR, 0x100, true);
    inject(&t, SIM_CFSR_DACCVIOL, 0x200, true);
    CHECK_EQ(dbg_rd32(&t, CFSR), SIM_CFSR_PRECISERR | SIM_CFSR_DACCVIOL | SIM_CFSR_MMARVALID);
    CHECK_EQ(dbg_rd32(&t, MMFAR), 0x200);
    sim_target_free(&t);
}

/* --- priorities ----------------------------------------------------------------------------------- */

/* An enabled fault whose priority is not above the execution priority escalates. */
static void test_fault_priority_and_lockup(void)
{
    sim_target t;
    setup(&t, "stm32f407");
    dbg_wr32(&t, SHCSR, USGFAULTENA);
    dbg_wr32(&t, SHPR3, 0x40u << 16);      /* PendSV at 0x40 */
    dbg_wr32(&t, 0xE000ED18, 0x80u << 16); /* UsageFault at 0x80 */
    dbg_wr32(&t, ICSR, 1u << 28);          /* PENDSVSET */
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 14);
    inject(&t, SIM_CFSR_UNDEFINSTR, 0, false);
    CHECK_EQ(ipsr(&t), 3);
    CHECK_EQ(dbg_rd32(&t, HFSR), FORCED);
    CHECK_EQ(t.cpu.r[14], 0xFFFFFFF1u); /* from handler mode */
    /* a fault in HardFault locks up */
    inject(&t, SIM_CFSR_UNDEFINSTR, 0, false);
    CHECK(t.core.lockup);
    CHECK_EQ(t.cpu.r[15], 0xFFFFFFFEu);
    CHECK(dbg_rd32(&t, DHCSR) & (1u << 19));
    /* NMI preempts the lockup; its frame holds the lockup address */
    dbg_wr32(&t, ICSR, 1u << 31);
    run(&t, 2 * US);
    CHECK(!t.core.lockup);
    CHECK_EQ(ipsr(&t), 2);
    CHECK_EQ(dbg_rd32(&t, t.cpu.r[13] + 0x18), 0xFFFFFFFEu);
    /* a fault in NMI locks up for good */
    inject(&t, SIM_CFSR_UNDEFINSTR, 0, false);
    dbg_wr32(&t, ICSR, 1u << 31);
    run(&t, 2 * US);
    CHECK(t.core.lockup);
    sim_target_free(&t);

    /* UsageFault above PendSV: it preempts */
    setup(&t, "stm32f407");
    dbg_wr32(&t, SHCSR, USGFAULTENA);
    dbg_wr32(&t, SHPR3, 0x40u << 16);
    dbg_wr32(&t, 0xE000ED18, 0x20u << 16);
    dbg_wr32(&t, ICSR, 1u << 28);
    run(&t, 2 * US);
    inject(&t, SIM_CFSR_UNDEFINSTR, 0, false);
    CHECK_EQ(ipsr(&t), 6);
    CHECK_EQ(dbg_rd32(&t, SHCSR), USGFAULTENA | (1u << 10) | (1u << 3)); /* PENDSVACT, USGFAULTACT */
    sim_target_free(&t);

    /* FAULTMASK: execution priority -1, a fault locks up */
    setup(&t, "stm32f407");
    dbg_wr32(&t, SHCSR, USGFAULTENA);
    t.cpu.faultmask = 1;
    inject(&t, SIM_CFSR_UNDEFINSTR, 0, false);
    CHECK(t.core.lockup);
    sim_target_free(&t);
}

static void enable_irqs(sim_target *t, const uint8_t *priorities, unsigned count)
{
    dbg_wr32(t, ISER0, (1u << count) - 1);
    for (unsigned i = 0; i < count; i++)
        CHECK_EQ(sim_bus_write(t, IPR0 + i, 1, priorities[i], SIM_MASTER_DEBUG), SIM_BUS_OK);
}

static void set_prigroup(sim_target *t, unsigned prigroup)
{
    dbg_wr32(t, AIRCR, 0x05FA0000u | prigroup << 8);
    CHECK_EQ((dbg_rd32(t, AIRCR) >> 8) & 7, prigroup);
}

static void test_priority_grouping(void)
{
    static const uint8_t prio[] = {0x40, 0x50, 0x40};
    /* PRIGROUP 3: the four implemented bits are all group priority: 0x40 preempts 0x50 */
    sim_target t;
    setup(&t, "stm32f407");
    enable_irqs(&t, prio, 3);
    set_prigroup(&t, 3);
    dbg_wr32(&t, ISPR0, 2);
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 17);
    dbg_wr32(&t, ISPR0, 1);
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 16);
    CHECK_EQ(dbg_rd32(&t, 0xE000E300), 3); /* IABR: both active, nested */
    CHECK_EQ(dbg_rd32(&t, ICSR) & (1u << 11), 0); /* RETTOBASE clear: another is active */
    sim_target_free(&t);

    /* PRIGROUP 5: group bits 7:6, 0x40 and 0x50 are one group: no preemption */
    setup(&t, "stm32f407");
    enable_irqs(&t, prio, 3);
    set_prigroup(&t, 5);
    dbg_wr32(&t, ISPR0, 2);
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 17);
    CHECK(dbg_rd32(&t, ICSR) & (1u << 11)); /* RETTOBASE */
    dbg_wr32(&t, ISPR0, 1);
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 17);
    uint32_t icsr = dbg_rd32(&t, ICSR);
    CHECK_EQ((icsr >> 12) & 0x1FF, 16); /* VECTPENDING */
    CHECK(icsr & (1u << 22));           /* ISRPENDING */
    CHECK_EQ(icsr & 0x1FF, 17);         /* VECTACTIVE */
    /* back in thread mode, the pending one runs */
    return_from_handler(&t);
    CHECK_EQ(ipsr(&t), 16);
    sim_target_free(&t);

    /* pending together in one group: the sub-priority decides, then the number */
    setup(&t, "stm32f407");
    enable_irqs(&t, prio, 3);
    set_prigroup(&t, 5);
    dbg_wr32(&t, ISPR0, 6); /* IRQ1 (0x50) and IRQ2 (0x40) */
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 18);
    sim_target_free(&t);
    setup(&t, "stm32f407");
    enable_irqs(&t, prio, 3);
    dbg_wr32(&t, ISPR0, 5); /* IRQ0 and IRQ2, both 0x40 */
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 16);
    sim_target_free(&t);
}

static void test_basepri(void)
{
    static const uint8_t prio[] = {0x40, 0x30};
    sim_target t;
    setup(&t, "stm32f407");
    enable_irqs(&t, prio, 2);
    CHECK(sim_cpu_write_reg(&t, SIM_REG_SPECIAL, 0x40u << 8)); /* BASEPRI 0x40 */
    dbg_wr32(&t, ISPR0, 1);
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 0); /* 0x40 is masked */
    CHECK_EQ((dbg_rd32(&t, ICSR) >> 12) & 0x1FF, 16);
    dbg_wr32(&t, ISPR0, 2);
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 17); /* 0x30 gets through */
    sim_target_free(&t);

    /* lowering BASEPRI (as MSR does, nothing else changing) lets the masked one in */
    setup(&t, "stm32f407");
    enable_irqs(&t, prio, 2);
    t.cpu.basepri = 0x40;
    dbg_wr32(&t, ISPR0, 1);
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 0);
    t.cpu.basepri = 0x50;
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 16);
    sim_target_free(&t);

    /* BASEPRI counts by its group priority: 0x50 with PRIGROUP 5 masks 0x40 */
    setup(&t, "stm32f407");
    enable_irqs(&t, prio, 2);
    CHECK(sim_cpu_write_reg(&t, SIM_REG_SPECIAL, 0x50u << 8));
    dbg_wr32(&t, ISPR0, 1);
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 16);
    sim_target_free(&t);
    setup(&t, "stm32f407");
    enable_irqs(&t, prio, 2);
    set_prigroup(&t, 5);
    CHECK(sim_cpu_write_reg(&t, SIM_REG_SPECIAL, 0x50u << 8));
    dbg_wr32(&t, ISPR0, 1);
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 0);
    /* a configurable fault at or below BASEPRI escalates */
    dbg_wr32(&t, SHCSR, USGFAULTENA);
    dbg_wr32(&t, 0xE000ED18, 0x40u << 16);
    inject(&t, SIM_CFSR_DIVBYZERO, 0, false);
    CHECK_EQ(ipsr(&t), 3);
    CHECK_EQ(dbg_rd32(&t, HFSR), FORCED);
    sim_target_free(&t);
}

static void test_faultmask(void)
{
    static const uint8_t prio[] = {0x00};
    sim_target t;
    setup(&t, "stm32f407");
    enable_irqs(&t, prio, 1);
    CHECK(sim_cpu_write_reg(&t, SIM_REG_SPECIAL, 1u << 16)); /* FAULTMASK */
    dbg_wr32(&t, ISPR0, 1);
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 0); /* priority 0 masked */
    dbg_wr32(&t, ICSR, 1u << 31); /* NMI gets through */
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 2);
    /* returning from NMI keeps FAULTMASK */
    return_from_handler(&t);
    CHECK_EQ(ipsr(&t), 0);
    CHECK_EQ(t.cpu.faultmask, 1);
    /* returning from any other exception clears it */
    t.cpu.faultmask = 0;
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 16);
    t.cpu.faultmask = 1;
    return_from_handler(&t);
    CHECK_EQ(t.cpu.faultmask, 0);
    sim_target_free(&t);
}

static void test_svc_escalates_at_its_priority(void)
{
    sim_target t;
    setup(&t, "stm32f407");
    const uint16_t svc = 0xDF00;
    code(&t, THREAD_CODE, &svc, 1);
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 11);
    CHECK_EQ(dbg_rd32(&t, t.cpu.r[13] + 0x18), THREAD_CODE + 2);
    sim_target_free(&t);

    setup(&t, "stm32f407");
    code(&t, HANDLER(14), &svc, 1);
    dbg_wr32(&t, SHPR2, 0xF0u << 24); /* SVCall 0xF0 */
    dbg_wr32(&t, SHPR3, 0xF0u << 16); /* PendSV 0xF0 */
    dbg_wr32(&t, ICSR, 1u << 28);
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 3);
    CHECK_EQ(dbg_rd32(&t, HFSR), FORCED);
    CHECK_EQ(dbg_rd32(&t, t.cpu.r[13] + 0x18), HANDLER(14) + 2);
    sim_target_free(&t);
}

/* --- faults of exception entry and return --------------------------------------------------------- */

/* PendSV handler: movs r0, #0; subs r0, #11; bx r0 (EXC_RETURN 0xFFFFFFF5: no such return). */
static const uint16_t bad_return[] = {0x2000, 0x380B, 0x4700};

static void test_invpc(void)
{
    for (unsigned enabled = 0; enabled < 2; enabled++) {
        sim_target t;
        setup(&t, "stm32f103");
        if (enabled) dbg_wr32(&t, SHCSR, USGFAULTENA);
        code(&t, HANDLER(14), bad_return, 3);
        dbg_wr32(&t, ICSR, 1u << 28);
        run(&t, 2 * US);
        CHECK_EQ(ipsr(&t), enabled ? 6u : 3u);
        CHECK_EQ(dbg_rd32(&t, CFSR), SIM_CFSR_INVPC);
        CHECK_EQ(dbg_rd32(&t, HFSR), enabled ? 0 : FORCED);
        CHECK_EQ(t.cpu.r[14], 0xFFFFFFF5u); /* LR: the EXC_RETURN that failed */
        CHECK_EQ(t.cpu.r[13], STACK_TOP - 0x20); /* no second frame: PendSV's is still there */
        CHECK_EQ(dbg_rd32(&t, STACK_TOP - 0x20 + 0x18), THREAD_CODE);
        CHECK(!t.core.active[14]); /* PendSV was deactivated */
        sim_target_free(&t);
    }
    /* returning to thread mode while another exception is active (NONBASETHRDENA clear) */
    sim_target t;
    setup(&t, "stm32f407");
    dbg_wr32(&t, SHPR3, 0xF0u << 24);              /* SysTick below PendSV */
    dbg_wr32(&t, SHCSR, USGFAULTENA | (1u << 11)); /* SysTick marked active by the debugger */
    dbg_wr32(&t, ICSR, 1u << 28);
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 14);
    return_from_handler(&t);
    CHECK_EQ(ipsr(&t), 6);
    CHECK_EQ(dbg_rd32(&t, CFSR), SIM_CFSR_INVPC);
    sim_target_free(&t);
    /* with NONBASETHRDENA the same return is allowed */
    setup(&t, "stm32f407");
    dbg_wr32(&t, CCR, dbg_rd32(&t, CCR) | 1);
    dbg_wr32(&t, SHPR3, 0xF0u << 24);
    dbg_wr32(&t, SHCSR, USGFAULTENA | (1u << 11));
    dbg_wr32(&t, ICSR, 1u << 28);
    run(&t, 2 * US);
    return_from_handler(&t);
    CHECK_EQ(ipsr(&t), 0);
    CHECK_EQ(t.cpu.r[15], THREAD_CODE);
    CHECK_EQ(dbg_rd32(&t, CFSR), 0);
    sim_target_free(&t);
}

/* PendSV handler: movs r1, #0x30; lsls r1, r1, #24; mov sp, r1; bx lr: the frame is unreadable. */
static const uint16_t unstack_from_nowhere[] = {0x2130, 0x0609, 0x468D, 0x4770};

static void test_unstkerr(void)
{
    for (unsigned enabled = 0; enabled < 2; enabled++) {
        sim_target t;
        setup(&t, "stm32f407");
        uint32_t v;
        CHECK_EQ(sim_bus_read(&t, UNMAPPED, 4, &v, SIM_MASTER_CPU), SIM_BUS_FAULT);
        if (enabled) dbg_wr32(&t, SHCSR, BUSFAULTENA);
        code(&t, HANDLER(14), unstack_from_nowhere, 4);
        dbg_wr32(&t, ICSR, 1u << 28);
        run(&t, 3 * US);
        CHECK_EQ(ipsr(&t), enabled ? 5u : 3u);
        CHECK_EQ(dbg_rd32(&t, CFSR), SIM_CFSR_UNSTKERR); /* no BFARVALID */
        CHECK_EQ(dbg_rd32(&t, HFSR), enabled ? 0 : FORCED);
        CHECK_EQ(t.cpu.r[14], 0xFFFFFFF9u);
        CHECK_EQ(t.cpu.r[13], UNMAPPED); /* taken without stacking */
        CHECK(!t.core.active[14]);
        sim_target_free(&t);
    }
}

static void test_stkerr(void)
{
    for (unsigned enabled = 0; enabled < 2; enabled++) {
        sim_target t;
        setup(&t, "stm32f407");
        if (enabled) dbg_wr32(&t, SHCSR, BUSFAULTENA);
        dbg_wr32(&t, SHPR3, 0xF0u << 16);
        /* thread mode on a process stack that is not there */
        CHECK(sim_cpu_write_reg(&t, SIM_REG_SPECIAL, 2u << 24));
        CHECK(sim_cpu_write_reg(&t, SIM_REG_PSP, UNMAPPED + 0x100));
        dbg_wr32(&t, ICSR, 1u << 28);
        run(&t, 2 * US);
        CHECK_EQ(ipsr(&t), enabled ? 5u : 3u);
        CHECK_EQ(dbg_rd32(&t, CFSR), SIM_CFSR_STKERR);
        CHECK_EQ(dbg_rd32(&t, HFSR), enabled ? 0 : FORCED);
        CHECK(t.core.active[14]); /* PendSV was entered, then preempted */
        CHECK_EQ(sim_cpu_get_psp(&t.cpu), UNMAPPED + 0x100 - 0x20);
        CHECK_EQ(t.cpu.r[14], 0xFFFFFFF1u);
        CHECK_EQ(dbg_rd32(&t, t.cpu.r[13] + 0x18), HANDLER(14)); /* the fault came before its first instruction */
        CHECK_EQ(dbg_rd32(&t, SHCSR) & (1u << 10), 1u << 10); /* PENDSVACT */
        sim_target_free(&t);
    }
    /* with the main stack gone too, the escalation ends in lockup */
    sim_target t;
    setup(&t, "stm32f407");
    dbg_wr32(&t, SHCSR, BUSFAULTENA);
    CHECK(sim_cpu_write_reg(&t, SIM_REG_MSP, UNMAPPED + 0x100));
    dbg_wr32(&t, ICSR, 1u << 28);
    run(&t, 2 * US);
    CHECK(t.core.lockup);
    CHECK(dbg_rd32(&t, HFSR) & FORCED);
    sim_target_free(&t);
}

static void test_vecttbl(void)
{
    sim_target t;
    setup(&t, "stm32f407");
    /* a table at the end of SRAM: HardFault's vector is in it, IRQ 20's is past the end */
    const uint32_t table = 0x2001FF80u, hardfault = HANDLER(3) | 1;
    CHECK_EQ(sim_target_load(&t, table + 12, (const uint8_t *)&hardfault, 4), SIM_OK);
    dbg_wr32(&t, VTOR, table);
    CHECK_EQ(dbg_rd32(&t, VTOR), table);
    uint32_t v;
    CHECK_EQ(sim_bus_read(&t, table + 4 * 36, 4, &v, SIM_MASTER_CPU), SIM_BUS_FAULT);
    dbg_wr32(&t, ISER0, 1u << 20);
    dbg_wr32(&t, ISPR0, 1u << 20);
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 3);
    CHECK_EQ(dbg_rd32(&t, HFSR), VECTTBL);
    CHECK_EQ(dbg_rd32(&t, CFSR), 0);
    CHECK_EQ(t.cpu.r[13], STACK_TOP - 0x20);
    CHECK_EQ(dbg_rd32(&t, STACK_TOP - 0x20 + 0x18), THREAD_CODE);
    CHECK_EQ(t.cpu.r[14], 0xFFFFFFF9u);
    CHECK(!t.core.active[36]);
    sim_target_free(&t);
}

/* --- stack frames ----------------------------------------------------------------------------------- */

static void test_stkalign(void)
{
    for (unsigned align = 0; align < 2; align++) {
        sim_target t;
        setup(&t, "stm32f103");
        CHECK_EQ(dbg_rd32(&t, CCR), 0x200); /* STKALIGN after reset */
        dbg_wr32(&t, CCR, align ? 0x200 : 0);
        CHECK(sim_cpu_write_reg(&t, SIM_REG_MSP, STACK_TOP - 4));
        dbg_wr32(&t, ICSR, 1u << 28);
        run(&t, 2 * US);
        CHECK_EQ(ipsr(&t), 14);
        uint32_t frame = align ? STACK_TOP - 0x28 : STACK_TOP - 0x24;
        CHECK_EQ(t.cpu.r[13], frame);
        CHECK_EQ(dbg_rd32(&t, frame + 0x1C) & (1u << 9), align ? 1u << 9 : 0);
        return_from_handler(&t);
        CHECK_EQ(ipsr(&t), 0);
        CHECK_EQ(t.cpu.r[13], STACK_TOP - 4);
        sim_target_free(&t);
    }
}

/* EXC_RETURN on a part with the FP extension: bit 4 says which frame. */
static void test_exc_return_values(void)
{
    sim_target t;
    setup(&t, "stm32f407");
    dbg_wr32(&t, ICSR, 1u << 28);
    run(&t, 2 * US);
    CHECK_EQ(t.cpu.r[14], 0xFFFFFFF9u); /* no FP context: basic frame */
    return_from_handler(&t);
    /* on the process stack with an FP context */
    CHECK(sim_cpu_write_reg(&t, SIM_REG_PSP, STACK_TOP - 0x800));
    CHECK(sim_cpu_write_reg(&t, SIM_REG_SPECIAL, 2u << 24));
    t.cpu.control |= CONTROL_FPCA;
    dbg_wr32(&t, ICSR, 1u << 28);
    run(&t, 2 * US);
    CHECK_EQ(t.cpu.r[14], 0xFFFFFFEDu);
    CHECK_EQ(sim_cpu_get_psp(&t.cpu), STACK_TOP - 0x800 - 0x68);
    /* nested, from a handler with an FP context */
    t.cpu.control |= CONTROL_FPCA;
    inject(&t, 0, 0, false);
    CHECK_EQ(t.cpu.r[14], 0xFFFFFFE1u);
    sim_target_free(&t);
    /* on the M3, no FP extension: always the F_ values */
    setup(&t, "stm32f103");
    t.cpu.control |= CONTROL_FPCA; /* not implemented there: ignored */
    dbg_wr32(&t, ICSR, 1u << 28);
    run(&t, 2 * US);
    CHECK_EQ(t.cpu.r[14], 0xFFFFFFF9u);
    CHECK_EQ(t.cpu.r[13], STACK_TOP - 0x20);
    sim_target_free(&t);
}

static void fill_fp(sim_target *t, uint32_t seed)
{
    for (unsigned i = 0; i < 32; i++) t->cpu.s[i] = seed + i * 0x01010101u;
    t->cpu.fpscr = 0xF8000000u; /* the flags */
}

/* Interrupt with CONTROL.FPCA set, FPCCR.ASPEN|LSPEN (the reset value): space reserved,
 * LSPACT set, nothing written until an FP instruction in the handler; the return restores. */
static void test_lazy_fp_stacking(void)
{
    sim_target t;
    setup(&t, "stm32h743");
    CHECK_EQ(dbg_rd32(&t, FPCCR), ASPEN_LSPEN);
    dbg_wr32(&t, CPACR, 0xF << 20);
    dbg_wr32(&t, FPDSCR, 0x03C00000u); /* DN, FZ, RMode = round towards zero */
    fill_fp(&t, 0x11223344u);
    t.cpu.control |= CONTROL_FPCA;
    uint8_t marker[0x68];
    memset(marker, 0xA5, sizeof marker);
    CHECK_EQ(sim_target_load(&t, STACK_TOP - 0x68, marker, sizeof marker), SIM_OK);
    dbg_wr32(&t, ICSR, 1u << 28);
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 14);
    uint32_t frame = STACK_TOP - 0x68;
    CHECK_EQ(t.cpu.r[13], frame);
    CHECK_EQ(t.cpu.r[14], 0xFFFFFFE9u);
    CHECK_EQ(t.cpu.control & CONTROL_FPCA, 0);
    CHECK_EQ(dbg_rd32(&t, FPCAR), frame + 0x20);
    /* LSPACT, THREAD (from thread mode), HFRDY (HardFault could be taken then) */
    CHECK_EQ(dbg_rd32(&t, FPCCR), ASPEN_LSPEN | LSPACT | (1u << 3) | (1u << 4));
    CHECK_EQ(dbg_rd32(&t, frame + 0x18), THREAD_CODE);
    CHECK_EQ(dbg_rd32(&t, frame + 0x20), 0xA5A5A5A5u); /* only reserved */
    CHECK_EQ(dbg_rd32(&t, frame + 0x60), 0xA5A5A5A5u);

    /* the handler's first FP instruction preserves the state, then starts a new context */
    CHECK(sim_exc_fp_used(&t));
    for (unsigned i = 0; i < 16; i++) CHECK_EQ(dbg_rd32(&t, frame + 0x20 + 4 * i), 0x11223344u + i * 0x01010101u);
    CHECK_EQ(dbg_rd32(&t, frame + 0x60), 0xF8000000u);
    CHECK_EQ(dbg_rd32(&t, frame + 0x64), 0xA5A5A5A5u); /* the reserved word */
    CHECK_EQ(dbg_rd32(&t, FPCCR) & LSPACT, 0);
    CHECK(t.cpu.control & CONTROL_FPCA);
    CHECK_EQ(t.cpu.fpscr, 0xFBC00000u); /* flags kept, FPDSCR's modes taken */
    /* a second FP instruction preserves nothing more */
    fill_fp(&t, 0x55000000u);
    CHECK(sim_exc_fp_used(&t));
    CHECK_EQ(dbg_rd32(&t, frame + 0x20), 0x11223344u);

    /* the return restores S0-S15 and FPSCR from the frame; S16-S31 are the callee's */
    return_from_handler(&t);
    CHECK_EQ(ipsr(&t), 0);
    CHECK_EQ(t.cpu.r[13], STACK_TOP);
    CHECK_EQ(t.cpu.r[15], THREAD_CODE);
    for (unsigned i = 0; i < 16; i++) CHECK_EQ(t.cpu.s[i], 0x11223344u + i * 0x01010101u);
    CHECK_EQ(t.cpu.s[16], 0x55000000u + 16 * 0x01010101u);
    CHECK_EQ(t.cpu.fpscr, 0xF8000000u);
    CHECK(t.cpu.control & CONTROL_FPCA);
    sim_target_free(&t);
}

/* The handler uses no FP: the return finds LSPACT set, clears it, and leaves the registers. */
static void test_lazy_fp_unused(void)
{
    sim_target t;
    setup(&t, "stm32f407");
    fill_fp(&t, 0x1000u);
    t.cpu.control |= CONTROL_FPCA;
    uint8_t marker[0x68];
    memset(marker, 0x5A, sizeof marker);
    CHECK_EQ(sim_target_load(&t, STACK_TOP - 0x68, marker, sizeof marker), SIM_OK);
    dbg_wr32(&t, ICSR, 1u << 28);
    run(&t, 2 * US);
    CHECK(dbg_rd32(&t, FPCCR) & LSPACT);
    return_from_handler(&t);
    CHECK_EQ(dbg_rd32(&t, FPCCR) & LSPACT, 0);
    CHECK_EQ(t.cpu.r[13], STACK_TOP);
    CHECK_EQ(t.cpu.s[0], 0x1000u); /* not loaded from the never-written frame */
    CHECK_EQ(t.cpu.s[15], 0x1000u + 15 * 0x01010101u);
    CHECK(t.cpu.control & CONTROL_FPCA);
    sim_target_free(&t);
}

/* LSPEN clear: the FP state goes on the stack at entry; an unaligned SP is realigned. */
static void test_eager_fp_stacking(void)
{
    sim_target t;
    setup(&t, "stm32f407");
    dbg_wr32(&t, FPCCR, 0x80000000u); /* ASPEN only */
    fill_fp(&t, 0x3F800000u);
    t.cpu.control |= CONTROL_FPCA;
    CHECK(sim_cpu_write_reg(&t, SIM_REG_MSP, STACK_TOP - 4));
    dbg_wr32(&t, ICSR, 1u << 28);
    run(&t, 2 * US);
    uint32_t frame = STACK_TOP - 4 - 0x68 - 4;
    CHECK_EQ(t.cpu.r[13], frame);
    CHECK_EQ(t.cpu.r[14], 0xFFFFFFE9u);
    CHECK_EQ(dbg_rd32(&t, frame + 0x1C) & (1u << 9), 1u << 9);
    for (unsigned i = 0; i < 16; i++) CHECK_EQ(dbg_rd32(&t, frame + 0x20 + 4 * i), 0x3F800000u + i * 0x01010101u);
    CHECK_EQ(dbg_rd32(&t, frame + 0x60), 0xF8000000u);
    CHECK_EQ(dbg_rd32(&t, FPCCR), 0x80000000u); /* no LSPACT */
    /* the handler changes the registers; the return brings the thread's back */
    fill_fp(&t, 0);
    t.cpu.fpscr = 0;
    CHECK(sim_exc_fp_used(&t)); /* ASPEN: a new context in the handler */
    return_from_handler(&t);
    CHECK_EQ(t.cpu.r[13], STACK_TOP - 4);
    CHECK_EQ(t.cpu.s[3], 0x3F800000u + 3 * 0x01010101u);
    CHECK_EQ(t.cpu.fpscr, 0xF8000000u);
    sim_target_free(&t);
}

/* ASPEN clear: an FP instruction does not mark a context; no extended frame follows. */
static void test_fp_used_without_aspen(void)
{
    sim_target t;
    setup(&t, "stm32f407");
    dbg_wr32(&t, FPCCR, 0);
    CHECK(sim_exc_fp_used(&t));
    CHECK_EQ(t.cpu.control & CONTROL_FPCA, 0);
    dbg_wr32(&t, FPCCR, ASPEN_LSPEN);
    CHECK(sim_exc_fp_used(&t));
    CHECK(t.cpu.control & CONTROL_FPCA);
    sim_target_free(&t);
}

/* Lazy preservation into memory that is gone: LSPERR, and the instruction does not run. */
static void test_lazy_preservation_fault(void)
{
    sim_target t;
    setup(&t, "stm32f407");
    dbg_wr32(&t, SHCSR, BUSFAULTENA);
    dbg_wr32(&t, FPCCR, ASPEN_LSPEN | LSPACT);
    dbg_wr32(&t, FPCAR, UNMAPPED);
    CHECK(!sim_exc_fp_used(&t));
    CHECK_EQ(t.cpu.fault.cfsr, SIM_CFSR_LSPERR);
    CHECK(dbg_rd32(&t, FPCCR) & LSPACT);
    sim_core_fault(&t);
    CHECK_EQ(ipsr(&t), 5);
    CHECK_EQ(dbg_rd32(&t, CFSR), SIM_CFSR_LSPERR);
    sim_target_free(&t);
}

/* --- vector catch, registers ------------------------------------------------------------------------ */

static void test_vector_catch(void)
{
    static const struct {
        uint32_t demcr, shcsr, cfsr;
        bool halts;
        unsigned handler;
    } cases[] = {
        {1u << 8, BUSFAULTENA, SIM_CFSR_PRECISERR, true, 5},  /* VC_BUSERR */
        {1u << 8, 0, SIM_CFSR_PRECISERR, true, 3},            /* escalated, still a bus error */
        {1u << 10, 0, SIM_CFSR_UNDEFINSTR, true, 3},          /* VC_HARDERR */
        {1u << 10, USGFAULTENA, SIM_CFSR_UNDEFINSTR, false, 6},
        {1u << 7, USGFAULTENA, SIM_CFSR_INVSTATE, true, 6},   /* VC_STATERR */
        {1u << 6, USGFAULTENA, SIM_CFSR_DIVBYZERO, true, 6},  /* VC_CHKERR */
        {1u << 6, USGFAULTENA, SIM_CFSR_UNDEFINSTR, false, 6},
        {1u << 5, USGFAULTENA, SIM_CFSR_NOCP, true, 6},       /* VC_NOCPERR */
        {1u << 4, MEMFAULTENA, SIM_CFSR_DACCVIOL, true, 4},   /* VC_MMERR */
        {1u << 9, BUSFAULTENA, SIM_CFSR_STKERR, true, 5},     /* VC_INTERR */
        {0x7F0u, BUSFAULTENA, 0, true, 3},
        {0, BUSFAULTENA, SIM_CFSR_PRECISERR, false, 5},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_target t;
        setup(&t, "stm32f407");
        dbg_wr32(&t, DHCSR, KEY | 1);
        dbg_wr32(&t, DEMCR, cases[i].demcr);
        dbg_wr32(&t, SHCSR, cases[i].shcsr);
        inject(&t, cases[i].cfsr, 0x40000000u, cases[i].cfsr == SIM_CFSR_PRECISERR);
        CHECK_EQ(ipsr(&t), cases[i].handler);
        CHECK_EQ(t.cpu.r[15], HANDLER(cases[i].handler));
        CHECK_EQ((dbg_rd32(&t, DHCSR) >> 17) & 1, cases[i].halts);
        CHECK_EQ((dbg_rd32(&t, DFSR) >> 3) & 1, cases[i].halts);
        sim_target_free(&t);
    }
    /* without C_DEBUGEN there is no catch */
    sim_target t;
    setup(&t, "stm32f407");
    dbg_wr32(&t, DEMCR, 0x7F0u);
    inject(&t, 0, 0, false);
    CHECK(!(dbg_rd32(&t, DHCSR) & (1u << 17)));
    sim_target_free(&t);
}

static void test_scb_registers(void)
{
    static const uint32_t ccr_reset[] = {0x200, 0x200, 0x40200};
    static const uint32_t vtor_mask[] = {0x3FFFFF80u, 0xFFFFFF80u, 0xFFFFFF80u};
    for (unsigned p = 0; p < 3; p++) {
        sim_target t;
        setup(&t, v7m_profiles[p]);
        bool fpu = p > 0;
        CHECK_EQ(dbg_rd32(&t, CCR), ccr_reset[p]);
        dbg_wr32(&t, CCR, 0xFFFFFFFFu);
        CHECK_EQ(dbg_rd32(&t, CCR), p == 2 ? 0x7031Bu : 0x31Bu);
        dbg_wr32(&t, CCR, 0);
        CHECK_EQ(dbg_rd32(&t, CCR), p == 2 ? 0x40000u : 0);
        dbg_wr32(&t, VTOR, 0xFFFFFFFFu);
        CHECK_EQ(dbg_rd32(&t, VTOR), vtor_mask[p]);
        CHECK_EQ(dbg_rd32(&t, FPCCR), fpu ? ASPEN_LSPEN : 0);
        dbg_wr32(&t, CPACR, 0xFFFFFFFFu);
        CHECK_EQ(dbg_rd32(&t, CPACR), fpu ? 0x00F00000u : 0);
        dbg_wr32(&t, FPDSCR, 0xFFFFFFFFu);
        CHECK_EQ(dbg_rd32(&t, FPDSCR), fpu ? 0x07C00000u : 0);
        dbg_wr32(&t, FPCAR, 0x20001237u);
        CHECK_EQ(dbg_rd32(&t, FPCAR), fpu ? 0x20001230u : 0);
        /* AIRCR: PRIGROUP needs the key; VECTKEYSTAT reads 0xFA05 */
        dbg_wr32(&t, AIRCR, 0x00000500u);
        CHECK_EQ(dbg_rd32(&t, AIRCR), 0xFA050000u);
        dbg_wr32(&t, AIRCR, 0x05FA0500u);
        CHECK_EQ(dbg_rd32(&t, AIRCR), 0xFA050500u);
        /* SHCSR: enables and the pending/active state, as debuggers show it */
        dbg_wr32(&t, SHCSR, 0x70000u | (1u << 15));
        CHECK_EQ(dbg_rd32(&t, SHCSR), 0x70000u | (1u << 15)); /* SVCALLPENDED */
        CHECK(t.core.pending[11]);
        dbg_wr32(&t, SHCSR, 0);
        CHECK(!t.core.pending[11]);
        /* ICSR: PendSV and SysTick set/clear */
        dbg_wr32(&t, ICSR, (1u << 28) | (1u << 26));
        uint32_t icsr = dbg_rd32(&t, ICSR);
        CHECK_EQ(icsr & ((1u << 28) | (1u << 26)), (1u << 28) | (1u << 26));
        CHECK_EQ((icsr >> 12) & 0x1FF, 14); /* same priority: the lower number goes first */
        dbg_wr32(&t, ICSR, (1u << 27) | (1u << 25));
        CHECK_EQ(dbg_rd32(&t, ICSR) & ((1u << 28) | (1u << 26)), 0);
        /* VECTRESET: a core reset brings the SCB back to its reset values */
        uint32_t resets = t.reset_count;
        dbg_wr32(&t, CCR, 0x18);
        dbg_wr32(&t, AIRCR, 0x05FA0001u);
        CHECK_EQ(t.reset_count, resets + 1);
        CHECK_EQ(dbg_rd32(&t, AIRCR), 0xFA050000u);
        CHECK_EQ(dbg_rd32(&t, CCR), ccr_reset[p]);
        sim_target_free(&t);
    }
}

/* STIR: a software interrupt trigger; unprivileged software reaches it only with USERSETMPEND,
 * and any other SCS register not at all. */
static void test_stir_and_unprivileged_access(void)
{
    /* thread code: str r1, [r0]; b . (r0 = STIR, r1 = 3) */
    static const uint16_t store[] = {0x6001, 0xE7FE};
    for (unsigned allowed = 0; allowed < 2; allowed++) {
        sim_target t;
        setup(&t, "stm32f407");
        code(&t, THREAD_CODE, store, 2);
        dbg_wr32(&t, ISER0, 0);
        if (allowed) dbg_wr32(&t, CCR, dbg_rd32(&t, CCR) | 2);
        CHECK(sim_cpu_write_reg(&t, SIM_REG_SPECIAL, 1u << 24)); /* nPRIV */
        t.cpu.r[0] = STIR;
        t.cpu.r[1] = 3;
        run(&t, 2 * US);
        CHECK_EQ(dbg_rd32(&t, ISPR0), allowed ? 8u : 0);
        CHECK_EQ(ipsr(&t), allowed ? 0u : 3u); /* refused: the store faults */
        sim_target_free(&t);
    }
    sim_target t;
    setup(&t, "stm32f407");
    dbg_wr32(&t, STIR, 5);
    CHECK_EQ(dbg_rd32(&t, ISPR0), 1u << 5);
    CHECK(sim_cpu_write_reg(&t, SIM_REG_SPECIAL, 1u << 24));
    uint32_t v;
    CHECK_EQ(sim_bus_read(&t, CCR, 4, &v, SIM_MASTER_CPU), SIM_BUS_FAULT);
    CHECK_EQ(sim_bus_read(&t, CCR, 4, &v, SIM_MASTER_DEBUG), SIM_BUS_OK); /* the debugger always */
    sim_target_free(&t);
}

static void test_sleep_on_exit(void)
{
    sim_target t;
    setup(&t, "stm32f407");
    dbg_wr32(&t, SCR, 2);
    dbg_wr32(&t, ICSR, 1u << 28);
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 14);
    return_from_handler(&t);
    CHECK_EQ(ipsr(&t), 0);
    CHECK(dbg_rd32(&t, DHCSR) & (1u << 18)); /* S_SLEEP */
    sim_target_free(&t);
}


/* ARMv6-M keeps its own model: every fault a HardFault, no fault status registers, no
 * PRIGROUP, BASEPRI or FAULTMASK, two priority bits, a fixed CCR. */
static void test_v6m_profile_keeps_the_v6m_model(void)
{
    sim_target t;
    setup_v6m(&t);
    CHECK_EQ(sim_profile_isa(t.profile), SIM_ISA_V6M);
    CHECK_EQ(dbg_rd32(&t, CCR), 0x208);
    dbg_wr32(&t, CCR, 0x18);
    CHECK_EQ(dbg_rd32(&t, CCR), 0x208);
    dbg_wr32(&t, AIRCR, 0x05FA0500u);
    CHECK_EQ(dbg_rd32(&t, AIRCR), 0xFA050000u);
    CHECK_EQ(sim_bus_write(&t, IPR0, 1, 0xFF, SIM_MASTER_DEBUG), SIM_BUS_OK);
    CHECK_EQ(dbg_rd32(&t, IPR0) & 0xFF, 0xC0);
    dbg_wr32(&t, SHCSR, USGFAULTENA | BUSFAULTENA | MEMFAULTENA);
    CHECK_EQ(dbg_rd32(&t, SHCSR), 0);
    inject(&t, SIM_CFSR_PRECISERR, 0x30000000u, true);
    CHECK_EQ(ipsr(&t), 3);
    CHECK_EQ(dbg_rd32(&t, CFSR), 0);
    CHECK_EQ(dbg_rd32(&t, HFSR), 0);
    CHECK_EQ(dbg_rd32(&t, BFAR), 0);
    inject(&t, SIM_CFSR_UNDEFINSTR, 0, false);
    CHECK(t.core.lockup);
    sim_target_free(&t);

    /* BASEPRI does not exist: an interrupt at any priority is taken */
    setup_v6m(&t);
    dbg_wr32(&t, ISER0, 1);
    t.cpu.basepri = 0x40;
    CHECK_EQ(sim_bus_write(&t, IPR0, 1, 0x80, SIM_MASTER_DEBUG), SIM_BUS_OK);
    dbg_wr32(&t, ISPR0, 1);
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 16);
    /* an invalid EXC_RETURN is the executor's HardFault */
    code(&t, HANDLER(16), bad_return, 3);
    t.cpu.r[15] = HANDLER(16);
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 3);
    CHECK_EQ(dbg_rd32(&t, CFSR), 0);
    sim_target_free(&t);
}


/* WFI wakes for an interrupt that would preempt were PRIMASK clear, without taking it (the
 * cpsid i; wfi idiom); WFE wakes for a newly pending interrupt, even disabled, with
 * SCR.SEVONPEND. */
static void test_wfi_wfe_wake_up(void)
{
    static const uint16_t wfi_masked[] = {0xB672, 0xBF30, 0x3001, 0xE7FE}; /* cpsid i; wfi; adds r0, #1; b . */
    static const uint16_t wfe[] = {0xBF20, 0x3001, 0xE7FE};                /* wfe; adds r0, #1; b . */
    sim_target t;
    setup(&t, "stm32f407");
    code(&t, THREAD_CODE, wfi_masked, 4);
    t.cpu.r[0] = 0;
    dbg_wr32(&t, ISER0, 1);
    run(&t, 2 * US);
    CHECK(dbg_rd32(&t, DHCSR) & (1u << 18)); /* S_SLEEP */
    dbg_wr32(&t, ISPR0, 1);
    run(&t, 2 * US);
    CHECK(!(dbg_rd32(&t, DHCSR) & (1u << 18)));
    CHECK_EQ(t.cpu.r[0], 1);
    CHECK_EQ(ipsr(&t), 0); /* PRIMASK: not taken */
    CHECK_EQ(t.cpu.r[15], THREAD_CODE + 6);
    sim_target_free(&t);

    for (unsigned sevonpend = 0; sevonpend < 2; sevonpend++) {
        setup(&t, "stm32f407");
        code(&t, THREAD_CODE, wfe, 3);
        t.cpu.r[0] = 0;
        t.cpu.event = false;
        if (sevonpend) dbg_wr32(&t, SCR, 1u << 4);
        run(&t, 2 * US);
        CHECK(dbg_rd32(&t, DHCSR) & (1u << 18));
        dbg_wr32(&t, ISPR0, 1); /* IRQ 0 is not enabled */
        run(&t, 2 * US);
        CHECK_EQ(t.cpu.r[0], sevonpend);
        CHECK_EQ((dbg_rd32(&t, DHCSR) >> 18) & 1, !sevonpend);
        CHECK_EQ(ipsr(&t), 0);
        sim_target_free(&t);
    }
}

/* --- faults raised by the executor -------------------------------------------------------------------- */

/* Each program runs in thread mode from THREAD_CODE with r1, r2 preset; the handler is taken
 * with the CFSR bits and address the architecture defines, at the faulting instruction. */
static const struct {
    const char *what;
    uint16_t insns[3];
    uint32_t r1, r2, ccr_set;
    uint32_t cfsr, bfar;
    unsigned exception;
    uint32_t stacked_pc; /* offset from THREAD_CODE */
} programs[] = {
    {"udf #0", {0xDE00, 0xE7FE}, 0, 0, 0, SIM_CFSR_UNDEFINSTR, 0, 6, 0},
    {"ldr r0, [r1] (unmapped)", {0x6808, 0xE7FE}, UNMAPPED + 0x10, 0, 0,
     SIM_CFSR_PRECISERR | SIM_CFSR_BFARVALID, UNMAPPED + 0x10, 5, 0},
    {"str r0, [r1] (unmapped)", {0x6008, 0xE7FE}, UNMAPPED + 0x20, 0, 0,
     SIM_CFSR_PRECISERR | SIM_CFSR_BFARVALID, UNMAPPED + 0x20, 5, 0},
    {"bx r1 (even)", {0x4708, 0xE7FE}, THREAD_CODE + 0x10, 0, 0, SIM_CFSR_INVSTATE, 0, 6, 0x10},
    {"sdiv r0, r1, r2 (by zero, DIV_0_TRP)", {0xFB91, 0xF0F2, 0xE7FE}, 7, 0, SIM_CCR_DIV_0_TRP,
     SIM_CFSR_DIVBYZERO, 0, 6, 0},
    {"ldm r1!, {r0} (unaligned)", {0xC901, 0xE7FE}, BASE + 0x1002, 0, 0, SIM_CFSR_UNALIGNED, 0, 6, 0},
    {"ldr r0, [r1] (unaligned, UNALIGN_TRP)", {0x6808, 0xE7FE}, BASE + 0x1001, 0, SIM_CCR_UNALIGN_TRP,
     SIM_CFSR_UNALIGNED, 0, 6, 0},
    {"vadd.f32 s0, s0, s0 (CPACR off)", {0xEE30, 0x0A00, 0xE7FE}, 0, 0, 0, SIM_CFSR_NOCP, 0, 6, 0},
};

static void test_faults_from_code(void)
{
    for (unsigned i = 0; i < sizeof programs / sizeof programs[0]; i++)
        for (unsigned enabled = 0; enabled < 2; enabled++) {
            sim_target t;
            setup(&t, "stm32f407");
            code(&t, THREAD_CODE, programs[i].insns, 3);
            dbg_wr32(&t, CCR, dbg_rd32(&t, CCR) | programs[i].ccr_set);
            if (enabled) dbg_wr32(&t, SHCSR, USGFAULTENA | BUSFAULTENA | MEMFAULTENA);
            t.cpu.r[1] = programs[i].r1;
            t.cpu.r[2] = programs[i].r2;
            run(&t, 2 * US);
            unsigned expected = enabled ? programs[i].exception : 3;
            if (ipsr(&t) != expected) fprintf(stderr, "  %s\n", programs[i].what);
            CHECK_EQ(ipsr(&t), expected);
            CHECK_EQ(t.cpu.r[15], HANDLER(expected));
            CHECK_EQ(dbg_rd32(&t, CFSR), programs[i].cfsr);
            CHECK_EQ(dbg_rd32(&t, HFSR), enabled ? 0 : FORCED);
            if (programs[i].cfsr & SIM_CFSR_BFARVALID) CHECK_EQ(dbg_rd32(&t, BFAR), programs[i].bfar);
            CHECK_EQ(dbg_rd32(&t, t.cpu.r[13] + 0x18), THREAD_CODE + programs[i].stacked_pc);
            sim_target_free(&t);
        }
    /* the same instructions without the traps run */
    sim_target t;
    setup(&t, "stm32f407");
    code(&t, THREAD_CODE, programs[4].insns, 3);
    t.cpu.r[0] = 5;
    t.cpu.r[1] = 7;
    t.cpu.r[2] = 0;
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 0);
    CHECK_EQ(t.cpu.r[0], 0); /* division by zero gives 0 */
    CHECK_EQ(dbg_rd32(&t, CFSR), 0);
    sim_target_free(&t);
}


/* Exception entry clears the local exclusive monitor: a STREX after an interrupt fails. */
static void test_exclusive_monitor_cleared_by_exceptions(void)
{
    static const uint16_t ldrex[] = {0xE851, 0x0F00, 0xE7FE};        /* ldrex r0, [r1]; b . */
    static const uint16_t strex[] = {0xE841, 0x0200, 0xE7FE};        /* strex r2, r0, [r1]; b . */
    for (unsigned interrupted = 0; interrupted < 2; interrupted++) {
        sim_target t;
        setup(&t, "stm32f407");
        code(&t, THREAD_CODE, ldrex, 3);
        code(&t, THREAD_CODE + 0x20, strex, 3);
        t.cpu.r[1] = BASE + 0x1000;
        run(&t, 2 * US);
        if (interrupted) {
            code(&t, HANDLER(14), (const uint16_t[]){0x4770}, 1); /* bx lr */
            dbg_wr32(&t, ICSR, 1u << 28);
            run(&t, 2 * US);
            CHECK_EQ(ipsr(&t), 0);
        }
        t.cpu.r[15] = THREAD_CODE + 0x20;
        t.cpu.r[2] = 0xFF;
        run(&t, 2 * US);
        CHECK_EQ(t.cpu.r[2], interrupted); /* 1: the store did not happen */
        sim_target_free(&t);
    }
}


/* The xPSR across entry and return: the flags, Q and GE stay (APSR is UNKNOWN in the handler;
 * silicon, QEMU and Unicorn leave it), the IT state is cleared; the frame holds all of it and
 * the return brings it back. */
static void test_xpsr_across_entry_and_return(void)
{
    sim_target t;
    setup(&t, "stm32f407");
    uint32_t thread_xpsr = 0xA8000000u | XPSR_T | 0x00050000u; /* N, C, Q, GE 0b0101 */
    t.cpu.xpsr = thread_xpsr;
    dbg_wr32(&t, ICSR, 1u << 28);
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 14);
    CHECK_EQ(t.cpu.xpsr, thread_xpsr | 14);
    CHECK_EQ(dbg_rd32(&t, t.cpu.r[13] + 0x1C), thread_xpsr);
    /* a frame holding an IT state (ITSTATE 0x08: one instruction left, EQ) is restored whole */
    uint32_t with_it = thread_xpsr | (0x2u << 10);
    dbg_wr32(&t, t.cpu.r[13] + 0x1C, with_it);
    t.cpu.xpsr &= ~0xF8000000u; /* the handler changes the flags */
    CHECK(sim_exc_return(&t, t.cpu.r[14]));
    CHECK_EQ(t.cpu.xpsr, with_it);
    CHECK_EQ(t.cpu.r[15], THREAD_CODE);
    sim_target_free(&t);
    /* entering with an IT state clears it */
    setup(&t, "stm32f407");
    t.cpu.xpsr = XPSR_T | (0x2u << 10) | (0x1u << 25);
    inject(&t, 0, 0, false);
    CHECK_EQ(t.cpu.xpsr, XPSR_T | 3);
    CHECK_EQ(dbg_rd32(&t, t.cpu.r[13] + 0x1C), XPSR_T | (0x2u << 10) | (0x1u << 25));
    sim_target_free(&t);
}


/* The NVIC has as many interrupt lines as the part: 64 on the F103, 96 on the F407, 160 on the
 * H743 (150 interrupts, the highest at IRQ 149). */
static void test_interrupt_lines_per_part(void)
{
    static const uint32_t ictr[] = {1, 2, 4};
    for (unsigned p = 0; p < 3; p++) {
        sim_target t;
        setup(&t, v7m_profiles[p]);
        CHECK_EQ(dbg_rd32(&t, 0xE000E004), ictr[p]);
        dbg_wr32(&t, ISER0 + 4 * 4, 1u << 21); /* IRQ 149 */
        CHECK_EQ(dbg_rd32(&t, ISER0 + 4 * 4), p == 2 ? 1u << 21 : 0);
        sim_target_free(&t);
    }
    sim_target t;
    setup(&t, "stm32h743");
    const uint32_t vector = HANDLER(20) | 1;
    CHECK_EQ(sim_target_load(&t, BASE + 4 * (16 + 149), (const uint8_t *)&vector, 4), SIM_OK);
    dbg_wr32(&t, ISER0 + 4 * 4, 1u << 21);
    dbg_wr32(&t, 0xE000EF00, 149); /* STIR */
    run(&t, 2 * US);
    CHECK_EQ(ipsr(&t), 16 + 149);
    CHECK_EQ(t.cpu.r[15], HANDLER(20));
    sim_target_free(&t);
}

int main(void)
{
    RUN(test_configurable_faults_taken_when_enabled);
    RUN(test_configurable_faults_escalate_when_disabled);
    RUN(test_hardfault_without_cause_and_bkpt);
    RUN(test_fault_registers_through_the_debugger);
    RUN(test_fault_priority_and_lockup);
    RUN(test_priority_grouping);
    RUN(test_basepri);
    RUN(test_faultmask);
    RUN(test_svc_escalates_at_its_priority);
    RUN(test_invpc);
    RUN(test_unstkerr);
    RUN(test_stkerr);
    RUN(test_vecttbl);
    RUN(test_stkalign);
    RUN(test_exc_return_values);
    RUN(test_xpsr_across_entry_and_return);
    RUN(test_lazy_fp_stacking);
    RUN(test_lazy_fp_unused);
    RUN(test_eager_fp_stacking);
    RUN(test_fp_used_without_aspen);
    RUN(test_lazy_preservation_fault);
    RUN(test_vector_catch);
    RUN(test_scb_registers);
    RUN(test_stir_and_unprivileged_access);
    RUN(test_sleep_on_exit);
    RUN(test_wfi_wfe_wake_up);
    RUN(test_v6m_profile_keeps_the_v6m_model);
    RUN(test_faults_from_code);
    RUN(test_interrupt_lines_per_part);
    RUN(test_exclusive_monitor_cleared_by_exceptions);
    return CHECK_SUMMARY();
}
