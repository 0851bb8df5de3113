/* The fast flash path (flash_loader): the routine runs on the simulated core from RAM and programs
 * the flash while the host streams the next buffers, over swd_link and over the CMSIS-DAP engine,
 * on the F407 (words), the F103 (half-words) and the H743 (256-bit flash words). The test prepares
 * each flash controller itself by register writes through the debug link, checks the programmed
 * bytes, the error path of each part, a HardFault in the routine and the time-out, and prints
 * the virtual time taken. */
#include "check.h"
#include "fixture_target.h"
#include "flash/crc32.h"
#include "flash/flash_loader.h"

#define MS 1000000000ull /* picoseconds */
#define DATA_SIZE (40u * 1024u)

static uint8_t data[DATA_SIZE];
static uint8_t readback[DATA_SIZE];

/* The fixture target, halted. */
static bool open_target(const char *profile, bool over_dap)
{
    return open_fixture(profile, over_dap) && cortexm_halt(&core) == BMP_OK;
}

/* Register access through the debug link, as a flash driver on the probe would do it. */
static void wr(uint32_t addr, uint32_t value)
{
    CHECK_EQ(adiv5_mem_write32(&dp, 0, addr, value), BMP_OK);
}

static uint32_t rd(uint32_t addr)
{
    uint32_t value = 0;
    CHECK_EQ(adiv5_mem_read32(&dp, 0, addr, &value), BMP_OK);
    return value;
}

/* Waits for an erase: lets virtual time pass between reads of the status register. */
static void wait_not_busy(uint32_t sr, uint32_t busy)
{
    int i = 0;
    for (; i < 10000 && (rd(sr) & busy); i++) sim_target_advance(&t, 10 * MS);
    CHECK(i < 10000);
}

static void fill_random(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)(x >> 11);
    }
}

typedef struct progress_log {
    unsigned calls;
    size_t last, total;
    bool monotonic;
} progress_log;

static void on_progress(void *ctx, size_t done, size_t total)
{
    progress_log *log = ctx;
    if (done < log->last || done > total) log->monotonic = false;
    log->calls++;
    log->last = done;
    log->total = total;
}

/* Programs `length` bytes of `data` at `dest` and checks them; prints the virtual time taken. */
static void program_and_verify(const char *profile, bool over_dap, const flash_loader_params *p, uint32_t dest,
                               size_t length)
{
    progress_log log = {.monotonic = true};
    uint32_t sr = 0xDEAD, crc = 0;
    uint64_t start = t.now_ps;
    int s = flash_loader_program(&core, p, dest, data, length, &sr, &crc, on_progress, &log);
    uint64_t took = t.now_ps - start;
    CHECK_EQ(s, 0);
    CHECK_EQ(sr, 0);
    /* the routine's CRC of the flash it read back equals the data's */
    CHECK_EQ(crc, crc32_gdb(CRC32_GDB_INITIAL, data, length));
    CHECK(log.monotonic);
    CHECK(log.calls >= 2);
    CHECK_EQ(log.last, length);
    CHECK_EQ(log.total, length);
    /* byte for byte, through the back door and through the link */
    CHECK_EQ(sim_target_peek(&t, dest, readback, length), SIM_OK);
    CHECK(memcmp(readback, data, length) == 0);
    memset(readback, 0, length);
    CHECK_EQ(adiv5_mem_read(&dp, 0, dest, readback, length), BMP_OK);
    CHECK(memcmp(readback, data, length) == 0);
    /* the routine ended on its BKPT and the core is halted there */
    cortexm_halt_reason reason;
    CHECK_EQ(cortexm_halt_reason_of(&core, &reason, NULL), BMP_OK);
    CHECK_EQ(reason, CORTEXM_HALT_BREAKPOINT);
    double ms = (double)took / 1e9;
    printf("  %s over %-13s %zu KiB in %8.2f ms of virtual time: %6.1f KiB/s\n", profile,
           over_dap ? "CMSIS-DAP:" : "swd_link:", length / 1024, ms, (double)length / 1024.0 / (ms / 1000.0));
}

/* A length that is no multiple of the buffer, with small buffers that wrap round the ring. */
static void program_partial(const flash_loader_params *base, uint32_t dest, size_t length, uint32_t buffer_size)
{
    flash_loader_params p = *base;
    p.buffer_size = buffer_size;
    uint32_t sr = 0xDEAD;
    CHECK_EQ(flash_loader_program(&core, &p, dest, data + 8192, length, &sr, NULL, NULL, NULL), 0);
    CHECK_EQ(sr, 0);
    CHECK_EQ(sim_target_peek(&t, dest, readback, length + 4), SIM_OK);
    CHECK(memcmp(readback, data + 8192, length) == 0);
    CHECK_EQ(readback[length] & readback[length + 1] & readback[length + 2] & readback[length + 3], 0xFF);
}

