/* Monitor commands (`monitor ...` in GDB, qRcmd), named and behaving as on the Black Magic
 * Probe where they apply. Unique prefixes are accepted, as there. */
#include "gdb/gdb_server.h"
#include "cortexm/debug_regs.h"
#include "families/family.h"
#include "flash/flash.h"
#include "gdb/hex.h"


typedef struct monitor_command {
    const char *name;
    bool (*run)(gdb_server *g, int argc, const char **argv);
    const char *help;
} monitor_command;

static bool same(const char *a, const char *b)
{
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

static bool prefix_of(const char *word, const char *name)
{
    if (!*word) return false;
    while (*word && *word == *name) word++, name++;
    return *word == 0;
}

static void print_number(char *out, uint32_t v)
{
    char tmp[11];
    int n = 0;
    do tmp[n++] = (char)('0' + v % 10); while ((v /= 10) && n < 10);
    while (n) *out++ = tmp[--n];
    *out = 0;
}

static bool parse_decimal(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    if (!*s) return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 429496729u) return false;
        v = v * 10 + (uint32_t)(*s - '0');
    }
    *out = v;
    return true;
}

/* enable/disable argument; prints the current state when absent. */
static bool toggle(gdb_server *g, int argc, const char **argv, bool *flag, const char *what)
{
    if (argc > 1) {
        if (prefix_of(argv[1], "enable") || same(argv[1], "on")) *flag = true;
        else if (prefix_of(argv[1], "disable") || same(argv[1], "off")) *flag = false;
        else {
            gdb_console(g, "Use enable or disable.\n");
            return false;
        }
    }
    gdb_console(g, what);
    gdb_console(g, *flag ? ": enabled\n" : ": disabled\n");
    return true;
}

static bool cmd_help(gdb_server *g, int argc, const char **argv);

static bool cmd_version(gdb_server *g, int argc, const char **argv)
{
    (void)argc, (void)argv;
    gdb_console(g, GDB_VERSION ", a GDB server for Arm Cortex-M (Black Magic Probe compatible)\n");
    return true;
}

static bool cmd_scan(gdb_server *g, int argc, const char **argv)
{
    (void)argc, (void)argv;
    if (g->probe->attached >= 0) {
        gdb_console(g, "Detaching from the current target first.\n");
        gdb_detach(g); /* its software breakpoints come out of RAM first */
    }
    if (probe_scan(g->probe) != BMP_OK) {
        gdb_console(g, "SW-DP scan failed: no target answers (check power, wiring and nRST).\n");
        return false;
    }
    unsigned n = g->probe->target_count;
    if (n == 0) {
        gdb_console(g, "SW-DP scan found a debug port but no Cortex-M core.\n");
        return false;
    }
    gdb_console(g, "Available Targets:\nNo. Att Driver\n");
    for (unsigned i = 0; i < n; i++) {
        const probe_target *t = &g->probe->targets[i];
        char line[96], num[12];
        print_number(num, i + 1);
        const char *name = t->part_name ? t->part_name : "Cortex-M";
        unsigned k = 0;
        line[k++] = ' ';
        for (const char *s = num; *s; s++) line[k++] = *s;
        for (const char *s = "      "; *s; s++) line[k++] = *s;
        for (const char *s = name; *s && k < 60; s++) line[k++] = *s;
        line[k++] = ' ';
        for (const char *s = probe_core_name(t->core); *s && k < 90; s++) line[k++] = *s;
        line[k++] = '\n';
        line[k] = 0;
        gdb_console(g, line);
        const char *said = t->refusal; /* it cannot be attached as it is; or a warning */
        if (!said && t->flash_closed) said = "flash read-protected: `monitor rdp 0` ERASES it to unprotect";
        if (said) {
            gdb_console(g, "    ");
            gdb_console(g, said);
            gdb_console(g, "\n");
        }
    }
    return true;
}

