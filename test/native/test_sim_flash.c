/* The simulated flash controllers (F1, F4/F7, H7, G0/L4), driven through the bus as a debugger's flash driver drives them
 * (the core's flash drivers over the debug link: test_flash.c). */
#include "check.h"
#include "sim_target.h"

#define US 1000000ull   /* picoseconds */
#define MS 1000000000ull

static sim_target t;

static uint32_t rd(uint32_t addr)
{
    uint32_t v = 0xDEADBEEF;
    CHECK_EQ(sim_bus_read(&t, addr, 4, &v, SIM_MASTER_DEBUG), SIM_BUS_OK);
    return v;
}

static sim_bus_status wr(uint32_t addr, uint32_t value)
{
    return sim_bus_write(&t, addr, 4, value, SIM_MASTER_DEBUG);
}

static sim_bus_status wr16(uint32_t addr, uint32_t value)
{
    return sim_bus_write(&t, addr, 2, value, SIM_MASTER_DEBUG);
}

/* Advances virtual time until the status register's busy bit clears; returns the time taken. */
static uint64_t wait_idle(uint32_t sr, uint32_t busy_bits, uint64_t step)
{
    uint64_t start = t.now_ps;
    for (int i = 0; i < 100000 && (rd(sr) & busy_bits); i++) sim_target_advance(&t, step);
    return t.now_ps - start;
}

/* ---------------------------------------------------------------- STM32F1 (RM0008 / PM0075) */
#define F1 0x40022000u
#define F1_SR (F1 + 0x0C)
#define F1_CR (F1 + 0x10)
#define F1_AR (F1 + 0x14)

static void f1_unlock(void)
{
    CHECK_EQ(wr(F1 + 4, 0x45670123), SIM_BUS_OK);
    CHECK_EQ(wr(F1 + 4, 0xCDEF89AB), SIM_BUS_OK);
    CHECK_EQ(rd(F1_CR) & 0x80, 0);
}

static void test_f1_lock_and_keys(void)
{
    CHECK_EQ(sim_target_init(&t, "stm32f103"), SIM_OK);
    CHECK(rd(F1_CR) & 0x80); /* LOCK after reset */
    CHECK_EQ(wr(F1_CR, 1), SIM_BUS_OK);
    CHECK_EQ(rd(F1_CR) & 1, 0);                               /* CR ignored while locked */
    CHECK_EQ(wr16(0x08000000, 0x1234), SIM_BUS_FAULT);        /* PG not set */
    f1_unlock();
    CHECK_EQ(wr(F1_CR, 0x80), SIM_BUS_OK);                    /* LOCK again */
    CHECK(rd(F1_CR) & 0x80);
    CHECK_EQ(wr(F1 + 4, 0x11111111), SIM_BUS_FAULT);          /* a wrong key */
    CHECK_EQ(wr(F1 + 4, 0x45670123), SIM_BUS_FAULT);          /* locked until reset */
    CHECK(rd(F1_CR) & 0x80);
    sim_target_reset(&t, SIM_RESET_SYSTEM);
    f1_unlock();
    sim_target_free(&t);
}

static void test_f1_program_erase_and_errors(void)
{
    CHECK_EQ(sim_target_init(&t, "stm32f103"), SIM_OK);
    f1_unlock();
    CHECK_EQ(wr(F1_CR, 1), SIM_BUS_OK); /* PG */
    CHECK_EQ(wr16(0x08000400, 0xBEEF), SIM_BUS_OK);
    CHECK(rd(F1_SR) & 1); /* BSY */
    uint64_t took = wait_idle(F1_SR, 1, 1 * US);
    CHECK(took >= 52 * US && took <= 54 * US);
    CHECK(rd(F1_SR) & 0x20); /* EOP */
    CHECK_EQ(wr(F1_SR, 0x20), SIM_BUS_OK);
    CHECK_EQ(rd(F1_SR) & 0x20, 0);
    CHECK_EQ(rd(0x08000400) & 0xFFFF, 0xBEEF);
    CHECK_EQ(rd(0x00000400) & 0xFFFF, 0xBEEF); /* the boot alias */
    /* only half-words program */
    CHECK_EQ(wr(0x08000404, 0x12345678), SIM_BUS_FAULT);
    CHECK_EQ(sim_bus_write(&t, 0x08000404, 1, 0x12, SIM_MASTER_DEBUG), SIM_BUS_FAULT);
    /* a non-erased half-word: PGERR and nothing changes; 0x0000 is allowed */
    wait_idle(F1_SR, 1, 1 * US);
    CHECK_EQ(wr16(0x08000400, 0x1111), SIM_BUS_OK);
    CHECK(rd(F1_SR) & 0x04);
    CHECK_EQ(rd(0x08000400) & 0xFFFF, 0xBEEF);
    CHECK_EQ(wr(F1_SR, 0x04), SIM_BUS_OK);
    CHECK_EQ(wr16(0x08000400, 0x0000), SIM_BUS_OK);
    CHECK_EQ(rd(F1_SR) & 0x04, 0);
    CHECK_EQ(rd(0x08000400) & 0xFFFF, 0);
    wait_idle(F1_SR, 1, 1 * US);
    /* page erase: that 1 KiB page only */
    CHECK_EQ(wr16(0x08000800, 0xAAAA), SIM_BUS_OK);
    CHECK_EQ(wr16(0x080003FE, 0x5555), SIM_BUS_OK);
    wait_idle(F1_SR, 1, 1 * US);
    CHECK_EQ(wr(F1_CR, 2), SIM_BUS_OK);   /* PER */
    CHECK_EQ(wr(F1_AR, 0x08000400), SIM_BUS_OK);
    CHECK_EQ(wr(F1_CR, 0x42), SIM_BUS_OK); /* PER | STRT */
    took = wait_idle(F1_SR, 1, 100 * US);
    CHECK(took >= 20 * MS && took <= 20 * MS + 100 * US);
    CHECK_EQ(rd(0x08000400), 0xFFFFFFFF);
    CHECK_EQ(rd(0x08000800) & 0xFFFF, 0xAAAA);
    CHECK_EQ(rd(0x080003FC) >> 16, 0x5555);
    CHECK_EQ(rd(0x080007FC), 0xFFFFFFFF);
    /* injected error */
    sim_flash_inject_error(&t);
    CHECK_EQ(wr(F1_CR, 1), SIM_BUS_OK);
    CHECK_EQ(wr16(0x08000400, 0x1234), SIM_BUS_OK);
    CHECK(rd(F1_SR) & 0x04);
    CHECK_EQ(rd(0x08000400), 0xFFFFFFFF);
    /* mass erase */
    CHECK_EQ(wr(F1_CR, 4), SIM_BUS_OK);
    CHECK_EQ(wr(F1_CR, 0x44), SIM_BUS_OK);
    wait_idle(F1_SR, 1, 100 * US);
    CHECK_EQ(rd(0x08000800), 0xFFFFFFFF);
    CHECK_EQ(rd(0x08000000), 0xFFFFFFFF);
    /* a system reset relocks and keeps the contents */
    CHECK_EQ(wr(F1_CR, 1), SIM_BUS_OK);
    CHECK_EQ(wr16(0x08001000, 0x4321), SIM_BUS_OK);
    sim_target_reset(&t, SIM_RESET_SYSTEM);
    CHECK(rd(F1_CR) & 0x80);
    CHECK_EQ(rd(0x08001000) & 0xFFFF, 0x4321);
    sim_target_free(&t);
}

