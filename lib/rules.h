/*
 * rules.h: the rule table, the reporting context and the libxc rule state.
 *
 * One rule lives in one place: the checks in rules_libxc.c run on every
 * record the reader reads and (later) on every record the writer emits.
 * They see only the record's header fields and body octets, never the
 * handle that produced them.
 */
#ifndef MIGSTREAM_RULES_H
#define MIGSTREAM_RULES_H

#ifndef MIGSTREAM_BUILDING
#error "rules.h is private to libmigstream"
#endif

#include <stddef.h>
#include <stdint.h>
#include "migstream.h"
#include "rules_table.h"

#define MS_PRINTF(f, a) __attribute__((format(printf, f, a)))

enum ms_rule_id {
#define MS_RULE_ENUM(name, id, sev, code, layer, deep, about, xen, summary, text) R_##name,
	MS_RULES(MS_RULE_ENUM)
#undef MS_RULE_ENUM
	MS_RULE_COUNT
};

/* Spec severities (rules.md 1.1), before the mode is applied. */
enum { MS_SEV_E, MS_SEV_S, MS_SEV_W, MS_SEV_C, MS_SEV_I };

struct ms_rule {
	const char *id;
	uint8_t sev;
	int8_t code;
	uint8_t layer;
	uint8_t deep;
	const char *about, *xen, *summary, *text;
};
extern const struct ms_rule ms_rules[MS_RULE_COUNT];

/*
 * Where findings go.  The location fields describe the item being checked
 * and are set by the caller before running the checks.
 */
#define MS_MSG_MAX 480
struct ms_ctx {
	int mode;                      /* MIGSTREAM_MODE_* */
	migstream_diag_fn fn;
	void *fn_ctx;
	uint64_t counts[3];            /* by applied severity */
	uint64_t anomalies;            /* tolerated warning/S findings */

	/* Location of the current item. */
	uint32_t layer;
	uint32_t rec_type;
	uint64_t rec_offset;
	uint64_t rec_index;            /* MIGSTREAM_NO_RECORD in headers */
	const char *what;              /* "libxc image header", ... for headers */
	int allow_be;                  /* writer: big-endian chosen by the caller (IHDR-6 a warning) */

	/* First error since ms_ctx_reset_error(). */
	int err_code;
	migstream_diag err;
	char err_msg[MS_MSG_MAX + 96];        /* "RULE: " + err_text */
	char err_text[MS_MSG_MAX + 64];
	char scratch[MS_MSG_MAX + 64];
};

void ms_ctx_init(struct ms_ctx *c, int mode);
void ms_ctx_reset_error(struct ms_ctx *c);

/*
 * Report rule `rule` at stream offset `offset`.  Applies the mode; returns
 * the rule's status code when the finding is an error (in every mode, lax
 * included: the caller decides whether to go on), 0 otherwise.
 */
int ms_report(struct ms_ctx *c, enum ms_rule_id rule, uint64_t offset,
              const char *fmt, ...) MS_PRINTF(4, 5);
/* Same with the severity chosen by the caller (MS_SEV_*): compat rules,
 * PV-14's two grades, CKPT-5's channel/file split. */
int ms_report_sev(struct ms_ctx *c, enum ms_rule_id rule, int sev, int code,
                  uint64_t offset, const char *fmt, ...) MS_PRINTF(6, 7);
/* A failure that is no rule (I/O, memory, misuse): recorded as the error. */
int ms_fail(struct ms_ctx *c, int code, int sys_errno, uint64_t offset,
            const char *fmt, ...) MS_PRINTF(5, 6);

/* A misuse of the API (bad argument, call in the wrong state): recorded as
 * the error, "fn: detail", but neither delivered to the diagnostic
 * callback nor counted: it says nothing about the stream. */
int ms_usage(struct ms_ctx *c, int code, const char *fn, const char *fmt, ...) MS_PRINTF(4, 5);

/* A finding that is no rule of the spec (limits of this library). */
void ms_note(struct ms_ctx *c, uint32_t severity, uint64_t offset, const char *fmt, ...)
	MS_PRINTF(4, 5);

/* ---------------------------------------------------------------- pfn map */
/*
 * Deep checks keep the last page type received per pfn: 4 bits per pfn
 * (type ^ 0x8; 0x8 itself = never received), in 2 KiB leaves of 4096 pfns found
 * through a sorted directory, so memory follows the pfns actually sent.
 */
struct ms_pfnmap {
	struct ms_leaf { uint64_t base; uint8_t *bits; } *dir;
	size_t n, cap;
	size_t last;               /* cache: index of the last leaf used */
	uint64_t bytes, budget;    /* memory used and allowed */
	int over;                  /* budget exceeded: map incomplete */
};
void ms_pfnmap_init(struct ms_pfnmap *m, uint64_t budget);
void ms_pfnmap_free(struct ms_pfnmap *m);
/* 0; -1 when the budget ran out (the map is then incomplete); -2 when
 * memory ran out. */