static bool cmd_targets(gdb_server *g, int argc, const char **argv)
{
    (void)argc, (void)argv;
    if (!g->probe->connected || g->probe->target_count == 0) {
        gdb_console(g, "No usable targets found: run `monitor swdp_scan`.\n");
        return true;
    }
    gdb_console(g, "Available Targets:\nNo. Att Driver\n");
    for (unsigned i = 0; i < g->probe->target_count; i++) {
        char line[96], num[12];
        print_number(num, i + 1);
        unsigned k = 0;
        line[k++] = ' ';
        for (const char *s = num; *s; s++) line[k++] = *s;
        for (const char *s = (int)i == g->probe->attached ? "   *  " : "      "; *s; s++) line[k++] = *s;
        const char *name = (int)i == g->probe->attached ? probe_part_name(g->probe)
                           : g->probe->targets[i].part_name ? g->probe->targets[i].part_name : "Cortex-M";
        for (const char *s = name; *s && k < 60; s++) line[k++] = *s;
        line[k++] = ' ';
        for (const char *s = probe_core_name(g->probe->targets[i].core); *s && k < 90; s++) line[k++] = *s;
        line[k++] = '\n';
        line[k] = 0;
        gdb_console(g, line);
    }
    return true;
}

static bool cmd_frequency(gdb_server *g, int argc, const char **argv)
{
    char num[12];
    if (argc > 1) {
        uint32_t hz = 0;
        const char *s = argv[1];
        char digits[12];
        unsigned k = 0;
        uint32_t scale = 1;
        while (*s >= '0' && *s <= '9' && k < 10) digits[k++] = *s++;
        digits[k] = 0;
        if (*s == 'k' || *s == 'K') scale = 1000, s++;
        else if (*s == 'M') scale = 1000000, s++;
        if (*s || !parse_decimal(digits, &hz) || hz == 0 || hz > 100000000u / scale) {
            gdb_console(g, "Usage: monitor frequency <Hz>, e.g. 4M or 400k\n");
            return false;
        }
        g->frequency_hz = hz * scale;
    }
    gdb_console(g, "SWD frequency: ");
    if (g->frequency_hz) {
        print_number(num, g->frequency_hz);
        gdb_console(g, num);
        gdb_console(g, " Hz requested\n");
    } else {
        gdb_console(g, "the probe's default\n");
    }
    return true;
}

static bool cmd_connect_rst(gdb_server *g, int argc, const char **argv)
{
    return toggle(g, argc, argv, &g->connect_under_reset, "Assert nRST during connect");
}

static bool cmd_redirect(gdb_server *g, int argc, const char **argv)
{
    return toggle(g, argc, argv, &g->redirect_stdout, "Semihosting output to the GDB console");
}

/* False, with the reason on the console, unless a core is attached. */
static bool attached_or_say(gdb_server *g)
{
    if (g->probe->attached >= 0) return true;
    gdb_console(g, "Not attached: `attach N` first.\n");
    return false;
}

/* "<what> failed: <why>.": false. */
static bool say_failed(gdb_server *g, const char *what, bmp_status s)
{
    const char *why = bmp_status_message(s);
    gdb_console(g, what);
    gdb_console(g, " failed: ");
    gdb_console(g, why ? why : "unknown error");
    gdb_console(g, ".\n");
    return false;
}

static bool cmd_reset(gdb_server *g, int argc, const char **argv)
{
    (void)argc, (void)argv;
    if (!attached_or_say(g)) return false;
    bool halted = g->run == GDB_IDLE;
    gdb_forget_halt_state(g);
    if (cortexm_reset(&g->probe->core, halted) != 0) {
        gdb_console(g, "Reset failed.\n");
        return false;
    }
    gdb_console(g, halted ? "Target reset; halted at the reset vector.\n" : "Target reset.\n");
    return true;
}

static bool cmd_halt_timeout(gdb_server *g, int argc, const char **argv)
{
    char num[12];
    if (argc > 1) {
        uint32_t ms = 0;
        if (!parse_decimal(argv[1], &ms) || ms == 0 || ms > 600000) {
            gdb_console(g, "Usage: monitor halt_timeout <milliseconds>\n");
            return false;
        }
        g->halt_timeout_ms = ms;
        if (g->probe->attached >= 0) g->probe->core.polls = ms; /* about one poll per millisecond */
    }
    print_number(num, g->halt_timeout_ms);
    gdb_console(g, "Halt timeout: ");
    gdb_console(g, num);
    gdb_console(g, " ms\n");
    return true;
}