/* ---------------------------------------------------------------------- STM32F4 (RM0090) */
#define F4 0x40023C00u
#define F4_SR (F4 + 0x0C)
#define F4_CR (F4 + 0x10)
#define F4_OPTCR (F4 + 0x14)
#define PSIZE_X32 (2u << 8)

static void f4_unlock(void)
{
    CHECK_EQ(wr(F4 + 4, 0x45670123), SIM_BUS_OK);
    CHECK_EQ(wr(F4 + 4, 0xCDEF89AB), SIM_BUS_OK);
    CHECK_EQ(rd(F4_CR) >> 31, 0);
}

static void test_f4_program_rules(void)
{
    CHECK_EQ(sim_target_init(&t, "stm32f407"), SIM_OK);
    CHECK(rd(F4_CR) >> 31);
    CHECK_EQ(wr(0x08000000, 0), SIM_BUS_OK); /* no PG: a sequence error, not a bus error */
    CHECK(rd(F4_SR) & 0x80);
    CHECK_EQ(rd(0x08000000), 0xFFFFFFFF);
    f4_unlock();
    CHECK_EQ(wr(F4_SR, 0xF3), SIM_BUS_OK);
    CHECK_EQ(rd(F4_SR) & 0xF3, 0);
    CHECK_EQ(wr(F4_CR, PSIZE_X32 | 1 | (1u << 24)), SIM_BUS_OK); /* PG, x32, EOPIE */
    CHECK_EQ(wr16(0x08000000, 0x1234), SIM_BUS_OK);              /* width differs from PSIZE */
    CHECK(rd(F4_SR) & 0x40);                                     /* PGPERR */
    CHECK_EQ(rd(0x08000000), 0xFFFFFFFF);
    CHECK_EQ(wr(F4_SR, 0x40), SIM_BUS_OK);
    CHECK_EQ(wr(0x08000000, 0x11223344), SIM_BUS_OK);
    CHECK(rd(F4_SR) & (1u << 16));
    uint64_t took = wait_idle(F4_SR, 1u << 16, 1 * US);
    CHECK(took >= 16 * US && took <= 17 * US);
    CHECK(rd(F4_SR) & 1); /* EOP, because EOPIE is set */
    CHECK_EQ(rd(0x08000000), 0x11223344);
    /* programming can only clear bits */
    CHECK_EQ(wr(0x08000000, 0xFFFF00FF), SIM_BUS_OK);
    wait_idle(F4_SR, 1u << 16, 1 * US);
    CHECK_EQ(rd(0x08000000), 0x11220044);
    /* without EOPIE there is no EOP */
    CHECK_EQ(wr(F4_SR, 1), SIM_BUS_OK);
    CHECK_EQ(wr(F4_CR, PSIZE_X32 | 1), SIM_BUS_OK);
    CHECK_EQ(wr(0x08000010, 0), SIM_BUS_OK);
    wait_idle(F4_SR, 1u << 16, 1 * US);
    CHECK_EQ(rd(F4_SR) & 1, 0);
    /* PG together with SER: sequence error */
    CHECK_EQ(wr(F4_CR, PSIZE_X32 | 3), SIM_BUS_OK);
    CHECK_EQ(wr(0x08000020, 0), SIM_BUS_OK);
    CHECK(rd(F4_SR) & 0x80);
    sim_target_free(&t);
}

static void test_f4_sector_erase_and_protection(void)
{
    CHECK_EQ(sim_target_init(&t, "stm32f407"), SIM_OK);
    static const uint32_t probes[] = {0x08000000, 0x08004000, 0x08008000, 0x08010000, 0x08020000, 0x08040000};
    for (unsigned i = 0; i < 6; i++) sim_target_load(&t, probes[i], (const uint8_t *)"\0\0\0\0", 4);
    f4_unlock();
    CHECK_EQ(wr(F4_CR, PSIZE_X32 | 2 | (1u << 3)), SIM_BUS_OK);           /* SER, SNB 1 */
    CHECK_EQ(wr(F4_CR, PSIZE_X32 | 2 | (1u << 3) | (1u << 16)), SIM_BUS_OK); /* STRT */
    uint64_t took = wait_idle(F4_SR, 1u << 16, 1 * MS);
    CHECK(took >= 250 * MS && took <= 251 * MS);
    CHECK_EQ(rd(0x08000000), 0);          /* sector 0 untouched */
    CHECK_EQ(rd(0x08004000), 0xFFFFFFFF); /* sector 1 erased */
    CHECK_EQ(rd(0x08008000), 0);
    CHECK_EQ(wr(F4_CR, PSIZE_X32 | 2 | (5u << 3) | (1u << 16)), SIM_BUS_OK); /* sector 5: 128 KiB */
    took = wait_idle(F4_SR, 1u << 16, 10 * MS);
    CHECK(took >= 1000 * MS && took <= 1010 * MS);
    CHECK_EQ(rd(0x08020000), 0xFFFFFFFF);
    CHECK_EQ(rd(0x08040000), 0);
    /* write protection through OPTCR.nWRP */
    CHECK_EQ(wr(F4 + 8, 0x08192A3B), SIM_BUS_OK);
    CHECK_EQ(wr(F4 + 8, 0x4C5D6E7F), SIM_BUS_OK);
    CHECK_EQ(rd(F4_OPTCR) & 1, 0);
    CHECK_EQ(wr(F4_OPTCR, 0x0FFEAAEC), SIM_BUS_OK); /* nWRP0 = 0: sector 0 protected */
    CHECK_EQ(wr(F4_CR, PSIZE_X32 | 2 | (1u << 16)), SIM_BUS_OK);
    CHECK(rd(F4_SR) & 0x10); /* WRPERR */
    CHECK_EQ(rd(0x08000000), 0);
    CHECK_EQ(wr(F4_CR, PSIZE_X32 | 1), SIM_BUS_OK);
    CHECK_EQ(wr(0x08000100, 0), SIM_BUS_OK);
    CHECK(rd(F4_SR) & 0x10);
    /* injected error */
    CHECK_EQ(wr(F4_SR, 0xF3), SIM_BUS_OK);
    sim_flash_inject_error(&t);
    CHECK_EQ(wr(0x08004000, 0), SIM_BUS_OK);
    CHECK(rd(F4_SR) & 0x02); /* OPERR */
    CHECK_EQ(rd(0x08004000), 0xFFFFFFFF);
    sim_target_free(&t);
}