int ms_pfnmap_set(struct ms_pfnmap *m, uint64_t pfn, uint32_t type);
/* Last type received for pfn, or -1 if never received (or unknown). */
int ms_pfnmap_get(const struct ms_pfnmap *m, uint64_t pfn);

/* ---------------------------------------------------------------- libxc rules */
struct ms_vcpu_basic {             /* fields of the last BASIC per vCPU (PV-29..31) */
	uint32_t vcpu;
	uint64_t rdx, gdt_ents, cr1, cr3;
	uint64_t gdt_frames[16];
	uint64_t offset, index;        /* of the record */
};

struct ms_start_info {             /* candidate start_info pages seen (PV-29) */
	uint64_t pfn, store, console;
};
#define MS_START_INFO_SLOTS 16

#define MS_VCPU_TRACK 8192u         /* vCPU ids tracked (hypervisor ceiling) */

struct ms_p2m_frame { uint64_t index, pfn, seq; };
#define MS_FRAMES_MAX (1u << 20)        /* p2m frames kept: guests up to 2 TiB (64-bit) */

struct ms_libxc {
	/* Knowledge and options. */
	int deep;
	int channel;
	int kind;                     /* MIGSTREAM_KIND_* as declared */
	int guest_type;               /* MIGSTREAM_GUEST_* known to the caller */
	int guest_type_from_config;   /* ... or learnt from the xl config (XL-14) */
	uint32_t vcpus;               /* 0 = unknown */
	uint64_t p2m_size;            /* 0 = unknown */

	/* Headers. */
	int be;
	uint32_t version;
	uint32_t dtype;               /* 1, 2, or other (then generic checks only) */
	uint32_t xen_major, xen_minor;

	/* Sequence state. */
	int static_end;               /* 0 none, 1 explicit, 2 inferred (v2) */
	int pv_info;                  /* X86_PV_INFO seen */
	uint8_t width, levels;
	uint32_t fpp;
	int have_p2m;
	uint64_t max_pfn;
	int seen_page_data;
	int seen_vcpu;
	int vcpu0_basic;              /* X86_PV_VCPU_BASIC for vCPU 0 seen */
	int seen_shared_info;
	int seen_tsc;
	int seen_hvm_context;         /* in this image */
	int seen_cpuid, seen_msr;     /* in this image */
	int verify_count;
	int checkpoints;              /* CHECKPOINT records seen */
	uint64_t since_checkpoint;    /* records after the last CHECKPOINT */
	int ended;                    /* END seen */

	/* Per segment (plain image or checkpoint segment). */
	int seg_hvm_context, seg_tsc;
	uint8_t *seg_vcpu_seen;       /* MS_VCPU_TRACK x 4 bits (BASIC, EXT, XSAVE, MSRS) */

	/* Deep state. */
	struct ms_pfnmap map;
	struct ms_vcpu_basic *basic;  /* sorted by vcpu id, one per vCPU seen */
	uint32_t basic_n, basic_cap;
	struct ms_start_info start_info[MS_START_INFO_SLOTS];
	unsigned start_info_next;
	struct ms_p2m_frame *frames;
	size_t frames_n, frames_cap;
	int frames_over;              /* too many to keep */
	int map_warned;
};

/* Lifecycle. */
void ms_libxc_init(struct ms_libxc *x);
void ms_libxc_free(struct ms_libxc *x);
/* A new image in the same stream: state forgotten, knowledge and options kept. */
void ms_libxc_restart(struct ms_libxc *x, uint64_t map_budget);

/* Header checks: hdr points at 24 (image) / 16 (domain) octets whose first
 * octet is at stream offset `off`.  Return the first error code or 0. */
int ms_libxc_image_header(struct ms_libxc *x, struct ms_ctx *c, const uint8_t *hdr, uint64_t off);
int ms_libxc_domain_header(struct ms_libxc *x, struct ms_ctx *c, const uint8_t *hdr, uint64_t off);

/*
 * Record checks.  `body` holds `avail` octets of a body of `len` octets
 * (avail < len only for PAGE_DATA, whose pages are checked separately with
 * ms_libxc_page()).  `pad` points at the padding octets or is NULL when they
 * were not read (checked later with ms_libxc_padding()).  c's location is
 * the record.  Returns the first error code or 0.
 */
int ms_libxc_record(struct ms_libxc *x, struct ms_ctx *c, uint32_t type, uint32_t len,
                    const uint8_t *body, size_t avail);
