/*
 * QEMU TCG plugin (API version 1, QEMU 7.2; the header is not shipped, so the few declarations are written here):
 * counts executed guest instructions exactly (an inline add per instruction) and, when given marker=ADDR, records
 * the count at every guest store to ADDR. At exit it prints "insns N" and one "mark I COUNT DELTA" line per store,
 * DELTA being the instructions since the previous mark (or since reset). With profile=1 it also prints
 * "tb PC INSNS EXECS" per translated block, for attributing counts to functions (tools/mb_profile.sh). Usage:
 *   qemu-system-arm ... -plugin build/mb_count_plugin.so,marker=0x20001000 -d plugin -D counts.txt
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef uint32_t qemu_plugin_meminfo_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*mem_cb_t)(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *user);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, void (*cb)(qemu_plugin_id_t, struct qemu_plugin_tb *));
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op, void *ptr,
                                                uint64_t imm);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, mem_cb_t cb, enum qemu_plugin_cb_flags flags,
                                      enum qemu_plugin_mem_rw rw, void *user);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr,
                                              uint64_t imm);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, void (*cb)(qemu_plugin_id_t, void *), void *user);
void qemu_plugin_outs(const char *string);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define MAX_MARKS 4096
static uint64_t insns, marker, marks[MAX_MARKS];
static int has_marker, nmarks, profile, ntbs;
#define MAX_TBS 65536
static struct { uint64_t pc, insns, execs; } tbs[MAX_TBS];

static void on_store(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *user)
{
    (void)vcpu, (void)info, (void)user;
    if (vaddr == marker && nmarks < MAX_MARKS) marks[nmarks++] = insns;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    if (profile && ntbs < MAX_TBS) { /* a block retranslated later gets a second entry; the sums still add up */
        tbs[ntbs].pc = qemu_plugin_tb_vaddr(tb), tbs[ntbs].insns = qemu_plugin_tb_n_insns(tb);
        qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &tbs[ntbs++].execs, 1);
    }
    for (size_t i = 0, n = qemu_plugin_tb_n_insns(tb); i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &insns, 1);
        if (has_marker) qemu_plugin_register_vcpu_mem_cb(insn, on_store, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_W, 0);
    }
}

static void at_exit_cb(qemu_plugin_id_t id, void *user)
{
    char line[96];
    (void)id, (void)user;
    for (int i = 0; i < nmarks; i++) {
        snprintf(line, sizeof line, "mark %d %" PRIu64 " %" PRIu64 "\n", i, marks[i], marks[i] - (i ? marks[i - 1] : 0));
        qemu_plugin_outs(line);
    }
    for (int i = 0; i < ntbs; i++) {
        snprintf(line, sizeof line, "tb %" PRIx64 " %" PRIu64 " %" PRIu64 "\n", tbs[i].pc, tbs[i].insns, tbs[i].execs);
        qemu_plugin_outs(line);
    }
    snprintf(line, sizeof line, "insns %" PRIu64 "\n", insns);
    qemu_plugin_outs(line);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                                int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++)
        if (strncmp(argv[i], "marker=", 7) == 0) marker = strtoull(argv[i] + 7, NULL, 0), has_marker = 1;
        else if (strcmp(argv[i], "profile=1") == 0) profile = 1;
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, at_exit_cb, NULL);
    return 0;
}