/* ---------------------------------------------------------------------- STM32H7 (RM0433) */
#define H7 0x52002000u
#define H7_CR(b) (H7 + 0x0C + 0x100 * (b))
#define H7_SR(b) (H7 + 0x10 + 0x100 * (b))
#define H7_CCR(b) (H7 + 0x14 + 0x100 * (b))
#define H7_X64 (3u << 4)

static void h7_unlock(unsigned b)
{
    CHECK_EQ(wr(H7 + 4 + 0x100 * b, 0x45670123), SIM_BUS_OK);
    CHECK_EQ(wr(H7 + 4 + 0x100 * b, 0xCDEF89AB), SIM_BUS_OK);
    CHECK_EQ(rd(H7_CR(b)) & 1, 0);
}

static void test_h7_write_buffer(void)
{
    CHECK_EQ(sim_target_init(&t, "stm32h743"), SIM_OK);
    CHECK(rd(H7_CR(0)) & 1);
    CHECK(rd(H7_CR(1)) & 1);
    h7_unlock(0);
    CHECK(rd(H7_CR(1)) & 1); /* bank 2 has its own lock */
    CHECK_EQ(wr(H7_CR(0), H7_X64 | 2), SIM_BUS_OK); /* PG */
    for (uint32_t i = 0; i < 7; i++) CHECK_EQ(wr(0x08000000 + 4 * i, 0x10 + i), SIM_BUS_OK);
    CHECK(rd(H7_SR(0)) & 2);                  /* WBNE: waiting for the rest */
    CHECK_EQ(rd(0x08000000), 0xFFFFFFFF);     /* nothing programmed yet */
    CHECK_EQ(wr(0x0800001C, 0x17), SIM_BUS_OK);
    CHECK(rd(H7_SR(0)) & 4);                  /* QW */
    uint64_t took = wait_idle(H7_SR(0), 4, 1 * US);
    CHECK(took >= 100 * US && took <= 101 * US);
    CHECK(rd(H7_SR(0)) & (1u << 16));         /* EOP */
    CHECK_EQ(rd(0x08000000), 0x10);
    CHECK_EQ(rd(0x0800001C), 0x17);
    /* FW forces a partial word; the missing bytes stay erased */
    CHECK_EQ(wr(0x08000020, 0xAB), SIM_BUS_OK);
    CHECK_EQ(wr(H7_CR(0), H7_X64 | 2 | (1u << 6)), SIM_BUS_OK);
    wait_idle(H7_SR(0), 4, 1 * US);
    CHECK_EQ(rd(0x08000020), 0xAB);
    CHECK_EQ(rd(0x08000024), 0xFFFFFFFF);
    /* another flash word before the buffer is full: INCERR */
    CHECK_EQ(wr(0x08000040, 1), SIM_BUS_OK);
    CHECK_EQ(wr(0x08000060, 2), SIM_BUS_OK);
    CHECK(rd(H7_SR(0)) & (1u << 21));
    CHECK_EQ(wr(H7_CCR(0), 1u << 21), SIM_BUS_OK);
    CHECK_EQ(rd(H7_SR(0)) & (1u << 21), 0);
    /* a flash word programmed twice without an erase */
    for (uint32_t i = 0; i < 8; i++) CHECK_EQ(wr(0x08000000 + 4 * i, 0), SIM_BUS_OK);
    CHECK(rd(H7_SR(0)) & (1u << 18)); /* PGSERR */
    CHECK_EQ(rd(0x08000000), 0x10);
    /* writes without PG */
    CHECK_EQ(wr(H7_CCR(0), 0x0FEF0000), SIM_BUS_OK);
    CHECK_EQ(wr(H7_CR(0), H7_X64), SIM_BUS_OK);
    CHECK_EQ(wr(0x08000100, 0), SIM_BUS_OK);
    CHECK(rd(H7_SR(0)) & (1u << 18));
    sim_target_free(&t);
}

static void test_h7_erase_banks_and_reset(void)
{
    CHECK_EQ(sim_target_init(&t, "stm32h743"), SIM_OK);
    h7_unlock(1);
    /* program in bank 2 through bank 2's registers */
    CHECK_EQ(wr(H7_CR(1), H7_X64 | 2), SIM_BUS_OK);
    for (uint32_t i = 0; i < 8; i++) CHECK_EQ(wr(0x08120000 + 4 * i, i), SIM_BUS_OK);
    wait_idle(H7_SR(1), 4, 1 * US);
    CHECK_EQ(rd(0x08120004), 1);
    /* bank 1 is still locked: its writes are sequence errors */
    CHECK_EQ(wr(0x08000000, 0), SIM_BUS_OK);
    CHECK(rd(H7_SR(0)) & (1u << 18));
    /* sector 1 of bank 2 */
    sim_target_load(&t, 0x08100000, (const uint8_t *)"\0\0\0\0", 4);
    CHECK_EQ(wr(H7_CR(1), H7_X64 | 4 | (1u << 8)), SIM_BUS_OK);
    CHECK_EQ(wr(H7_CR(1), H7_X64 | 4 | (1u << 8) | 0x80), SIM_BUS_OK);
    uint64_t took = wait_idle(H7_SR(1), 1, 10 * MS);
    CHECK(took >= 1000 * MS && took <= 1010 * MS);
    CHECK_EQ(rd(0x08120004), 0xFFFFFFFF);
    CHECK_EQ(rd(0x08100000), 0); /* sector 0 untouched */
    /* the erased word can be programmed again */
    CHECK_EQ(wr(H7_CR(1), H7_X64 | 2), SIM_BUS_OK);
    for (uint32_t i = 0; i < 8; i++) CHECK_EQ(wr(0x08120000 + 4 * i, 0x55), SIM_BUS_OK);
    wait_idle(H7_SR(1), 4, 1 * US);
    CHECK_EQ(rd(0x08120000), 0x55);
    CHECK_EQ(rd(H7_SR(1)) & (1u << 18), 0);
    /* mass erase through OPTCR.MER: both banks unlocked, options unlocked */
    h7_unlock(0);
    CHECK_EQ(wr(H7 + 8, 0x08192A3B), SIM_BUS_OK);
    CHECK_EQ(wr(H7 + 8, 0x4C5D6E7F), SIM_BUS_OK);
    CHECK_EQ(wr(H7 + 0x18, 0x10), SIM_BUS_OK);
    wait_idle(H7_SR(0), 1, 10 * MS);
    CHECK_EQ(rd(0x08100000), 0xFFFFFFFF);
    CHECK_EQ(rd(0x08120000), 0xFFFFFFFF);
    /* reset relocks both banks and keeps the contents */
    CHECK_EQ(wr(H7_CR(0), H7_X64 | 2), SIM_BUS_OK);
    for (uint32_t i = 0; i < 8; i++) CHECK_EQ(wr(0x08000000 + 4 * i, 0xA5), SIM_BUS_OK);
    sim_target_reset(&t, SIM_RESET_SYSTEM);
    CHECK(rd(H7_CR(0)) & 1);
    CHECK(rd(H7_CR(1)) & 1);
    CHECK_EQ(rd(0x08000000), 0xA5);
    sim_target_free(&t);
}

