/* ADIv5 debug port and MEM-AP access above a dp_link (ADIv5.2 B2, C2): connect with the
 * power-up handshake, sticky-error recovery, AP registers, and memory of any length and
 * alignment with the widest accesses, split so that no block crosses a 1 KiB TAR boundary
 * (the architectural minimum of the auto-increment range). */
#ifndef ADIV5_H
#define ADIV5_H

#include "link/dp_link.h"

typedef struct adiv5_dp {
    dp_link *link;
    uint32_t dpidr;
    uint32_t select;       /* the SELECT value last written (APSEL, APBANKSEL) */
    bool select_valid;
    uint32_t csw;          /* the CSW value last written to the selected AP */
    bool csw_valid;
    unsigned power_polls;  /* CTRL/STAT reads to wait for the power-up ACKs */
} adiv5_dp;

bmp_status adiv5_connect(adiv5_dp *dp, dp_link *link, bool dormant);
/* Clears STICKYERR, STICKYCMP, STICKYORUN and WDATAERR through ABORT. */
bmp_status adiv5_clear_errors(adiv5_dp *dp);
/* AP register access; `reg` is the full register offset (0x00-0xFC). */
bmp_status adiv5_ap_read(adiv5_dp *dp, uint8_t apsel, uint8_t reg, uint32_t *value);
bmp_status adiv5_ap_write(adiv5_dp *dp, uint8_t apsel, uint8_t reg, uint32_t value);
/* Memory through a MEM-AP. On a fault the sticky error is cleared and the error returned:
 * the session stays usable. */
bmp_status adiv5_mem_read(adiv5_dp *dp, uint8_t apsel, uint32_t addr, uint8_t *data, size_t length);
bmp_status adiv5_mem_write(adiv5_dp *dp, uint8_t apsel, uint32_t addr, const uint8_t *data, size_t length);
/* The same writes without waiting for them: they go out (a pipelining link keeps them in flight
 * with whatever follows) and `data` may be reused on return; a fault shows at the next
 * adiv5_flush, which must come before the result is relied on. For streaming. */
void adiv5_mem_write_posted(adiv5_dp *dp, uint8_t apsel, uint32_t addr, const uint8_t *data, size_t length);

/* One 32-bit word at a word-aligned `addr`, in the target's byte order (little-endian): the
 * register accesses of the target layer. *value is 0 when the read fails. */
bmp_status adiv5_mem_read32(adiv5_dp *dp, uint8_t apsel, uint32_t addr, uint32_t *value);
bmp_status adiv5_mem_write32(adiv5_dp *dp, uint8_t apsel, uint32_t addr, uint32_t value);

/* Half-word writes only, TAR incrementing (the STM32F1 flash takes nothing else); `addr` and
 * `length` even. */
bmp_status adiv5_mem_write16(adiv5_dp *dp, uint8_t apsel, uint32_t addr, const uint8_t *data, size_t length);

/* A queued batch on one 16-byte block through the banked data registers (no TAR writes per
 * access): begin sets CSW and TAR, then reads and writes of word 0-3 queue, and adiv5_flush
 * executes them all (a CMSIS-DAP link packs them into as few packets as fit). */
bmp_status adiv5_banked_begin(adiv5_dp *dp, uint8_t apsel, uint32_t block);
void adiv5_banked_read(adiv5_dp *dp, unsigned word, uint32_t *value);
void adiv5_banked_write(adiv5_dp *dp, unsigned word, uint32_t value);
/* A read of word 0-3 repeated until (value & mask) == match (bounded; else the flush gives
 * BMP_ERR_MISMATCH): a batch waits for a status bit without a round trip. */
void adiv5_banked_read_match(adiv5_dp *dp, unsigned word, uint32_t mask, uint32_t match);
/* Queues reads of `count` words at word-aligned `addr` into `words` (split at TAR blocks); they
 * land at the next adiv5_flush. For batches that read memory along with other things. */
void adiv5_mem_read_words_queued(adiv5_dp *dp, uint8_t apsel, uint32_t addr, uint32_t *words, size_t count);
bmp_status adiv5_flush(adiv5_dp *dp);

#endif
