/*
 * rules.c: the rule table, severities by mode, and finding delivery.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "rules.h"

const struct ms_rule ms_rules[MS_RULE_COUNT] = {
#define MS_RULE_ROW(name, rid, sev, code, layer, deep, about, xen, summary, text) \
	{ rid, MS_SEV_##sev, code, layer, deep, about, xen, summary, text },
	MS_RULES(MS_RULE_ROW)
#undef MS_RULE_ROW
};

/* ---------------------------------------------------------------- catalogue */

size_t migstream_rule_count(void)
{
	return MS_RULE_COUNT;
}

static void rule_out(const struct ms_rule *r, migstream_rule *out, size_t size)
{
	static const char *const sev_names[] = { "error", "warning/S", "warning", "compat", "info" };
	migstream_rule v;

	if (!out)
		return;
	memset(&v, 0, sizeof v);
	v.id = r->id;
	v.severity = r->sev;
	v.layer = r->layer;
	v.code = r->code;
	v.deep = r->deep;
	v.severity_name = sev_names[r->sev];
	v.concerns = r->about;
	v.summary = r->summary;
	v.explanation = r->text;
	v.xen_docs = r->xen;
	/* Callers built against an older, shorter struct get its prefix. */
	memcpy(out, &v, size < sizeof v ? size : sizeof v);
}

int migstream_rule_get(size_t index, migstream_rule *out, size_t size)
{
	if (!out)
		return MIGSTREAM_E_INVAL;
	if (index >= MS_RULE_COUNT)
		return MIGSTREAM_E_RANGE;
	rule_out(&ms_rules[index], out, size);
	return 0;
}

int migstream_rule_lookup(const char *id, migstream_rule *out, size_t size)
{
	if (!id)
		return MIGSTREAM_E_INVAL;
	/* 180 short strings: a linear scan costs less than keeping an index. */
	for (size_t i = 0; i < MS_RULE_COUNT; i++) {
		const char *a = ms_rules[i].id, *b = id;
		while (*a && (*a == *b || (*b >= 'a' && *b <= 'z' && *a == *b - 'a' + 'A'))) {
			a++;
			b++;
		}
		if (*a == '\0' && *b == '\0') {
			rule_out(&ms_rules[i], out, size);
			return 0;
		}
	}
	return MIGSTREAM_E_RANGE;
}

void ms_ctx_init(struct ms_ctx *c, int mode)
{
	memset(c, 0, sizeof *c);
	c->mode = mode;
	c->rec_index = MIGSTREAM_NO_RECORD;
	c->err.rule = "";
	c->err.message = c->err_text;
}

void ms_ctx_reset_error(struct ms_ctx *c)
{
	c->err_code = 0;
	memset(&c->err, 0, sizeof c->err);
	c->err.rule = "";
	c->err_msg[0] = '\0';
	c->err_text[0] = '\0';
	c->err.message = c->err_text;
	c->err.record_index = MIGSTREAM_NO_RECORD;
}

static const char *layer_prefix(uint32_t layer)
{
	switch (layer) {
	case MIGSTREAM_LAYER_XL: return "xl";
	case MIGSTREAM_LAYER_LIBXL: return "libxl";
	case MIGSTREAM_LAYER_LIBXC: return "libxc";
	default: return "stream";
	}
}

/* Format "RULE: location: detail" into c->scratch and deliver it. */
static int deliver(struct ms_ctx *c, const char *rule, uint32_t applied, int code,
                   int sys_errno, uint64_t offset, const char *fmt, va_list ap)
{
	char detail[MS_MSG_MAX];
	vsnprintf(detail, sizeof detail, fmt, ap);
	if (c->rec_index != MIGSTREAM_NO_RECORD)
		snprintf(c->scratch, sizeof c->scratch, "%s record %llu (%s 0x%08x) at offset 0x%llx: %s",
		         layer_prefix(c->layer), (unsigned long long)c->rec_index,
		         migstream_record_type_name(c->layer, c->rec_type), c->rec_type,
		         (unsigned long long)c->rec_offset, detail);
	else
		snprintf(c->scratch, sizeof c->scratch, "%s at offset 0x%llx: %s",
		         c->what ? c->what : layer_prefix(c->layer), (unsigned long long)offset, detail);

	migstream_diag d;
	memset(&d, 0, sizeof d);
	d.code = applied == MIGSTREAM_SEV_ERROR ? code : 0;
	d.severity = applied;
	d.layer = c->layer;
	d.rec_type = c->rec_index != MIGSTREAM_NO_RECORD ? c->rec_type : 0;
	d.offset = offset;
	d.record_index = c->rec_index;
	d.sys_errno = sys_errno;
	d.rule = rule;
	d.message = c->scratch;

	c->counts[applied]++;
	if (applied == MIGSTREAM_SEV_ERROR && c->err_code == 0) {
		c->err_code = code;
		c->err = d;
		memcpy(c->err_text, c->scratch, sizeof c->err_text);
		c->err.message = c->err_text;
		/* errmsg: the same line led by the rule ID. */
		snprintf(c->err_msg, sizeof c->err_msg, "%s%s%s", rule, rule[0] ? ": " : "", c->scratch);
	}
	if (c->fn)
		c->fn(c->fn_ctx, &d);
	return applied == MIGSTREAM_SEV_ERROR ? code : 0;
}