/* ------------------------------------------------- STM32F72x (RM0431): the F4 controller */
/* The option-key sequence (F4, F7 and H7 alike: OPTKEYR at +8, OPTLOCK in bit 0 of OPTCR). */
static void opt_unlock(uint32_t controller, uint32_t optcr)
{
    CHECK_EQ(wr(controller + 8, 0x08192A3B), SIM_BUS_OK);
    CHECK_EQ(wr(controller + 8, 0x4C5D6E7F), SIM_BUS_OK);
    CHECK_EQ(rd(optcr) & 1, 0);
}

static uint32_t rd_fault(uint32_t addr, sim_bus_status *status)
{
    uint32_t v = 0;
    *status = sim_bus_read(&t, addr, 4, &v, SIM_MASTER_DEBUG);
    return v;
}

/* Eight sectors (4 x 16 KiB, 64 KiB, 3 x 128 KiB); the F7's option registers at the factory. */
static void test_f7_geometry_and_options(void)
{
    CHECK_EQ(sim_target_init(&t, "stm32f723"), SIM_OK);
    CHECK_EQ(rd(F4_OPTCR), 0xC0FFAAFD); /* RDP 0xAA, no sector protected, OPTLOCK */
    CHECK_EQ(rd(F4 + 0x18), 0x00400080); /* OPTCR1: BOOT_ADD1, BOOT_ADD0 */
    sim_target_load(&t, 0x08060000, (const uint8_t *)"\0\0\0\0", 4);
    sim_target_load(&t, 0x08040000, (const uint8_t *)"\0\0\0\0", 4);
    f4_unlock();
    CHECK_EQ(wr(F4_CR, PSIZE_X32 | 2 | (7u << 3) | (1u << 16)), SIM_BUS_OK); /* sector 7 */
    uint64_t took = wait_idle(F4_SR, 1u << 16, 10 * MS);
    CHECK(took >= 1000 * MS && took <= 1010 * MS);
    CHECK_EQ(rd(0x08060000), 0xFFFFFFFF);
    CHECK_EQ(rd(0x08040000), 0); /* sector 6 untouched */
    CHECK_EQ(wr(F4_CR, PSIZE_X32 | 2 | (8u << 3) | (1u << 16)), SIM_BUS_OK); /* no sector 8 */
    CHECK(rd(F4_SR) & 0x80);                                                 /* ERSERR */
    /* OPTCR1 is written while the options are unlocked, and kept by OPTSTRT across a reset */
    CHECK_EQ(wr(F4 + 0x18, 0x00402002), SIM_BUS_OK); /* locked: ignored */
    CHECK_EQ(rd(F4 + 0x18), 0x00400080);
    opt_unlock(F4, F4_OPTCR);
    CHECK_EQ(wr(F4 + 0x18, 0x00402002), SIM_BUS_OK); /* BOOT_ADD0 0x2002: 0x08008000 */
    CHECK_EQ(wr(F4_OPTCR, 0xC0FFAAFC | 2), SIM_BUS_OK);
    wait_idle(F4_SR, 1u << 16, 1 * MS);
    sim_target_reset(&t, SIM_RESET_SYSTEM);
    CHECK_EQ(rd(F4 + 0x18), 0x00402002);
    CHECK_EQ(rd(F4_OPTCR), 0xC0FFAAFD);
    sim_target_free(&t);
}

/* RDP on the F4-style controller: level 1 blocks the flash from a debugger (reads fault, erase
 * and program report WRPERR); programming RDP 0xAA mass-erases the flash and level 0 holds from
 * the next reset; level 2 turns the debug port off. */
static void test_f7_read_protection(void)
{
    CHECK_EQ(sim_target_init(&t, "stm32f723"), SIM_OK);
    sim_target_load(&t, 0x08000000, (const uint8_t *)"\x11\x22\x33\x44", 4);
    sim_target_load(&t, 0x08070000, (const uint8_t *)"\x55\x66\x77\x88", 4);
    CHECK(sim_flash_set_rdp(&t, 0xBB));
    CHECK_EQ(sim_flash_rdp_level(&t), 1);
    CHECK_EQ((rd(F4_OPTCR) >> 8) & 0xFF, 0xBB);
    sim_bus_status st;
    rd_fault(0x08000000, &st);
    CHECK_EQ(st, SIM_BUS_FAULT);
    CHECK_EQ(rd(0x20000000), 0); /* RAM stays readable */
    f4_unlock();
    CHECK_EQ(wr(F4_CR, PSIZE_X32 | 2 | (1u << 3) | (1u << 16)), SIM_BUS_OK);
    CHECK(rd(F4_SR) & 0x10); /* WRPERR */
    CHECK_EQ(wr(F4_SR, 0xF3), SIM_BUS_OK);
    CHECK_EQ(wr(F4_CR, PSIZE_X32 | 1), SIM_BUS_OK);
    CHECK_EQ(wr(0x08004000, 0), SIM_BUS_OK);
    CHECK(rd(F4_SR) & 0x10);
    uint8_t check[4];
    CHECK_EQ(sim_target_peek(&t, 0x08000000, check, 4), SIM_OK);
    CHECK_EQ(check[0], 0x11); /* nothing changed */
    /* regression: RDP 0xAA and OPTSTRT */
    opt_unlock(F4, F4_OPTCR);
    CHECK_EQ(wr(F4_OPTCR, 0xC0FFAAFC), SIM_BUS_OK);
    CHECK_EQ(wr(F4_OPTCR, 0xC0FFAAFC | 2), SIM_BUS_OK);
    CHECK(rd(F4_SR) & (1u << 16));
    uint64_t took = wait_idle(F4_SR, 1u << 16, 10 * MS);
    CHECK(took >= 8000 * MS && took <= 8020 * MS);
    CHECK_EQ(sim_target_peek(&t, 0x08070000, check, 4), SIM_OK);
    CHECK_EQ(check[0], 0xFF); /* mass-erased */
    CHECK_EQ(sim_flash_rdp_level(&t), 1); /* until the option bytes are loaded again */
    rd_fault(0x08000000, &st);
    CHECK_EQ(st, SIM_BUS_FAULT);
    sim_target_reset(&t, SIM_RESET_SYSTEM);
    CHECK_EQ(sim_flash_rdp_level(&t), 0);
    CHECK_EQ(rd(0x08000000), 0xFFFFFFFF);
    CHECK_EQ((rd(F4_OPTCR) >> 8) & 0xFF, 0xAA);
    /* level 2: the debug port stops answering; programming it cannot be undone */
    CHECK(sim_flash_set_rdp(&t, 0xCC));
    uint32_t data = 0;
    CHECK_EQ(sim_dp_transfer(&t, false, true, 0, &data), SIM_ACK_NONE);
    sim_target_reset(&t, SIM_RESET_POWER_ON);
    CHECK_EQ(sim_dp_transfer(&t, false, true, 0, &data), SIM_ACK_NONE);
    sim_target_free(&t);
}

