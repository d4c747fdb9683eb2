/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * rules.h: the rule catalogue compiled into the library.
 *
 * Every finding (migstream_diag) names a rule ID such as "PV-9"; the
 * catalogue says what that rule checks, why Xen cares and what a writer
 * must do instead, so a program can explain a finding without any other
 * file.  The same text is installed as migstream-rules(7) and printed by
 * "migstream explain ID".
 *
 *   migstream_rule r;
 *   if (migstream_rule_lookup(diag->rule, &r, sizeof r) == 0)
 *           printf("%s: %s\n%s\n", r.id, r.summary, r.explanation);
 *
 * The library fills min(size, sizeof its struct) octets, so the struct may
 * grow at its end in later releases.  Strings are static and never NULL.
 */
#ifndef MIGSTREAM_RULES_H_PUBLIC
#define MIGSTREAM_RULES_H_PUBLIC

#include <stddef.h>
#include <stdint.h>
#include <migstream/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A rule's severity in the catalogue, before the mode is applied
 * (migstream-rules(7), "Severities").  Since: 1.1 */
#define MIGSTREAM_RULE_ERROR             0
#define MIGSTREAM_RULE_WARNING_S         1   /* "warning/S": an error in strict mode */
#define MIGSTREAM_RULE_WARNING           2
#define MIGSTREAM_RULE_COMPAT            3
#define MIGSTREAM_RULE_INFO              4

/**
 * One rule of the catalogue.
 *
 * Since: 1.1
 */
typedef struct migstream_rule {
	const char *id;            /* "PV-9" */
	uint32_t severity;         /* MIGSTREAM_RULE_* */
	uint32_t layer;            /* MIGSTREAM_LAYER_* the rule belongs to (NONE: any) */
	int32_t code;              /* MIGSTREAM_E_* when it rejects (error, strict warning/S), else 0 */
	uint32_t deep;             /* 1: checked only with deep checks on */
	const char *severity_name; /* "error", "warning/S", "warning", "compat", "info" */
	const char *concerns;      /* the header or record it concerns: "X86_PV_P2M_FRAMES" */
	const char *summary;       /* one line */
	const char *explanation;   /* one paragraph: what, why Xen cares, what to do instead */
	const char *xen_docs;      /* sections of Xen's stream documents ("libxc: Image Header"),
	                              "; " separated, "" when none */
} migstream_rule;

/** Number of rules in the catalogue.  Since: 1.1 */
MIGSTREAM_API size_t migstream_rule_count(void);

/**
 * Rule number index (0 .. migstream_rule_count() - 1, in catalogue order).
 * Returns 0, MIGSTREAM_E_INVAL (out NULL) or MIGSTREAM_E_RANGE.  Since: 1.1
 */
MIGSTREAM_API int migstream_rule_get(size_t index, migstream_rule *out, size_t size);

/**
 * The rule named id ("HVM-11"; case does not matter).  out may be NULL to
 * test whether the rule exists.  Returns 0, MIGSTREAM_E_INVAL (id NULL) or
 * MIGSTREAM_E_RANGE (no such rule).  Since: 1.1
 */
MIGSTREAM_API int migstream_rule_lookup(const char *id, migstream_rule *out, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* MIGSTREAM_RULES_H_PUBLIC */
