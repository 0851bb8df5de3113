#include "adiv5/adiv5.h"

#include "common/bytes.h"

#define DP_ABORT 0x0
#define DP_CTRL_STAT 0x4
#define DP_SELECT 0x8
#define AP_CSW 0x00
#define AP_TAR 0x04
#define AP_DRW 0x0C
#define CDBGPWRUPREQ (1u << 28)
#define CDBGPWRUPACK (1u << 29)
#define CSYSPWRUPREQ (1u << 30)
#define CSYSPWRUPACK (1u << 31)
#define ABORT_CLEAR_ALL 0x1Eu     /* ORUNERRCLR, WDERRCLR, STKERRCLR, STKCMPCLR */
#define CSW_BASE 0x23000000u      /* DbgSwEnable-compatible Prot bits, as debuggers use */
#define CSW_SIZE8 0u
#define CSW_SIZE16 1u
#define CSW_SIZE32 2u
#define CSW_INC_SINGLE 0x10u
#define TAR_BLOCK 1024u

static dp_link_ops const *ops(adiv5_dp *dp) { return dp->link->ops; }

bmp_status adiv5_clear_errors(adiv5_dp *dp)
{
    ops(dp)->write(dp->link, false, DP_ABORT, ABORT_CLEAR_ALL);
    return ops(dp)->flush(dp->link);
}

bmp_status adiv5_connect(adiv5_dp *dp, dp_link *link, bool dormant)
{
    dp->link = link;
    dp->select_valid = false;
    dp->csw_valid = false;
    if (dp->power_polls == 0) dp->power_polls = 100;
    bmp_status s = link->ops->connect(link, dormant, &dp->dpidr);
    if (s != BMP_OK) return s;
    if ((s = adiv5_clear_errors(dp)) != BMP_OK) return s;
    ops(dp)->write(link, false, DP_CTRL_STAT, CDBGPWRUPREQ | CSYSPWRUPREQ);
    for (unsigned i = 0; i < dp->power_polls; i++) {
        uint32_t status = 0;
        ops(dp)->read(link, false, DP_CTRL_STAT, &status);
        if ((s = ops(dp)->flush(link)) != BMP_OK) return s;
        if ((status & (CDBGPWRUPACK | CSYSPWRUPACK)) == (CDBGPWRUPACK | CSYSPWRUPACK)) return BMP_OK;
    }
    return BMP_ERR_NO_RESPONSE; /* the power controller never acknowledged */
}

/* Queues a SELECT write when the AP or bank changes. */
static void select_ap(adiv5_dp *dp, uint8_t apsel, uint8_t reg)
{
    uint32_t select = (uint32_t)apsel << 24 | (reg & 0xF0u);
    if (dp->select_valid && dp->select == select) return;
    if (!dp->select_valid || (dp->select >> 24) != apsel) dp->csw_valid = false;
    ops(dp)->write(dp->link, false, DP_SELECT, select);
    dp->select = select;
    dp->select_valid = true;
}

/* After an error the cached SELECT and CSW may not have reached the target. */
static bmp_status fail(adiv5_dp *dp, bmp_status s)
{
    dp->select_valid = false;
    dp->csw_valid = false;
    if (s == BMP_ERR_FAULT || s == BMP_ERR_WAIT) adiv5_clear_errors(dp);
    return s;
}

bmp_status adiv5_ap_read(adiv5_dp *dp, uint8_t apsel, uint8_t reg, uint32_t *value)
{
    select_ap(dp, apsel, reg);
    ops(dp)->read(dp->link, true, reg & 0xC, value);
    bmp_status s = ops(dp)->flush(dp->link);
    return s == BMP_OK ? s : fail(dp, s);
}

bmp_status adiv5_ap_write(adiv5_dp *dp, uint8_t apsel, uint8_t reg, uint32_t value)
{
    select_ap(dp, apsel, reg);
    ops(dp)->write(dp->link, true, reg & 0xC, value);
    if ((reg & 0xFC) == AP_CSW) {
        dp->csw = value;
        dp->csw_valid = true;
    }
    bmp_status s = ops(dp)->flush(dp->link);
    return s == BMP_OK ? s : fail(dp, s);
}

