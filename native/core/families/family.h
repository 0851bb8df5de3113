/* Target families as a table: everything the debugger knows of a family of parts, in one
 * constant struct per family, one file per family (stm32f1.c, stm32g0.c, nrf52.c, ...). The
 * probe session identifies the part through the table, the flash layer (flash/flash.c) programs
 * it through the family's flash driver, and the GDB server's monitor command list is extended by
 * the family's own commands. Nothing here is mutable: a family's state lives in the
 * probe_session (the part it filled in), so sessions on different probes never meet.
 *
 * Adding a family: write its file with a `const target_family`, add it to families.c. Nothing
 * else changes (not the GDB server, not the other families). */
#ifndef FAMILY_H
#define FAMILY_H

#include "flash/flash_loader.h"
#include "cortexm/probe_session.h"

struct flash_rdp;
typedef struct family_flash family_flash;

/* The flash driver. `f` is the driver itself (drivers shared by several families read their
 * constants from f->data). The flash layer checks the range and the alignment before it calls;
 * `index` is the erase block's number within its bank. */
struct family_flash {
    const void *data;
    uint8_t unit; /* bytes per program operation (2, 4, 8 or 32): programs are padded to it (a driver
                   * whose flash programs larger pages pads those itself, with 0xFF) */
    /* The bank holding `addr`: [*start, *end) (NULL: one bank, all of the flash). A run of the
     * loader never crosses into another bank; block numbers restart at each. */
    void (*bank)(const probe_session *p, const family_flash *f, uint32_t addr, uint32_t *start, uint32_t *end);
    /* Before programming in the bank of `addr` (unlock, clear stale flags), and after it (lock). */
    bmp_status (*begin)(probe_session *p, const family_flash *f, uint32_t addr);
    void (*end)(probe_session *p, const family_flash *f, uint32_t addr);
    bmp_status (*erase_block)(probe_session *p, const family_flash *f, uint32_t start, uint32_t index);
    /* Optional: erases the whole blocks of [start, end) at once, for a part that erases a large
     * aligned area faster than its blocks one by one (the RP2040's 64 KiB block erase); NULL:
     * block by block. */
    bmp_status (*erase_range)(probe_session *p, const family_flash *f, uint32_t start, uint32_t end);
    bmp_status (*mass_erase)(probe_session *p, const family_flash *f);
    /* Optional, for a part whose bank erase takes about one block's time (F1, G0, L4: one page's
     * 20-40 ms, where erasing the pages one by one takes that for each): erase_bank erases the
     * bank starting at `bank`, loader_bank_erase gives the loader's register writes for the same
     * (its start is `bank`). The flash layer uses them when an erase or a write covers every block
     * of a bank, as OpenOCD does; NULL: block by block. */
    bmp_status (*erase_bank)(probe_session *p, const family_flash *f, uint32_t bank);
    flash_loader_erase (*loader_bank_erase)(const family_flash *f, uint32_t bank);
    /* Programs whole units through the MEM-AP (between begin and end). */
    bmp_status (*program)(probe_session *p, const family_flash *f, uint32_t addr, const uint8_t *data, size_t length);
    /* Nonzero: `program` takes up to this many bytes straight from the image, any length (it pads
     * what its pages need with 0xFF itself), so that it can overlap the link with the flash; 0:
     * 4 KiB at a time, through a copy padded to the unit. */
    uint32_t program_run;
    /* The on-target loader (flash_loader.h), NULL where the part cannot use it: loader_begin sets
     * the controller up for programming in the bank of `addr` and fills the controller fields of
     * `params`; loader_erase gives the register writes that erase one block; loader_end turns
     * the loader's result (with the status register it saw) into a flash status and leaves the
     * controller idle. */
    bmp_status (*loader_begin)(probe_session *p, const family_flash *f, uint32_t addr, flash_loader_params *params);
    flash_loader_erase (*loader_erase)(const family_flash *f, uint32_t bank, uint32_t start, uint32_t index);
    bmp_status (*loader_end)(probe_session *p, const family_flash *f, uint32_t addr, bmp_status s, uint32_t sr);
    /* Read-out protection (flash.h), NULL where the family has none modelled. */
    bmp_status (*read_protection)(probe_session *p, const family_flash *f, struct flash_rdp *rdp);
    bmp_status (*rdp_regress)(probe_session *p, const family_flash *f);
};

/* Where a family's monitor command writes its output (the GDB console). */
typedef void (*family_print)(void *ctx, const char *text);

typedef struct family_command {
    const char *name;
    const char *help;
    /* Runs with the session scanned (attached or not: a recovery must work on a part that
     * refuses to attach). True on success. */
    bool (*run)(probe_session *p, int argc, const char **argv, family_print print, void *ctx);
} family_command;

typedef struct target_family {
    const char *name; /* "STM32G0" */
    /* Identifies the part behind the MEM-AP `apsel` (reading its ID registers) and fills `info`
     * (name, memory map, info->family). False: not this family. */
    bool (*identify)(probe_session *p, uint8_t apsel, part_info *info);
    /* ST parts: the part with this DBGMCU DEV_ID (`flash_kib` from the flash-size register, 0 if
     * unknown) and the address of its flash-size register (0: none). NULL for other vendors. */
    bool (*part_by_dev_id)(uint16_t dev_id, uint32_t flash_kib, part_info *info);
    uint32_t (*flash_size_register)(uint16_t dev_id);
    /* Recognises the family from the debug port alone, for a part whose MEM-AP refuses access
     * (the nRF52's APPROTECT): the APs found by the scan. NULL: never. */
    bool (*recognise_aps)(const adiv5_ap_info *aps, unsigned count);
    /* Before the core is attached: refuses, with a status and a reason naming what to do, a part
     * that cannot be debugged as it is (NULL: no check). */
    bmp_status (*attach_check)(probe_session *p, uint8_t apsel, const char **reason);
    /* A reset other than SYSRESETREQ with vector catch (NULL: cortexm_reset). */
    bmp_status (*reset)(probe_session *p, bool halt);
    /* SWD multidrop (ADIv5.2 B4.3.4): a part whose cores sit behind several DPs on one wire.
     * `multidrop_targetid` is its DP TARGETID without TREVISION (bits 27:0); `targetsels` the
     * TARGETSEL of each DP with a core, in the order the scan lists them (0 count: none). */
    uint32_t multidrop_targetid;
    const uint32_t *targetsels;
    unsigned targetsel_count;
    const family_flash *flash;
    const family_command *commands;
    unsigned command_count;
} target_family;

/* Every family, in the order identification tries them; NULL-terminated. */
extern const target_family *const target_families[];

/* Identifies the part behind `apsel` through the table; false if no family knows it. */
bool family_identify(probe_session *p, uint8_t apsel, part_info *info);
/* The family whose multidrop TARGETID this is (bits 27:0 compared), or NULL. */
const target_family *family_from_targetid(uint32_t targetid);
/* The family a scan recognises from its APs alone, or NULL. */
const target_family *family_from_aps(const adiv5_ap_info *aps, unsigned count);

#endif
