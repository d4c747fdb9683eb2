/*
 * rules.h: the rule table and the reporting context every rule reports
 * through (rules.c).  The rules of each layer are in rules_libxc.h and
 * rules_libxl.h, the framing rules both handles share in framing.h.
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
/* Largest errno a callback may return negated (Linux uses the same bound
 * for its system calls' -errno returns); the
 * messages of sources and sinks quote it. */
#define MS_ERRNO_MAX 4095

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

#endif /* MIGSTREAM_RULES_H */