/* Expects BMP_ERR_LOADER_FLASH with `expected_sr`, the flash at `dest` unchanged, the core halted. */
static void program_expecting_error(const flash_loader_params *p, uint32_t dest, size_t length, uint32_t expected_sr)
{
    static uint8_t before[1024];
    CHECK(length <= sizeof before);
    sim_target_peek(&t, dest, before, length);
    uint32_t sr = 0;
    CHECK_EQ(flash_loader_program(&core, p, dest, data + 4096, length, &sr, NULL, NULL, NULL), BMP_ERR_LOADER_FLASH);
    CHECK_EQ(sr, expected_sr);
    sim_target_peek(&t, dest, readback, length);
    CHECK(memcmp(readback, before, length) == 0);
    CHECK(t.core.halted);
}

/* ---------------------------------------------------------------------- STM32F407 (RM0090) */
#define F4 0x40023C00u
#define F4_KEYR (F4 + 0x04)
#define F4_OPTKEYR (F4 + 0x08)
#define F4_SR (F4 + 0x0C)
#define F4_CR (F4 + 0x10)
#define F4_OPTCR (F4 + 0x14)
#define F4_PSIZE_X32 (2u << 8)
#define F4_BSY (1u << 16)
#define F4_ERRORS 0xF2u /* OPERR WRPERR PGAERR PGPERR PGSERR */
#define F4_WRPERR 0x10u

static void f4(bool over_dap)
{
    CHECK(open_target("stm32f407", over_dap));
    const uint32_t dest = 0x08020000; /* sector 5, 128 KiB: clear of the fixture firmware */
    wr(F4_KEYR, 0x45670123);
    wr(F4_KEYR, 0xCDEF89AB);
    wr(F4_SR, F4_ERRORS);
    wr(F4_CR, F4_PSIZE_X32 | 2 | (5u << 3));             /* SER, SNB 5 */
    wr(F4_CR, F4_PSIZE_X32 | 2 | (5u << 3) | (1u << 16)); /* STRT */
    wait_not_busy(F4_SR, F4_BSY);
    wr(F4_CR, F4_PSIZE_X32 | 1); /* PG */
    fill_random(data, DATA_SIZE, 407);
    flash_loader_params p = {.ram_base = 0x20000000, .ram_size = 32 * 1024, .sr_addr = F4_SR,
                             .busy_mask = F4_BSY, .error_mask = F4_ERRORS, .unit = 4};
    program_and_verify("stm32f407", over_dap, &p, dest, DATA_SIZE);
    /* programmed again without an erase: the flash keeps old AND new, which the controller does
     * not flag here; the routine reads the unit back and stops */
    uint32_t sr = 0, crc = 0;
    CHECK_EQ(flash_loader_program(&core, &p, dest, data + 4096, 2048, &sr, &crc, NULL, NULL), BMP_ERR_VERIFY);
    program_partial(&p, dest + DATA_SIZE, 3004, 256);
    /* error: the sector write-protected through OPTCR.nWRP5 gives WRPERR on the first write */
    wr(F4_OPTKEYR, 0x08192A3B);
    wr(F4_OPTKEYR, 0x4C5D6E7F);
    wr(F4_OPTCR, 0x0FDFAAECu);
    program_expecting_error(&p, dest + DATA_SIZE + 4096, 1024, F4_WRPERR);
    CHECK(rd(F4_SR) & F4_WRPERR);
    close_fixture();
}

/* ---------------------------------------------------------------------- STM32F103 (RM0008) */
#define F1 0x40022000u
#define F1_KEYR (F1 + 0x04)
#define F1_SR (F1 + 0x0C)
#define F1_CR (F1 + 0x10)
#define F1_AR (F1 + 0x14)
#define F1_BSY 1u
#define F1_PGERR 0x04u
#define F1_ERRORS 0x14u /* PGERR WRPRTERR */

static void f1_erase(uint32_t from, uint32_t length)
{
    for (uint32_t page = from; page < from + length; page += 1024) {
        wr(F1_CR, 2); /* PER */
        wr(F1_AR, page);
        wr(F1_CR, 2 | 0x40); /* STRT */
        wait_not_busy(F1_SR, F1_BSY);
    }
}