static void set_csw(adiv5_dp *dp, uint8_t apsel, uint32_t csw)
{
    select_ap(dp, apsel, AP_CSW);
    if (dp->csw_valid && dp->csw == csw) return;
    ops(dp)->write(dp->link, true, AP_CSW, csw);
    dp->csw = csw;
    dp->csw_valid = true;
}

/* The widest access for the unaligned edges of a transfer: a halfword where it fits. */
static unsigned edge_size(uint32_t addr, size_t length)
{
    return !(addr & 1) && length >= 2 ? 2 : 1;
}

static size_t words_before_boundary(uint32_t addr, size_t words)
{
    size_t room = (TAR_BLOCK - (addr & (TAR_BLOCK - 1))) / 4;
    return words < room ? words : room;
}

void adiv5_mem_read_words_queued(adiv5_dp *dp, uint8_t apsel, uint32_t addr, uint32_t *words, size_t count)
{
    set_csw(dp, apsel, CSW_BASE | CSW_SIZE32 | CSW_INC_SINGLE);
    for (size_t done = 0; done < count;) { /* one TAR write per TAR block */
        size_t n = words_before_boundary(addr + (uint32_t)(4 * done), count - done);
        ops(dp)->write(dp->link, true, AP_TAR, addr + (uint32_t)(4 * done));
        ops(dp)->read_block(dp->link, words + done, n);
        done += n;
    }
}

/* Words are read in runs of up to READ_RUN bytes (several TAR blocks) before one flush, so that
 * a pipelining link keeps packets in flight across TAR blocks. */
#define READ_RUN 4096u

bmp_status adiv5_mem_read(adiv5_dp *dp, uint8_t apsel, uint32_t addr, uint8_t *data, size_t length)
{
    uint32_t words[READ_RUN / 4];
    while (length > 0) {
        if ((addr & 3) || length < 4) { /* the edges: halfwords where aligned, else bytes */
            unsigned size = edge_size(addr, length);
            uint32_t v = 0;
            set_csw(dp, apsel, CSW_BASE | (size == 2 ? CSW_SIZE16 : CSW_SIZE8));
            ops(dp)->write(dp->link, true, AP_TAR, addr);
            ops(dp)->read(dp->link, true, AP_DRW, &v);
            bmp_status s = ops(dp)->flush(dp->link);
            if (s != BMP_OK) return fail(dp, s);
            for (unsigned i = 0; i < size; i++) *data++ = (uint8_t)(v >> (((addr & 3) + i) * 8));
            addr += size;
            length -= size;
            continue;
        }
        size_t run = length / 4 < READ_RUN / 4 ? length / 4 : READ_RUN / 4;
        adiv5_mem_read_words_queued(dp, apsel, addr, words, run);
        bmp_status s = ops(dp)->flush(dp->link);
        if (s != BMP_OK) return fail(dp, s);
        for (size_t i = 0; i < run; i++, data += 4) put_le32(data, words[i]);
        addr += (uint32_t)(4 * run);
        length -= 4 * run;
    }
    return BMP_OK;
}

/* Queues the writes of [addr, addr+length): the link sends them (a pipelining link keeps them
 * in flight) and consumes the data before returning; errors show at the next flush. */
void adiv5_mem_write_posted(adiv5_dp *dp, uint8_t apsel, uint32_t addr, const uint8_t *data, size_t length)
{
    uint32_t words[TAR_BLOCK / 4];
    while (length > 0) {
        if ((addr & 3) || length < 4) { /* a flash that takes half-words only needs this (F1) */
            unsigned size = edge_size(addr, length);
            uint32_t v = size == 2 ? get_le16(data) : data[0];
            set_csw(dp, apsel, CSW_BASE | (size == 2 ? CSW_SIZE16 : CSW_SIZE8));
            ops(dp)->write(dp->link, true, AP_TAR, addr);
            ops(dp)->write(dp->link, true, AP_DRW, v << ((addr & 3) * 8));
            data += size;
            addr += size;
            length -= size;
            continue;
        }
        size_t n = words_before_boundary(addr, length / 4);
        for (size_t i = 0; i < n; i++, data += 4) words[i] = get_le32(data);
        set_csw(dp, apsel, CSW_BASE | CSW_SIZE32 | CSW_INC_SINGLE);
        ops(dp)->write(dp->link, true, AP_TAR, addr);
        ops(dp)->write_block(dp->link, words, n);
        addr += (uint32_t)(4 * n);
        length -= 4 * n;
    }
}