int ms_libxc_padding(struct ms_libxc *x, struct ms_ctx *c, const uint8_t *pad, uint32_t n,
                     uint64_t off);
/* Does this PAGE_DATA need its page contents seen (deep PV checks)? */
int ms_libxc_wants_pages(const struct ms_libxc *x);
/* Content of a data page (deep checks): entry i of the current PAGE_DATA. */
int ms_libxc_page(struct ms_libxc *x, struct ms_ctx *c, uint64_t pfn, uint32_t type,
                  const uint8_t *page);
/* The start_info pfn PV-29 will look at when the state completes (vCPU
 * 0's edx/rdx): 1 and *pfn, or 0 when deep PV checks have none yet. */
int ms_libxc_start_info_pfn(const struct ms_libxc *x, uint64_t *pfn);
/* Is a start_info page for pfn remembered (from ms_libxc_page)? */
int ms_libxc_has_start_info(const struct ms_libxc *x, uint64_t pfn);
/* EOF at a record boundary (after the last complete record). */
int ms_libxc_eof(struct ms_libxc *x, struct ms_ctx *c, uint64_t off);

/* ---------------------------------------------------------------- xl and libxl */

/* What the xl configuration says (rules.md 1.2, embedded knowledge). */
struct ms_xl_config {
	char type[8];                 /* c_info.type: "pv", "pvh", "hvm" */
	int have_type;
	uint32_t max_vcpus;           /* b_info.max_vcpus, 0 = absent */
};
/* Validate JSON text and pick out the two facts; 0 if it is JSON. */
int ms_json_config(const uint8_t *text, size_t len, struct ms_xl_config *out);

/* libxl phases (rules.md section 2). */
enum {
	MS_LX_BEFORE,                 /* before LIBXC_CONTEXT */
	MS_LX_IN_LIBXC,               /* the libxc layer has the stream */
	MS_LX_AFTER,                  /* after the libxc END */
	MS_LX_CKPT,                   /* a checkpoint's libxl part, until CHECKPOINT_END */
	MS_LX_COLO_STATE,             /* COLO: CHECKPOINT_STATE(NEW) expected */
	MS_LX_BACK                    /* COLO back channel */
};

#define MS_EMU_TRACK 16

struct ms_libxl {
	int be, legacy;
	int kind;                     /* MIGSTREAM_KIND_* declared */
	int phase;
	int libxc_contexts;
	int checkpoints;              /* complete checkpoints (CHECKPOINT_END seen) */
	int saw_emu_context;          /* EMULATOR_CONTEXT in this stream */
	struct { uint32_t id, index; uint8_t xs, ctx; } emu[MS_EMU_TRACK];
	int emu_n;
	int bc_pos;                   /* back channel: position in the 4-record cycle */
	int ended;
	/* Knowledge. */
	int cfg_type;                 /* MIGSTREAM_GUEST_* from the xl config, or 0 */
	const struct ms_libxc *xc;    /* the nested image's state (domain type, producer) */
};

void ms_libxl_init(struct ms_libxl *l);
int ms_xl_header(struct ms_ctx *c, const uint8_t *h, uint64_t off, int *be);
int ms_xl_optional(struct ms_ctx *c, const uint8_t *h, int be, const uint8_t *opt, uint32_t n,
                   uint64_t off, struct ms_xl_config *cfg, size_t *config_len);
int ms_libxl_header(struct ms_libxl *l, struct ms_ctx *c, const uint8_t *h, uint64_t off);
int ms_libxl_record(struct ms_libxl *l, struct ms_ctx *c, uint32_t type, uint32_t len,
                    const uint8_t *body);
int ms_libxl_padding(struct ms_ctx *c, const uint8_t *pad, uint32_t n, uint64_t off);
/* After the nested libxc domain header: LIBXL-6. */
void ms_libxl_after_libxc_headers(struct ms_libxl *l, struct ms_ctx *c, uint64_t off);
/* A segment (plain stream or checkpoint) starts: forget emulator records. */
void ms_libxl_new_segment(struct ms_libxl *l);

/*
 * Which layer has the stream, shared by reader and writer: after each
 * record, ms_flow_after() hands the stream between the layers (F 11, F 12).
 */
struct ms_flow {
	uint32_t layer;               /* MIGSTREAM_LAYER_LIBXL or _LIBXC: the next record's */
	int nested;                   /* libxc inside libxl */
	int need_libxc_headers;       /* an image header comes next (after LIBXC_CONTEXT) */
	int done;                     /* the outermost END was passed */
	int restart_libxc;            /* a second image follows: reset the libxc state */
};
void ms_flow_after(struct ms_flow *f, struct ms_libxl *l, const struct ms_libxc *xc, uint32_t layer,
                   uint32_t type);

#endif /* MIGSTREAM_RULES_H */
