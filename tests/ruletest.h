/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * Rule-test helpers, shared by the rule suites (tests/check_rules.c for the
 * families a bare libxc image can break, tests/check_libxl.c for XL, LIBXL
 * and the libxl side of CKPT).  They read a whole stream with t_read_all()
 * and assert what rules.md 1.1 expects of each severity:
 *
 *   error      rc < 0, the error names the rule, with its code, at the
 *              expected offset and record ordinal, and the rule is reported
 *              exactly once;
 *   warning/S  restore mode: one warning, stream accepted;
 *              strict mode: an error as above;
 *   warning    one warning, accepted in restore and strict mode;
 *   info       one info finding;
 *   pass       accepted, nothing reported under the rule.
 *
 * Every failure message names the rule, what was expected and, through
 * rt_describe(), everything the run reported.  The suites wrap these in
 * short helpers that fix their layer and the modes and sources they run.
 *
 * Needs Check (ck_assert); link with testutil.
 */
#ifndef MIGSTREAM_RULETEST_H
#define MIGSTREAM_RULETEST_H

#include <stddef.h>
#include <stdint.h>
#include <migstream.h>

#include "testutil.h"

/* Modes a helper runs the stream in (a mask). */
#define RT_RESTORE 1u
#define RT_STRICT  2u
#define RT_BOTH    (RT_RESTORE | RT_STRICT)

/* Layer argument that accepts a finding in any layer. */
#define RT_ANY_LAYER 0u

/* ------------------------------------------------------------ one run */

/* What a run reported: its error (rule, offset, ordinal, layer, message)
 * and every diagnostic.  A static buffer: valid until the next call. */
const char *rt_describe(const t_result *res);
/* Read the whole stream b from a source of kind src (enum t_src) in mode;
 * opts as for t_read_all().  The result is calloc'ed: free() it. */
t_result *rt_run(const tbuf *b, int src, int mode, const uint64_t *opts);
/* Number of diagnostics naming rule. */
size_t rt_count_rule(const t_result *res, const char *rule);

/* ------------------------------------------------------------ assertions on a run */
/* One finding of rule with severity sev at offset off and record ordinal
 * idx, in layer (RT_ANY_LAYER: any), and no other finding of that rule. */
void rt_check_finding(const t_result *res, const char *rule, uint32_t sev, uint32_t layer,
                      uint64_t off, uint64_t idx);
/* The run stopped with rule as its error, with status code (0: any code),
 * and reported it once, as above. */
void rt_check_error(const t_result *res, const char *rule, int code, uint32_t layer,
                    uint64_t off, uint64_t idx);
/* The stream was read to its end and no error was reported. */
void rt_check_accepted(const t_result *res);
/* Accepted, and no warning either. */
void rt_check_clean(const t_result *res);
/* Nothing was reported under rule, as a finding or as the error. */
void rt_check_absent(const t_result *res, const char *rule);

/* ------------------------------------------------------------ expectations by severity */
/* error: rejected in every mode of modes, from source src. */
void rt_want_error(const tbuf *b, int src, unsigned modes, const uint64_t *opts,
                   const char *rule, int code, uint32_t layer, uint64_t off, uint64_t idx);
/* warning/S: a warning and accepted in restore mode, an error (code) in
 * strict mode; from memory. */
void rt_want_ws(const tbuf *b, const uint64_t *opts, const char *rule, int code,
                uint32_t layer, uint64_t off, uint64_t idx);
/* warning: reported in restore and strict mode, from memory; accepted in
 * both unless accepted is 0 (the stream has another, unrelated error later
 * and only the finding counts). */
void rt_want_warning(const tbuf *b, const uint64_t *opts, const char *rule, uint32_t layer,
                     uint64_t off, uint64_t idx, int accepted);
/* info: reported in every mode of modes, from memory; accepted unless
 * accepted is 0. */
void rt_want_info(const tbuf *b, unsigned modes, const uint64_t *opts, const char *rule,
                  uint32_t layer, uint64_t off, uint64_t idx, int accepted);
/* pass: in every mode of modes, from source src, nothing reported under
 * rule and the stream accepted (clean: and no warning at all). */
void rt_want_pass(const tbuf *b, int src, unsigned modes, const uint64_t *opts,
                  const char *rule, int clean);

/* ------------------------------------------------------------ stream edits */
/* Overwrite an octet, or a little-endian u32 / u64, inside b (asserted). */
void rt_p8(tbuf *b, size_t off, uint8_t v);
void rt_p32(tbuf *b, size_t off, uint32_t v);
void rt_p64(tbuf *b, size_t off, uint64_t v);
/* Store a little-endian u32 / u64 at p. */
void rt_le32(uint8_t *p, uint32_t v);
void rt_le64(uint8_t *p, uint64_t v);
/* Insert the record {type, body} (header, body, padding) at off. */
void rt_ins_rec(tbuf *b, size_t off, uint32_t type, const void *body, uint32_t len);
/* Replace the record of old_size octets at off with {type, body}. */
void rt_replace_rec(tbuf *b, size_t off, size_t old_size, uint32_t type, const void *body,
                    uint32_t len);
/* Move n octets at from to position to (to counted after the removal). */
void rt_move(tbuf *b, size_t from, size_t n, size_t to);
/* Copy n octets at from to position to. */
void rt_copy(tbuf *b, size_t from, size_t n, size_t to);

/* Whether rule is in family: "LIBXL-3" is in "LIBXL", not in "XL". */
int rt_in_family(const char *rule, const char *family);

#endif /* MIGSTREAM_RULETEST_H */