static const struct {
    const char *name;
    uint32_t bit;
} catches[] = {{"reset", 1u << 0}, {"mm", 1u << 4}, {"nocp", 1u << 5}, {"chk", 1u << 6}, {"stat", 1u << 7},
               {"bus", 1u << 8},   {"int", 1u << 9}, {"hard", 1u << 10}};

static bool cmd_vector_catch(gdb_server *g, int argc, const char **argv)
{
    if (argc > 2) {
        bool on = prefix_of(argv[1], "enable");
        if (!on && !prefix_of(argv[1], "disable")) argc = 0;
        for (int i = 2; argc && i < argc; i++) {
            bool found = false;
            for (unsigned k = 0; k < sizeof catches / sizeof catches[0]; k++)
                if (same(argv[i], catches[k].name)) {
                    g->vector_catch = on ? g->vector_catch | catches[k].bit : g->vector_catch & ~catches[k].bit;
                    found = true;
                }
            if (!found) argc = 0;
        }
        if (!argc) {
            gdb_console(g, "Usage: monitor vector_catch <enable|disable> <reset|hard|int|bus|stat|chk|nocp|mm>...\n");
            return false;
        }
        if (g->probe->attached >= 0) {
            uint32_t demcr = 0;
            if (cortexm_read32(&g->probe->core, DEMCR, &demcr) == BMP_OK) {
                for (unsigned k = 0; k < sizeof catches / sizeof catches[0]; k++) demcr &= ~catches[k].bit;
                cortexm_write32(&g->probe->core, DEMCR, demcr | g->vector_catch);
            }
        }
    } else if (argc == 2) {
        gdb_console(g, "Usage: monitor vector_catch <enable|disable> <reset|hard|int|bus|stat|chk|nocp|mm>...\n");
        return false;
    }
    gdb_console(g, "Catching vectors:");
    for (unsigned k = 0; k < sizeof catches / sizeof catches[0]; k++)
        if (g->vector_catch & catches[k].bit) {
            gdb_console(g, " ");
            gdb_console(g, catches[k].name);
        }
    gdb_console(g, g->vector_catch ? "\n" : " none\n");
    return true;
}

static bool cmd_erase_mass(gdb_server *g, int argc, const char **argv)
{
    (void)argc, (void)argv;
    if (!attached_or_say(g)) return false;
    gdb_console(g, "Erasing the whole flash...\n");
    gdb_forget_halt_state(g);
    bmp_status s = flash_mass_erase(g->probe);
    if (s != BMP_OK) return say_failed(g, "Mass erase", s);
    gdb_console(g, "Flash erased.\n");
    return true;
}

/* `rdp`: the read-out protection level (and RDP byte); `rdp 0`: back to level 0 through the
 * option bytes, which makes the part mass-erase its flash (flash_rdp_regress). */
static bool cmd_rdp(gdb_server *g, int argc, const char **argv)
{
    if (argc > 2 || (argc == 2 && !(argv[1][0] == '0' && argv[1][1] == 0))) {
        gdb_console(g, "Usage: monitor rdp [0]\n");
        return false;
    }
    if (!attached_or_say(g)) return false;
    flash_rdp rdp;
    bmp_status s = flash_read_protection(g->probe, &rdp);
    if (s != BMP_OK) return say_failed(g, "Reading RDP", s);
    if (!rdp.driven) {
        gdb_console(g, "RDP: not driven for this part.\n");
        return false;
    }
    char text[20] = "RDP level 0";
    text[10] = (char)('0' + rdp.level);
    if (rdp.has_byte) { /* " (0xNN)" */
        text[11] = ' ', text[12] = '(', text[13] = '0', text[14] = 'x', text[17] = ')';
        hex_encode(&rdp.byte, 1, text + 15);
    }
    gdb_console(g, text);
    gdb_console(g, ".\n");
    if (argc == 1) return true;
    if (rdp.level == 0) {
        gdb_console(g, "Nothing to remove.\n");
        return true;
    }
    gdb_console(g, "Removing it: the part ERASES ITS FLASH...\n");
    gdb_forget_halt_state(g);
    if ((s = flash_rdp_regress(g->probe)) != BMP_OK) return say_failed(g, "Removing RDP", s);
    gdb_console(g, "Removed; `monitor reset` before using the flash.\n");
    return true;
}