static void f1(bool over_dap)
{
    CHECK(open_target("stm32f103", over_dap));
    const uint32_t dest = 0x08008000;
    wr(F1_KEYR, 0x45670123);
    wr(F1_KEYR, 0xCDEF89AB);
    f1_erase(dest, DATA_SIZE + 8192);
    wr(F1_CR, 1); /* PG */
    fill_random(data, DATA_SIZE, 103);
    flash_loader_params p = {.ram_base = 0x20000000, .ram_size = 20 * 1024, .sr_addr = F1_SR,
                             .busy_mask = F1_BSY, .error_mask = F1_ERRORS, .unit = 2};
    program_and_verify("stm32f103", over_dap, &p, dest, DATA_SIZE);
    program_partial(&p, dest + DATA_SIZE + 4096, 3002, 1024);
    /* error: programming half-words that are not erased gives PGERR */
    CHECK(data[4096] != 0 || data[4097] != 0);       /* 0x0000 would be allowed over anything */
    CHECK(data[0] != 0xFF || data[1] != 0xFF);       /* and an erased half-word would program */
    program_expecting_error(&p, dest, 1024, F1_PGERR);
    wr(F1_SR, F1_PGERR);

    /* a HardFault in the routine (word writes fault the F1's bus) halts it: BMP_ERR_LOADER_FAULT */
    flash_loader_params words = p;
    words.unit = 4;
    uint32_t sr = 0xDEAD;
    CHECK_EQ(flash_loader_program(&core, &words, dest + DATA_SIZE, data, 1024, &sr, NULL, NULL, NULL), BMP_ERR_LOADER_FAULT);
    CHECK_EQ(sr, 0);
    cortexm_halt_reason reason;
    CHECK_EQ(cortexm_halt_reason_of(&core, &reason, NULL), BMP_OK);
    CHECK_EQ(reason, CORTEXM_HALT_VECTOR_CATCH);
    CHECK_EQ(rd(0xE000EDFC) & (1u << 10), 0); /* DEMCR restored: VC_HARDERR off again */

    /* time-out: a status register that reads busy for ever */
    static const uint8_t busy_forever[4] = {0xFF, 0xFF, 0xFF, 0xFF};
    CHECK_EQ(adiv5_mem_write(&dp, 0, 0x20004F00, busy_forever, 4), BMP_OK);
    flash_loader_params stuck = p;
    stuck.ram_size = 0x4F00; /* keep that word out of the loader's window */
    stuck.sr_addr = 0x20004F00;
    stuck.max_idle_polls = 50;
    CHECK_EQ(flash_loader_program(&core, &stuck, dest + DATA_SIZE + 1024, data, 1024, &sr, NULL, NULL, NULL),
             BMP_ERR_LOADER_TIMEOUT);
    CHECK(t.core.halted);

    /* bad arguments */
    CHECK_EQ(flash_loader_program(&core, &p, dest + 1, data, 2, &sr, NULL, NULL, NULL), BMP_ERR_INVALID);
    CHECK_EQ(flash_loader_program(&core, &p, dest, data, 3, &sr, NULL, NULL, NULL), BMP_ERR_INVALID);
    flash_loader_params tiny = p;
    tiny.ram_size = 256;
    CHECK_EQ(flash_loader_program(&core, &tiny, dest, data, 2, &sr, NULL, NULL, NULL), BMP_ERR_INVALID);
    flash_loader_params odd = p;
    odd.unit = 16; /* units are 2, 4, 8 (double words) or 32 */
    CHECK_EQ(flash_loader_program(&core, &odd, dest, data, 16, &sr, NULL, NULL, NULL), BMP_ERR_INVALID);
    CHECK_EQ(flash_loader_program(&core, &p, dest, data, 0, &sr, NULL, NULL, NULL), 0);
    close_fixture();
}

/* ---------------------------------------------------------------------- STM32H743 (RM0433) */
#define H7 0x52002000u /* bank 1 */
#define H7_KEYR (H7 + 0x04)
#define H7_CR (H7 + 0x0C)
#define H7_SR (H7 + 0x10)
#define H7_CCR (H7 + 0x14)
#define H7_X64 (3u << 4)
#define H7_BUSY 0x5u          /* BSY, QW */
#define H7_ERRORS 0x006E0000u /* WRPERR PGSERR STRBERR INCERR OPERR */
#define H7_PGSERR (1u << 18)

static void h7(bool over_dap)
{
    CHECK(open_target("stm32h743", over_dap));
    const uint32_t dest = 0x08020000; /* bank 1, sector 1 */
    wr(H7_KEYR, 0x45670123);
    wr(H7_KEYR, 0xCDEF89AB);
    wr(H7_CCR, 0x0FEF0000);
    wr(H7_CR, H7_X64 | 4 | (1u << 8));        /* SER, SNB 1 */
    wr(H7_CR, H7_X64 | 4 | (1u << 8) | 0x80); /* START */
    wait_not_busy(H7_SR, H7_BUSY);
    wr(H7_CR, H7_X64 | 2); /* PG */
    fill_random(data, DATA_SIZE, 743);
    flash_loader_params p = {.ram_base = 0x24000000, .ram_size = 64 * 1024, .sr_addr = H7_SR,
                             .busy_mask = H7_BUSY, .error_mask = H7_ERRORS, .unit = 32};
    program_and_verify("stm32h743", over_dap, &p, dest, DATA_SIZE);
    /* error: a flash word programmed twice without an erase gives PGSERR */
    program_expecting_error(&p, dest, 256, H7_PGSERR);
    CHECK(rd(H7_SR) & H7_PGSERR);
    wr(H7_CCR, H7_PGSERR);
    close_fixture();
}

static void test_f407_words(void)
{
    f4(false);
    f4(true);
}

static void test_f103_half_words_fault_and_timeout(void)
{
    f1(false);
    f1(true);
}

static void test_h743_flash_words(void)
{
    h7(false);
    h7(true);
}

int main(void)
{
    RUN(test_f407_words);
    RUN(test_f103_half_words_fault_and_timeout);
    RUN(test_h743_flash_words);
    return CHECK_SUMMARY();
}