/* ---------------------------------------------------- STM32H750: one 128 KiB sector; RDP */
#define H7_OPTCR (H7 + 0x18)
#define H7_OPTSR_CUR (H7 + 0x1C)
#define H7_OPTSR_PRG (H7 + 0x20)
#define H7_OPTCCR (H7 + 0x24)

static void test_h750_geometry(void)
{
    CHECK_EQ(sim_target_init(&t, "stm32h750"), SIM_OK);
    sim_bus_status st;
    rd_fault(0x08020000, &st);
    CHECK_EQ(st, SIM_BUS_FAULT); /* no flash past 128 KiB */
    sim_target_load(&t, 0x08010000, (const uint8_t *)"\0\0\0\0", 4);
    h7_unlock(0);
    CHECK_EQ(wr(H7_CR(0), H7_X64 | 4 | (1u << 8) | 0x80), SIM_BUS_OK); /* sector 1: absent */
    CHECK(rd(H7_SR(0)) & (1u << 18));
    CHECK_EQ(rd(0x08010000), 0);
    CHECK_EQ(wr(H7_CCR(0), 0x0FEF0000), SIM_BUS_OK);
    h7_unlock(1);
    CHECK_EQ(wr(H7_CR(1), H7_X64 | 8 | 0x80), SIM_BUS_OK); /* bank 2's erase: no bank 2 */
    CHECK(rd(H7_SR(1)) & (1u << 18));
    CHECK_EQ(wr(H7_CR(0), H7_X64 | 4 | 0x80), SIM_BUS_OK); /* sector 0 */
    uint64_t took = wait_idle(H7_SR(0), 1, 10 * MS);
    CHECK(took >= 1000 * MS && took <= 1010 * MS);
    CHECK_EQ(rd(0x08010000), 0xFFFFFFFF);
    sim_target_free(&t);
}

/* RDP on the H7: OPTSR_CUR shows the level; level 1 blocks the flash from a debugger; OPTSR_PRG
 * with RDP 0xAA and OPTSTART mass-erase it under OPT_BUSY, and level 0 holds at once; level 2
 * cannot be changed back (OPTCHANGEERR from the core's side) and the debug port is off. */
static void test_h7_read_protection(void)
{
    CHECK_EQ(sim_target_init(&t, "stm32h750"), SIM_OK);
    CHECK_EQ(rd(H7_OPTSR_CUR), 0x1006AAF0);
    sim_target_load(&t, 0x08000000, (const uint8_t *)"\x11\x22\x33\x44", 4);
    CHECK(sim_flash_set_rdp(&t, 0x00));
    CHECK_EQ((rd(H7_OPTSR_CUR) >> 8) & 0xFF, 0x00);
    sim_bus_status st;
    rd_fault(0x08000000, &st);
    CHECK_EQ(st, SIM_BUS_FAULT);
    h7_unlock(0);
    CHECK_EQ(wr(H7_CR(0), H7_X64 | 4 | 0x80), SIM_BUS_OK);
    CHECK(rd(H7_SR(0)) & (1u << 17)); /* WRPERR */
    CHECK_EQ(wr(H7_CCR(0), 0x0FEF0000), SIM_BUS_OK);
    /* OPTSR_PRG is written only while the options are unlocked */
    CHECK_EQ(wr(H7_OPTSR_PRG, 0x1006AAF0), SIM_BUS_OK);
    CHECK_EQ((rd(H7_OPTSR_PRG) >> 8) & 0xFF, 0x00);
    opt_unlock(H7, H7_OPTCR);
    CHECK_EQ(wr(H7_OPTSR_PRG, 0x1006AAF0), SIM_BUS_OK);
    CHECK_EQ(wr(H7_OPTCR, 2), SIM_BUS_OK); /* OPTSTART */
    CHECK(rd(H7_OPTSR_CUR) & 1);           /* OPT_BUSY */
    uint64_t took = wait_idle(H7_OPTSR_CUR, 1, 1 * MS);
    CHECK(took >= 1000 * MS && took <= 1010 * MS);
    CHECK_EQ(rd(H7_OPTSR_CUR), 0x1006AAF0);
    CHECK_EQ(rd(0x08000000), 0xFFFFFFFF); /* erased, and readable at once */
    /* level 2, then no way back */
    CHECK_EQ(wr(H7_OPTSR_PRG, 0x1006CCF0), SIM_BUS_OK);
    CHECK_EQ(wr(H7_OPTCR, 2), SIM_BUS_OK);
    CHECK_EQ(sim_flash_rdp_level(&t), 2);
    uint32_t data = 0;
    CHECK_EQ(sim_dp_transfer(&t, false, true, 0, &data), SIM_ACK_NONE);
    wait_idle(H7_OPTSR_CUR, 1, 1 * MS); /* the core still reaches the controller */
    CHECK_EQ(wr(H7_OPTSR_PRG, 0x1006AAF0), SIM_BUS_OK);
    CHECK_EQ(wr(H7_OPTCR, 2), SIM_BUS_OK);
    CHECK(rd(H7_OPTSR_CUR) & (1u << 30)); /* OPTCHANGEERR */
    CHECK_EQ(sim_flash_rdp_level(&t), 2);
    CHECK_EQ(wr(H7_OPTCCR, 1u << 30), SIM_BUS_OK);
    CHECK_EQ(rd(H7_OPTSR_CUR) & (1u << 30), 0);
    /* G0 has no RDP model */
    sim_target_free(&t);
    CHECK_EQ(sim_target_init(&t, "stm32g071"), SIM_OK);
    CHECK(!sim_flash_set_rdp(&t, 0xBB));
    sim_target_free(&t);
}