static int apply(struct ms_ctx *c, int sev, uint32_t *applied)
{
	switch (sev) {
	case MS_SEV_E:
		*applied = MIGSTREAM_SEV_ERROR;
		return 1;
	case MS_SEV_S:
		if (c->mode == MIGSTREAM_MODE_STRICT) {
			*applied = MIGSTREAM_SEV_ERROR;
			return 1;
		}
		c->anomalies++;
		*applied = MIGSTREAM_SEV_WARNING;
		return 0;
	case MS_SEV_W:
	case MS_SEV_C:
		*applied = MIGSTREAM_SEV_WARNING;
		return 0;
	default:
		*applied = MIGSTREAM_SEV_INFO;
		return 0;
	}
}

int ms_report_sev(struct ms_ctx *c, enum ms_rule_id rule, int sev, int code,
                  uint64_t offset, const char *fmt, ...)
{
	uint32_t applied;
	va_list ap;
	int rc;

	/* Strict mode reports every compat tolerance as a warning (1.1). */
	if (ms_rules[rule].sev == MS_SEV_C && c->mode == MIGSTREAM_MODE_STRICT)
		sev = MS_SEV_C;
	apply(c, sev, &applied);
	if (code == 0)
		code = ms_rules[rule].code ? ms_rules[rule].code : MIGSTREAM_E_FIELD;
	va_start(ap, fmt);
	rc = deliver(c, ms_rules[rule].id, applied, code, 0, offset, fmt, ap);
	va_end(ap);
	return rc;
}

int ms_report(struct ms_ctx *c, enum ms_rule_id rule, uint64_t offset, const char *fmt, ...)
{
	uint32_t applied;
	va_list ap;
	int rc, code;

	int sev = ms_rules[rule].sev;
	if (c->allow_be && (rule == R_IHDR_6 || rule == R_LIBXL_4))
		sev = MS_SEV_W;
	apply(c, sev, &applied);
	code = ms_rules[rule].code ? ms_rules[rule].code : MIGSTREAM_E_FIELD;
	va_start(ap, fmt);
	rc = deliver(c, ms_rules[rule].id, applied, code, 0, offset, fmt, ap);
	va_end(ap);
	return rc;
}

int ms_fail(struct ms_ctx *c, int code, int sys_errno, uint64_t offset, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = deliver(c, "", MIGSTREAM_SEV_ERROR, code, sys_errno, offset, fmt, ap);
	va_end(ap);
	return rc;
}

void ms_note(struct ms_ctx *c, uint32_t severity, uint64_t offset, const char *fmt, ...)
{
	va_list ap;

	if (severity > MIGSTREAM_SEV_WARNING)
		severity = MIGSTREAM_SEV_WARNING;
	va_start(ap, fmt);
	deliver(c, "", severity, 0, 0, offset, fmt, ap);
	va_end(ap);
}

int ms_usage(struct ms_ctx *c, int code, const char *fn, const char *fmt, ...)
{
	char detail[MS_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	ms_ctx_reset_error(c);
	c->err_code = code;
	c->err.code = code;
	c->err.severity = MIGSTREAM_SEV_ERROR;
	c->err.offset = 0;
	snprintf(c->err_text, sizeof c->err_text, "%s: %s", fn, detail);
	memcpy(c->err_msg, c->err_text, sizeof c->err_text);
	return code;
}