static bool cmd_jtag_scan(gdb_server *g, int argc, const char **argv)
{
    (void)argc, (void)argv;
    gdb_console(g, "JTAG is not supported: this probe speaks SWD. Use `monitor swdp_scan`.\n");
    return false;
}

static const monitor_command commands[] = {
    {"help", cmd_help, "Display help for monitor commands"},
    {"version", cmd_version, "Display the version of the server"},
    {"swdp_scan", cmd_scan, "Scan the SW-DP for Cortex-M targets"},
    {"swd_scan", cmd_scan, "Alias of swdp_scan"},
    {"jtag_scan", cmd_jtag_scan, "Not supported (SWD only)"},
    {"targets", cmd_targets, "Display the list of available targets"},
    {"frequency", cmd_frequency, "Set the SWD frequency: (Hz, or with k/M)"},
    {"connect_rst", cmd_connect_rst, "Assert nRST while connecting: (enable|disable)"},
    {"connect_srst", cmd_connect_rst, "Alias of connect_rst"},
    {"reset", cmd_reset, "Reset the target"},
    {"halt_timeout", cmd_halt_timeout, "Time to wait for the core to halt: (ms)"},
    {"vector_catch", cmd_vector_catch, "Catch exception vectors: (enable|disable) (reset|hard|int|bus|stat|chk|nocp|mm)"},
    {"redirect_stdout", cmd_redirect, "Semihosting output to the GDB console: (enable|disable)"},
    {"erase_mass", cmd_erase_mass, "Erase the whole flash"},
    {"rdp", cmd_rdp, "Show the read-out protection; `rdp 0` removes it (the part MASS-ERASES its flash)"},
};

#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static void help_line(gdb_server *g, const char *name, const char *help)
{
    gdb_console(g, "\t");
    gdb_console(g, name);
    gdb_console(g, " -- ");
    gdb_console(g, help);
    gdb_console(g, "\n");
}

/* The family's own commands (family.h): the attached part's, or the one the scan recognised. */
static const target_family *family_of(const gdb_server *g)
{
    const target_family *f = probe_family(g->probe);
    return f && f->command_count ? f : 0;
}

static void print_console(void *ctx, const char *text)
{
    gdb_console((gdb_server *)ctx, text);
}

/* The family's command with this full name, or NULL. */
static const family_command *family_command_named(const target_family *f, const char *name)
{
    for (unsigned i = 0; f && i < f->command_count; i++)
        if (same(name, f->commands[i].name)) return &f->commands[i];
    return 0;
}

static gdb_monitor_result run_family_command(gdb_server *g, const family_command *c, int argc, const char **argv)
{
    gdb_forget_halt_state(g);
    return c->run(g->probe, argc, argv, print_console, g) ? GDB_MONITOR_DONE : GDB_MONITOR_FAILED;
}

static bool cmd_help(gdb_server *g, int argc, const char **argv)
{
    (void)argc, (void)argv;
    gdb_console(g, "General commands:\n");
    for (unsigned i = 0; i < COMMAND_COUNT; i++) help_line(g, commands[i].name, commands[i].help);
    const target_family *f = family_of(g);
    if (f) {
        gdb_console(g, f->name);
        gdb_console(g, " commands:\n");
        for (unsigned i = 0; i < f->command_count; i++) help_line(g, f->commands[i].name, f->commands[i].help);
    }
    for (unsigned i = 0; i < g->extra_monitor_count; i++) help_line(g, g->extra_monitors[i].name, g->extra_monitors[i].help);
    return true;
}

