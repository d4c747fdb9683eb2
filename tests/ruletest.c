/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * Rule-test helpers (see ruletest.h): whole-stream runs and the assertions
 * rules.md 1.1 makes for each severity, shared by the rule suites.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruletest.h"

static const int rt_modes[2] = { MIGSTREAM_MODE_RESTORE, MIGSTREAM_MODE_STRICT };
static const unsigned rt_mode_bits[2] = { RT_RESTORE, RT_STRICT };

/* ================================================================ one run */

const char *rt_describe(const t_result *res)
{
	static char buf[8192];
	size_t i, off;

	off = (size_t)snprintf(buf, sizeof buf,
	                       "rc %s rule '%s' @0x%llx #%lld layer %u msg '%s'; diags:",
	                       migstream_error_name(res->rc), res->err_rule,
	                       (unsigned long long)res->err.offset,
	                       (long long)res->err.record_index, res->err.layer, res->errmsg);
	for (i = 0; i < res->diags.n && off < sizeof buf; i++)
		off += (size_t)snprintf(buf + off, sizeof buf - off, " [%s %s @0x%llx #%lld L%u: %s]",
		                        migstream_severity_name(res->diags.d[i].severity),
		                        res->diags.d[i].rule,
		                        (unsigned long long)res->diags.d[i].offset,
		                        (long long)res->diags.d[i].record_index,
		                        res->diags.d[i].layer, res->diags.d[i].message);
	return buf;
}

t_result *rt_run(const tbuf *b, int src, int mode, const uint64_t *opts)
{
	t_result *res = calloc(1, sizeof *res);

	ck_assert_ptr_nonnull(res);
	t_read_all(res, b->data, b->len, src, mode, opts);
	return res;
}

size_t rt_count_rule(const t_result *res, const char *rule)
{
	size_t i, n = 0;

	for (i = 0; i < res->diags.n; i++)
		if (strcmp(res->diags.d[i].rule, rule) == 0)
			n++;
	return n;
}

/* ================================================================ assertions on a run */

void rt_check_finding(const t_result *res, const char *rule, uint32_t sev, uint32_t layer,
                      uint64_t off, uint64_t idx)
{
	const t_diag *d = t_find(&res->diags, rule, -1);

	ck_assert_msg(d != NULL, "no %s finding; %s", rule, rt_describe(res));
	ck_assert_msg(d->severity == sev, "%s has severity %s, expected %s; %s", rule,
	              migstream_severity_name(d->severity), migstream_severity_name(sev),
	              rt_describe(res));
	ck_assert_msg(d->offset == off, "%s at offset 0x%llx, expected 0x%llx; %s", rule,
	              (unsigned long long)d->offset, (unsigned long long)off, rt_describe(res));
	ck_assert_msg(d->record_index == idx, "%s record_index %lld, expected %lld; %s", rule,
	              (long long)d->record_index, (long long)idx, rt_describe(res));
	if (layer != RT_ANY_LAYER)
		ck_assert_msg(d->layer == layer, "%s layer %u, expected %u; %s", rule, d->layer,
		              layer, rt_describe(res));
	ck_assert_msg(rt_count_rule(res, rule) == 1, "%s reported %zu times; %s", rule,
	              rt_count_rule(res, rule), rt_describe(res));
}

void rt_check_error(const t_result *res, const char *rule, int code, uint32_t layer,
                    uint64_t off, uint64_t idx)
{
	ck_assert_msg(res->rc < 0, "expected error %s; %s", rule, rt_describe(res));
	ck_assert_msg(strcmp(res->err_rule, rule) == 0, "expected rule %s; %s", rule,
	              rt_describe(res));
	if (code != 0)
		ck_assert_msg(res->rc == code, "expected %s, got %s; %s", migstream_error_name(code),
		              migstream_error_name(res->rc), rt_describe(res));
	ck_assert_msg(res->err.code == res->rc, "err.code %d, rc %d; %s", res->err.code, res->rc,
	              rt_describe(res));
	ck_assert_msg(res->err.severity == MIGSTREAM_SEV_ERROR, "severity %u; %s",
	              res->err.severity, rt_describe(res));
	ck_assert_msg(res->err.offset == off, "%s at offset 0x%llx, expected 0x%llx; %s", rule,
	              (unsigned long long)res->err.offset, (unsigned long long)off,
	              rt_describe(res));
	ck_assert_msg(res->err.record_index == idx, "%s record_index %lld, expected %lld; %s",
	              rule, (long long)res->err.record_index, (long long)idx, rt_describe(res));
	rt_check_finding(res, rule, MIGSTREAM_SEV_ERROR, layer, off, idx);
}

void rt_check_accepted(const t_result *res)
{
	ck_assert_msg(res->rc == MIGSTREAM_EOF, "expected the stream accepted; %s",
	              rt_describe(res));
	ck_assert_msg(t_count(&res->diags, MIGSTREAM_SEV_ERROR) == 0, "errors reported; %s",
	              rt_describe(res));
}

void rt_check_clean(const t_result *res)
{
	rt_check_accepted(res);
	ck_assert_msg(t_count(&res->diags, MIGSTREAM_SEV_WARNING) == 0, "warnings reported; %s",
	              rt_describe(res));
}