/* F1 option bytes (PM0075): the factory's (RDP 0xA5, the rest 0xFF, each with its complement)
 * loaded into OBR and WRPR; OPTER erases them (with OPTWRE only), and from the next reset the
 * erased RDP protects (a pair that does not match its complement: OPTERR, read as 0xFF); with a
 * debugger the flash then faults on reads and refuses erases and programs; OPTPG programs a byte
 * and its complement into an erased pair only; RDP 0xA5 while protected mass-erases the flash,
 * and the next reset unprotects. WRP bytes load into WRPR. */
static void test_f1_option_bytes(void)
{
    CHECK_EQ(sim_target_init(&t, "stm32f103"), SIM_OK);
    CHECK_EQ(rd(0x1FFFF800), 0x00FF5AA5u);
    CHECK_EQ(rd(0x1FFFF80C), 0x00FF00FFu);
    CHECK_EQ(rd(F1 + 0x1C), 0x03FFFFFCu); /* OBR: no OPTERR, no RDPRT, USER and data 0xFF */
    CHECK_EQ(rd(F1 + 0x20), 0xFFFFFFFFu); /* WRPR */
    uint8_t code[4] = {1, 2, 3, 4};
    CHECK_EQ(sim_target_load(&t, 0x08000000, code, 4), SIM_OK);
    f1_unlock();
    CHECK_EQ(wr(F1_CR, 1u << 5), SIM_BUS_OK);
    CHECK_EQ(wr(F1_CR, (1u << 5) | (1u << 6)), SIM_BUS_OK); /* OPTER without OPTWRE: nothing */
    CHECK_EQ(rd(0x1FFFF800), 0x00FF5AA5u);
    CHECK_EQ(wr(F1 + 8, 0x45670123), SIM_BUS_OK); /* OPTKEYR */
    CHECK_EQ(wr(F1 + 8, 0xCDEF89AB), SIM_BUS_OK);
    CHECK(rd(F1_CR) & (1u << 9));                  /* OPTWRE */
    CHECK_EQ(wr(F1_CR, 0), SIM_BUS_OK);            /* writing it 0 clears it */
    CHECK_EQ(rd(F1_CR) & (1u << 9), 0);
    CHECK_EQ(wr(F1 + 8, 0x45670123), SIM_BUS_OK);
    CHECK_EQ(wr(F1 + 8, 0xCDEF89AB), SIM_BUS_OK);
    CHECK_EQ(wr(F1_CR, (1u << 9) | (1u << 5) | (1u << 6)), SIM_BUS_OK);
    CHECK(wait_idle(F1_SR, 1, 1 * MS) >= 20 * MS);
    CHECK_EQ(rd(0x1FFFF800), 0xFFFFFFFFu);
    CHECK_EQ(rd(F1 + 0x1C) & 3, 0);          /* loaded at reset only */
    CHECK_EQ(rd(0x08000000), 0x04030201u);
    sim_target_reset(&t, SIM_RESET_SYSTEM);
    CHECK_EQ(sim_flash_rdp_level(&t), 1);
    CHECK_EQ(rd(F1 + 0x1C) & 3, 3);          /* OPTERR, RDPRT */
    uint32_t v = 0;
    CHECK_EQ(sim_bus_read(&t, 0x08000000, 4, &v, SIM_MASTER_DEBUG), SIM_BUS_FAULT);
    CHECK_EQ(sim_bus_read(&t, 0x1FFFF800, 4, &v, SIM_MASTER_DEBUG), SIM_BUS_OK); /* options stay readable */
    f1_unlock();
    CHECK_EQ(wr(F1_CR, 1u << 2), SIM_BUS_OK);
    CHECK_EQ(wr(F1_CR, (1u << 2) | (1u << 6)), SIM_BUS_OK); /* MER: refused */
    CHECK(rd(F1_SR) & (1u << 4));
    CHECK_EQ(wr(F1_SR, 1u << 4), SIM_BUS_OK);
    /* OPTPG: a byte and its complement */
    CHECK_EQ(wr(F1 + 8, 0x45670123), SIM_BUS_OK);
    CHECK_EQ(wr(F1 + 8, 0xCDEF89AB), SIM_BUS_OK);
    CHECK_EQ(wr(F1_CR, (1u << 9) | (1u << 4)), SIM_BUS_OK);
    CHECK_EQ(wr(0x1FFFF808, 0x0012), SIM_BUS_FAULT); /* words: a bus error */
    CHECK_EQ(wr16(0x1FFFF808, 0x00FE), SIM_BUS_OK);  /* WRP0: pages 0-3 protected */
    wait_idle(F1_SR, 1, 1 * US);
    CHECK_EQ(wr16(0x1FFFF808, 0x00FC), SIM_BUS_OK);  /* not erased: PGERR */
    CHECK(rd(F1_SR) & (1u << 2));
    CHECK_EQ(rd(0x1FFFF808) & 0xFFFF, 0x01FEu);
    CHECK_EQ(wr16(0x1FFFF800, 0x00A5), SIM_BUS_OK);  /* RDP 0xA5: mass erase first */
    CHECK(wait_idle(F1_SR, 1, 1 * MS) >= 20 * MS);
    CHECK_EQ(rd(0x1FFFF800) & 0xFFFF, 0x5AA5u);
    CHECK_EQ(sim_flash_rdp_level(&t), 1); /* until the reset */
    sim_target_reset(&t, SIM_RESET_SYSTEM);
    CHECK_EQ(sim_flash_rdp_level(&t), 0);
    CHECK_EQ(rd(0x08000000), 0xFFFFFFFFu);   /* mass-erased */
    CHECK_EQ(rd(F1 + 0x1C) & 3, 1);          /* OPTERR (USER and data still erased), no RDPRT */
    CHECK_EQ(rd(F1 + 0x20), 0xFFFFFFFEu);    /* WRP0 bit 0 */
    sim_target_free(&t);
}

