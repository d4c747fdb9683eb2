/*
 * rules_libxl.h: the rules of the xl header and the libxl layer
 * (rules_libxl.c), their state, and the xl configuration scanner (json.c).
 */
#ifndef MIGSTREAM_RULES_LIBXL_H
#define MIGSTREAM_RULES_LIBXL_H

#ifndef MIGSTREAM_BUILDING
#error "rules_libxl.h is private to libmigstream"
#endif

#include <stddef.h>
#include <stdint.h>

#include "rules.h"

struct ms_libxc;

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

#endif /* MIGSTREAM_RULES_LIBXL_H */