void rt_check_absent(const t_result *res, const char *rule)
{
	ck_assert_msg(rt_count_rule(res, rule) == 0, "unexpected %s finding; %s", rule,
	              rt_describe(res));
	ck_assert_msg(strcmp(res->err_rule, rule) != 0, "unexpected %s error; %s", rule,
	              rt_describe(res));
}

/* ================================================================ expectations by severity */

void rt_want_error(const tbuf *b, int src, unsigned modes, const uint64_t *opts,
                   const char *rule, int code, uint32_t layer, uint64_t off, uint64_t idx)
{
	int m;

	for (m = 0; m < 2; m++) {
		t_result *res;

		if (!(modes & rt_mode_bits[m]))
			continue;
		res = rt_run(b, src, rt_modes[m], opts);
		rt_check_error(res, rule, code, layer, off, idx);
		free(res);
	}
}

void rt_want_ws(const tbuf *b, const uint64_t *opts, const char *rule, int code,
                uint32_t layer, uint64_t off, uint64_t idx)
{
	t_result *res = rt_run(b, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, opts);

	rt_check_finding(res, rule, MIGSTREAM_SEV_WARNING, layer, off, idx);
	rt_check_accepted(res);
	free(res);
	res = rt_run(b, T_SRC_MEMORY, MIGSTREAM_MODE_STRICT, opts);
	rt_check_error(res, rule, code, layer, off, idx);
	free(res);
}

void rt_want_warning(const tbuf *b, const uint64_t *opts, const char *rule, uint32_t layer,
                     uint64_t off, uint64_t idx, int accepted)
{
	int m;

	for (m = 0; m < 2; m++) {
		t_result *res = rt_run(b, T_SRC_MEMORY, rt_modes[m], opts);

		rt_check_finding(res, rule, MIGSTREAM_SEV_WARNING, layer, off, idx);
		if (accepted)
			rt_check_accepted(res);
		free(res);
	}
}

void rt_want_info(const tbuf *b, unsigned modes, const uint64_t *opts, const char *rule,
                  uint32_t layer, uint64_t off, uint64_t idx, int accepted)
{
	int m;

	for (m = 0; m < 2; m++) {
		t_result *res;

		if (!(modes & rt_mode_bits[m]))
			continue;
		res = rt_run(b, T_SRC_MEMORY, rt_modes[m], opts);
		rt_check_finding(res, rule, MIGSTREAM_SEV_INFO, layer, off, idx);
		if (accepted)
			rt_check_accepted(res);
		free(res);
	}
}

void rt_want_pass(const tbuf *b, int src, unsigned modes, const uint64_t *opts,
                  const char *rule, int clean)
{
	int m;

	for (m = 0; m < 2; m++) {
		t_result *res;

		if (!(modes & rt_mode_bits[m]))
			continue;
		res = rt_run(b, src, rt_modes[m], opts);
		rt_check_absent(res, rule);
		if (clean)
			rt_check_clean(res);
		else
			rt_check_accepted(res);
		free(res);
	}
}

/* ================================================================ stream edits */

void rt_p8(tbuf *b, size_t off, uint8_t v)
{
	ck_assert_uint_lt(off, b->len);
	b->data[off] = v;
}

void rt_p32(tbuf *b, size_t off, uint32_t v)
{
	ck_assert_uint_le(off + 4, b->len);
	rt_le32(b->data + off, v);
}

void rt_p64(tbuf *b, size_t off, uint64_t v)
{
	ck_assert_uint_le(off + 8, b->len);
	rt_le64(b->data + off, v);
}

void rt_le32(uint8_t *p, uint32_t v)
{
	unsigned i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void rt_le64(uint8_t *p, uint64_t v)
{
	unsigned i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void rt_ins_rec(tbuf *b, size_t off, uint32_t type, const void *body, uint32_t len)
{
	tbuf r;

	tb_init(&r);
	tb_record(&r, type, body, len);
	tb_insert(b, off, r.data, r.len);
	tb_free(&r);
}

void rt_replace_rec(tbuf *b, size_t off, size_t old_size, uint32_t type, const void *body,
                    uint32_t len)
{
	tb_delete(b, off, old_size);
	rt_ins_rec(b, off, type, body, len);
}

void rt_move(tbuf *b, size_t from, size_t n, size_t to)
{
	uint8_t *tmp = malloc(n);

	ck_assert_ptr_nonnull(tmp);
	memcpy(tmp, b->data + from, n);
	tb_delete(b, from, n);
	tb_insert(b, to, tmp, n);
	free(tmp);
}

void rt_copy(tbuf *b, size_t from, size_t n, size_t to)
{
	uint8_t *tmp = malloc(n);

	ck_assert_ptr_nonnull(tmp);
	memcpy(tmp, b->data + from, n);
	tb_insert(b, to, tmp, n);
	free(tmp);
}

int rt_in_family(const char *rule, const char *family)
{
	size_t n = strlen(family);

	return strncmp(rule, family, n) == 0 && rule[n] == '-';
}