/* The F0/F3 model (RM0091, RM0316) on the F072 and the F303: RDP 0xAA from the factory, OBR's
 * F0 layout (RDPRT 1-2, USER 8-15, data 16-31), 2 KiB pages, WRP per 4 KiB, the option bytes
 * loaded at power-on and OBL_LAUNCH but not at a system reset; and the Cortex-M0's missing VTOR
 * and unprivileged mode. */
static void test_f0_option_bytes(void)
{
    static const char *const profiles[] = {"stm32f072", "stm32f303"};
    for (unsigned i = 0; i < 2; i++) {
        CHECK_EQ(sim_target_init(&t, profiles[i]), SIM_OK);
        CHECK_EQ(rd(0x1FFFF800), 0x00FF55AAu);
        CHECK_EQ(rd(F1 + 0x1C), 0xFFFFFF00u); /* OBR: level 0, USER and data 0xFF */
        uint8_t code[4] = {1, 2, 3, 4};
        CHECK_EQ(sim_target_load(&t, 0x08000000, code, 4), SIM_OK);
        CHECK_EQ(sim_target_load(&t, 0x08000800, code, 4), SIM_OK);
        f1_unlock();
        CHECK_EQ(wr(F1_CR, 1u << 1), SIM_BUS_OK); /* PER: a 2 KiB page */
        CHECK_EQ(wr(F1_AR, 0x08000000), SIM_BUS_OK);
        CHECK_EQ(wr(F1_CR, (1u << 1) | (1u << 6)), SIM_BUS_OK);
        wait_idle(F1_SR, 1, 1 * MS);
        CHECK_EQ(rd(0x08000000), 0xFFFFFFFFu);
        CHECK_EQ(rd(0x080007FC), 0xFFFFFFFFu);
        CHECK_EQ(rd(0x08000800), 0x04030201u); /* the next page kept */
        CHECK_EQ(wr(F1 + 8, 0x45670123), SIM_BUS_OK);
        CHECK_EQ(wr(F1 + 8, 0xCDEF89AB), SIM_BUS_OK);
        CHECK_EQ(wr(F1_CR, (1u << 9) | (1u << 5) | (1u << 6)), SIM_BUS_OK); /* OPTER */
        wait_idle(F1_SR, 1, 1 * MS);
        CHECK_EQ(wr(F1_CR, (1u << 9) | (1u << 4)), SIM_BUS_OK); /* OPTPG */
        CHECK_EQ(wr16(0x1FFFF800, 0x00AA), SIM_BUS_OK);
        wait_idle(F1_SR, 1, 1 * US);
        CHECK_EQ(wr16(0x1FFFF808, 0x00FE), SIM_BUS_OK); /* WRP0 bit 0: the first 4 KiB */
        wait_idle(F1_SR, 1, 1 * US);
        CHECK_EQ(wr16(0x1FFFF802, 0x007F), SIM_BUS_OK); /* USER */
        wait_idle(F1_SR, 1, 1 * US);
        sim_target_reset(&t, SIM_RESET_SYSTEM); /* loads nothing */
        CHECK_EQ(rd(F1 + 0x20), 0xFFFFFFFFu);
        CHECK_EQ(rd(F1 + 0x1C), 0xFFFFFF00u);
        sim_target_reset(&t, SIM_RESET_POWER_ON); /* loads them */
        CHECK_EQ(rd(F1 + 0x20), 0xFFFFFFFEu);
        CHECK_EQ(rd(F1 + 0x1C), 0xFFFF7F00u | 1u); /* USER 0x7F; OPTERR: Data0/1 were erased */
        f1_unlock();
        CHECK_EQ(wr(F1_CR, 1u), SIM_BUS_OK); /* PG */
        CHECK_EQ(wr16(0x08000F00, 0x1234), SIM_BUS_OK);
        CHECK(rd(F1_SR) & (1u << 4));           /* WRPRTERR: pages 0-1 are WRP0's */
        CHECK_EQ(wr(F1_SR, 1u << 4), SIM_BUS_OK);
        CHECK_EQ(wr16(0x08001000, 0x1234), SIM_BUS_OK);
        wait_idle(F1_SR, 1, 1 * US);
        CHECK_EQ(rd(0x08001000) & 0xFFFF, 0x1234u); /* page 2 is not */
        CHECK(sim_flash_set_rdp(&t, 0xCC));
        CHECK_EQ(rd(F1 + 0x1C) & 6, 6);            /* RDPRT: level 2 */
        CHECK(sim_flash_set_rdp(&t, 0x00));
        CHECK_EQ(rd(F1 + 0x1C) & 6, 2);            /* level 1 */
        t.flash.f1_ob[0] = 0xAA, t.flash.f1_ob[1] = 0x55; /* 0xAA programmed, not loaded */
        sim_target_reset(&t, SIM_RESET_SYSTEM);
        CHECK_EQ(sim_flash_rdp_level(&t), 1);
        f1_unlock();
        /* OBL_LAUNCH (CR bit 13) loads them with a system reset; CR writes need the FPEC unlocked */
        CHECK_EQ(wr(F1_CR, 1u << 13), SIM_BUS_OK);
        CHECK_EQ(sim_flash_rdp_level(&t), 0);      /* 0xAA as programmed */
        CHECK(rd(F1_CR) & 0x80);                   /* the reset locked it */
        sim_target_free(&t);
    }
    /* the Cortex-M0: VTOR reads 0 and ignores writes; CONTROL.nPRIV likewise */
    CHECK_EQ(sim_target_init(&t, "stm32f072"), SIM_OK);
    CHECK_EQ(wr(0xE000ED08, 0x20000000), SIM_BUS_OK);
    CHECK_EQ(rd(0xE000ED08), 0u);
    CHECK_EQ(rd(0xE000ED00), 0x410CC200u);
    CHECK(sim_cpu_write_reg(&t, SIM_REG_SPECIAL, 3u << 24));
    uint32_t special = 0;
    CHECK(sim_cpu_read_reg(&t, SIM_REG_SPECIAL, &special));
    CHECK_EQ(special >> 24, 2u); /* SPSEL kept, nPRIV not */
    sim_target_free(&t);
}

/* ------------------------------------------------- STM32G0 / STM32L4 (RM0444 / RM0351) */
#define G0 0x40022000u
#define G0_KEYR (G0 + 0x08)
#define G0_SR (G0 + 0x10)
#define G0_CR (G0 + 0x14)

static void g0_unlock(void)
{
    CHECK_EQ(wr(G0_KEYR, 0x45670123u), SIM_BUS_OK);
    CHECK_EQ(wr(G0_KEYR, 0xCDEF89ABu), SIM_BUS_OK);
    CHECK(!(rd(G0_CR) & (1u << 31)));
}