/* The name of command `i`: the core's own, then the embedding's. */
static const char *command_name(const gdb_server *g, unsigned i)
{
    return i < COMMAND_COUNT ? commands[i].name : g->extra_monitors[i - COMMAND_COUNT].name;
}

bool gdb_server_add_monitor(gdb_server *g, const char *name, const char *help)
{
    if (g->extra_monitor_count == GDB_EXTRA_MONITORS || !name || !*name || !help) return false;
    for (const char *s = name; *s; s++)
        if (*s == ' ' || *s == '\t') return false;
    for (unsigned i = 0; i < COMMAND_COUNT + g->extra_monitor_count; i++)
        if (same(name, command_name(g, i))) return false;
    g->extra_monitors[g->extra_monitor_count].name = name;
    g->extra_monitors[g->extra_monitor_count].help = help;
    g->extra_monitor_count++;
    return true;
}

/* Parks an embedding's command for gdb_server_monitor_request: its full name, then what followed
 * the word that named it, as typed. */
static gdb_monitor_result park(gdb_server *g, const char *name, const char *command)
{
    while (*command == ' ' || *command == '\t') command++;
    while (*command && *command != ' ' && *command != '\t') command++;
    size_t k = 0;
    for (; *name && k + 1 < sizeof g->monitor_request; name++) g->monitor_request[k++] = *name;
    for (; *command && k + 1 < sizeof g->monitor_request; command++) g->monitor_request[k++] = *command;
    g->monitor_request[k] = 0;
    g->monitor_parked = true;
    g->monitor_seq++;
    return GDB_MONITOR_PARKED;
}

gdb_monitor_result gdb_monitor(gdb_server *g, const char *command)
{
    char words[256];
    const char *argv[8];
    int argc = 0;
    unsigned k = 0;
    for (const char *s = command; *s && k + 1 < sizeof words;) {
        while (*s == ' ' || *s == '\t') s++;
        if (!*s) break;
        if (argc == 8) break;
        argv[argc++] = &words[k];
        while (*s && *s != ' ' && *s != '\t' && k + 1 < sizeof words) words[k++] = *s++;
        words[k++] = 0;
    }
    if (argc == 0) return cmd_help(g, 0, argv) ? GDB_MONITOR_DONE : GDB_MONITOR_FAILED;
    const target_family *f = family_of(g);
    const family_command *own = family_command_named(f, argv[0]);
    if (own) return run_family_command(g, own, argc, argv);
    unsigned total = COMMAND_COUNT + g->extra_monitor_count, match = total;
    for (unsigned i = 0; i < total; i++) {
        if (same(argv[0], command_name(g, i))) {
            match = i;
            break;
        }
        if (prefix_of(argv[0], command_name(g, i))) {
            if (match != total) {
                gdb_console(g, "Ambiguous command; `monitor help` lists them.\n");
                return GDB_MONITOR_FAILED;
            }
            match = i;
        }
    }
    if (match == total) {
        /* A unique prefix of one of the family's own commands. */
        const family_command *c = 0;
        for (unsigned i = 0; f && i < f->command_count; i++)
            if (prefix_of(argv[0], f->commands[i].name)) c = c ? (const family_command *)-1 : &f->commands[i];
        if (c && c != (const family_command *)-1) return run_family_command(g, c, argc, argv);
        gdb_console(g, c ? "Ambiguous command; `monitor help` lists them.\n" : "Unknown command; `monitor help` lists them.\n");
        return GDB_MONITOR_FAILED;
    }
    /* A family may give a general command its own meaning (the nRF52's erase_mass works on a
     * protected part, through its CTRL-AP): the family's command of that name runs instead. */
    if ((own = family_command_named(f, command_name(g, match))) != 0) return run_family_command(g, own, argc, argv);
    if (match >= COMMAND_COUNT) return park(g, command_name(g, match), command);
    return commands[match].run(g, argc, argv) ? GDB_MONITOR_DONE : GDB_MONITOR_FAILED;
}