bmp_status adiv5_mem_write(adiv5_dp *dp, uint8_t apsel, uint32_t addr, const uint8_t *data, size_t length)
{
    adiv5_mem_write_posted(dp, apsel, addr, data, length);
    return adiv5_flush(dp);
}


bmp_status adiv5_mem_read32(adiv5_dp *dp, uint8_t apsel, uint32_t addr, uint32_t *value)
{
    uint8_t b[4];
    bmp_status s = adiv5_mem_read(dp, apsel, addr, b, 4);
    *value = s == BMP_OK ? get_le32(b) : 0;
    return s;
}

bmp_status adiv5_mem_write32(adiv5_dp *dp, uint8_t apsel, uint32_t addr, uint32_t value)
{
    uint8_t b[4];
    put_le32(b, value);
    return adiv5_mem_write(dp, apsel, addr, b, 4);
}

bmp_status adiv5_mem_write16(adiv5_dp *dp, uint8_t apsel, uint32_t addr, const uint8_t *data, size_t length)
{
    uint32_t words[TAR_BLOCK / 2];
    if ((addr & 1) || (length & 1)) return BMP_ERR_INVALID;
    set_csw(dp, apsel, CSW_BASE | CSW_SIZE16 | CSW_INC_SINGLE);
    while (length > 0) {
        /* Half-words in their byte lanes (ADIv5.2 C2.2.6), TAR incrementing by 2, split at the
         * TAR block boundary. */
        size_t room = (TAR_BLOCK - (addr & (TAR_BLOCK - 1))) / 2, n = length / 2 < room ? length / 2 : room;
        for (size_t i = 0; i < n; i++, data += 2)
            words[i] = (uint32_t)get_le16(data) << (((addr + 2 * i) & 2) * 8);
        ops(dp)->write(dp->link, true, AP_TAR, addr);
        ops(dp)->write_block(dp->link, words, n);
        addr += (uint32_t)(2 * n);
        length -= 2 * n;
    }
    bmp_status s = ops(dp)->flush(dp->link);
    return s == BMP_OK ? s : fail(dp, s);
}

/* The banked data registers BD0-BD3 (ADIv5.2 C2.6.3) reach the four words at TAR[31:4]: with
 * TAR set once, a batch of accesses to one 16-byte block needs no TAR writes at all. */
#define AP_BD0 0x10

bmp_status adiv5_banked_begin(adiv5_dp *dp, uint8_t apsel, uint32_t block)
{
    if (block & 0xF) return BMP_ERR_INVALID;
    set_csw(dp, apsel, CSW_BASE | CSW_SIZE32);
    ops(dp)->write(dp->link, true, AP_TAR, block);
    select_ap(dp, apsel, AP_BD0);
    return BMP_OK;
}

void adiv5_banked_read(adiv5_dp *dp, unsigned word, uint32_t *value)
{
    ops(dp)->read(dp->link, true, (uint8_t)(4 * (word & 3)), value);
}

void adiv5_banked_read_match(adiv5_dp *dp, unsigned word, uint32_t mask, uint32_t match)
{
    ops(dp)->read_match(dp->link, true, (uint8_t)(4 * (word & 3)), mask, match);
}

void adiv5_banked_write(adiv5_dp *dp, unsigned word, uint32_t value)
{
    ops(dp)->write(dp->link, true, (uint8_t)(4 * (word & 3)), value);
}

bmp_status adiv5_flush(adiv5_dp *dp)
{
    bmp_status s = ops(dp)->flush(dp->link);
    return s == BMP_OK ? s : fail(dp, s);
}