/* Double-word programming: the second word starts it and takes the datasheet's 85 µs; the
 * error flags PGAERR (a misaligned first word, a second word elsewhere), SIZERR (a half-word),
 * PGSERR (no PG; an earlier error still flagged), PROGERR (not erased); page erase 22 ms. */
static void test_g0_double_words_and_errors(void)
{
    CHECK_EQ(sim_target_init(&t, "stm32g071"), SIM_OK);
    CHECK_EQ(wr(G0_KEYR, 0x11111111u), SIM_BUS_FAULT); /* a wrong key: locked until reset */
    sim_target_reset(&t, SIM_RESET_SYSTEM);
    g0_unlock();
    CHECK_EQ(wr(0x08001000u, 0x11223344u), SIM_BUS_OK); /* without PG */
    CHECK(rd(G0_SR) & (1u << 7));
    CHECK_EQ(wr(G0_SR, 0xFFFFu), SIM_BUS_OK);
    CHECK_EQ(wr(G0_CR, 1u), SIM_BUS_OK); /* PG */
    CHECK_EQ(wr(0x08001000u, 0x11223344u), SIM_BUS_OK);
    CHECK_EQ(rd(0x08001000u), 0xFFFFFFFFu); /* the first word alone programs nothing */
    CHECK_EQ(wr(0x08001004u, 0x55667788u), SIM_BUS_OK);
    CHECK(rd(G0_SR) & (1u << 16));                       /* busy */
    uint64_t took = wait_idle(G0_SR, 1u << 16, US);
    CHECK(took >= 84 * US && took <= 86 * US);
    CHECK_EQ(rd(0x08001000u), 0x11223344u);
    CHECK_EQ(rd(0x08001004u), 0x55667788u);
    CHECK_EQ(rd(G0_SR) & 0xFFFEu, 0u);
    CHECK_EQ(wr(0x08001014u, 1u), SIM_BUS_OK); /* the first word not at a double word */
    CHECK(rd(G0_SR) & (1u << 5));
    CHECK_EQ(wr(0x08001010u, 1u), SIM_BUS_OK); /* with PGAERR still set: PGSERR */
    CHECK(rd(G0_SR) & (1u << 7));
    CHECK_EQ(wr(G0_SR, 0xFFFFu), SIM_BUS_OK);
    CHECK_EQ(wr(0x08001010u, 1u), SIM_BUS_OK);
    CHECK_EQ(wr(0x08001018u, 2u), SIM_BUS_OK); /* the second word in another double word */
    CHECK(rd(G0_SR) & (1u << 5));
    CHECK_EQ(rd(0x08001010u), 0xFFFFFFFFu);
    CHECK_EQ(wr(G0_SR, 0xFFFFu), SIM_BUS_OK);
    CHECK_EQ(wr16(0x08001020u, 0x1234u), SIM_BUS_OK); /* a half-word */
    CHECK(rd(G0_SR) & (1u << 6));
    CHECK_EQ(wr(G0_SR, 0xFFFFu), SIM_BUS_OK);
    CHECK_EQ(wr(0x08001000u, 0u), SIM_BUS_OK); /* over programmed data: PROGERR */
    CHECK_EQ(wr(0x08001004u, 0xFFFFFFF0u), SIM_BUS_OK);
    CHECK(rd(G0_SR) & (1u << 3));
    CHECK_EQ(rd(0x08001004u), 0x55667788u);
    CHECK_EQ(wr(G0_SR, 0xFFFFu), SIM_BUS_OK);
    /* page erase of page 2 (0x08001000) */
    CHECK_EQ(wr(G0_CR, (1u << 1) | (2u << 3)), SIM_BUS_OK);
    CHECK_EQ(wr(G0_CR, (1u << 1) | (2u << 3) | (1u << 16)), SIM_BUS_OK);
    took = wait_idle(G0_SR, 1u << 16, 100 * US);
    CHECK(took >= 21 * MS && took <= 23 * MS);
    CHECK_EQ(rd(0x08001000u), 0xFFFFFFFFu);
    CHECK_EQ(wr(G0_CR, 1u << 31), SIM_BUS_OK);
    CHECK(rd(G0_CR) & (1u << 31));
    sim_target_free(&t);
}

/* The L476's second bank: BKER picks it for a page erase; MER2 erases it alone. */
static void test_l4_banks(void)
{
    CHECK_EQ(sim_target_init(&t, "stm32l476"), SIM_OK);
    static const uint8_t zeros[16] = {0};
    CHECK_EQ(sim_target_load(&t, 0x08000800u, zeros, 16), SIM_OK); /* bank 1 page 1 */
    CHECK_EQ(sim_target_load(&t, 0x08080800u, zeros, 16), SIM_OK); /* bank 2 page 1 */
    g0_unlock();
    uint32_t per = (1u << 1) | (1u << 3) | (1u << 11); /* PER, PNB 1, BKER */
    CHECK_EQ(wr(G0_CR, per), SIM_BUS_OK);
    CHECK_EQ(wr(G0_CR, per | (1u << 16)), SIM_BUS_OK);
    wait_idle(G0_SR, 1u << 16, 100 * US);
    CHECK_EQ(rd(0x08080800u), 0xFFFFFFFFu);
    CHECK_EQ(rd(0x08000800u), 0u);
    CHECK_EQ(sim_target_load(&t, 0x08080800u, zeros, 16), SIM_OK);
    CHECK_EQ(wr(G0_CR, 1u << 15), SIM_BUS_OK); /* MER2 */
    CHECK_EQ(wr(G0_CR, (1u << 15) | (1u << 16)), SIM_BUS_OK);
    wait_idle(G0_SR, 1u << 16, 100 * US);
    CHECK_EQ(rd(0x08080800u), 0xFFFFFFFFu);
    CHECK_EQ(rd(0x08000800u), 0u);
    sim_target_free(&t);
}

int main(void)
{
    RUN(test_f1_lock_and_keys);
    RUN(test_f1_program_erase_and_errors);
    RUN(test_f4_program_rules);
    RUN(test_f4_sector_erase_and_protection);
    RUN(test_h7_write_buffer);
    RUN(test_h7_erase_banks_and_reset);
    RUN(test_f7_geometry_and_options);
    RUN(test_f7_read_protection);
    RUN(test_h750_geometry);
    RUN(test_h7_read_protection);
    RUN(test_f1_option_bytes);
    RUN(test_f0_option_bytes);
    RUN(test_g0_double_words_and_errors);
    RUN(test_l4_banks);
    return CHECK_SUMMARY();
}
