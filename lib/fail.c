/*
 * fail.c: the reader's failures (see fail.h).
 */
#include "config.h"

#include "reader.h"
#include "fail.h"

int ms_die(migstream_reader *r, int code)
{
	r->state = MS_ST_FATAL;
	r->fatal_code = code;
	r->rec_live = 0;
	return code;
}

int ms_io_fail(migstream_reader *r, int code, int err_no)
{
	return ms_die(r, ms_src_fail(&r->src, &r->ctx, code, err_no));
}

int ms_checkpoints(const migstream_reader *r)
{
	return r->nested ? r->lx.checkpoints : r->xc.checkpoints;
}

int ms_truncated(migstream_reader *r, enum ms_rule_id rule, uint64_t eof_off, const char *what)
{
	int n = ms_checkpoints(r);
	ms_ckpt_eof(&r->ckpt, eof_off);
	if (n && r->xc.channel && rule != R_IHDR_1 && rule != R_DHDR_1) {
		/* A channel that breaks off after a complete checkpoint: failover. */
		ms_report_sev(&r->ctx, R_CKPT_5, MS_SEV_W, 0, eof_off,
		              "channel ended %s after %d complete checkpoint%s: failover to the last one; "
		              "records since it are discarded", what, n, n == 1 ? "" : "s");
		r->state = MS_ST_DONE;
		r->done_checked = 1;
		r->rec_live = 0;
		return MIGSTREAM_EOF;
	}
	if (n && rule != R_IHDR_1 && rule != R_DHDR_1)
		ms_report_sev(&r->ctx, R_CKPT_5, MS_SEV_E, MIGSTREAM_E_TRUNCATED, eof_off,
		              "stream ends at offset 0x%llx %s after %d complete checkpoint%s; a restore would "
		              "resume from the last one", (unsigned long long)eof_off, what, n, n == 1 ? "" : "s");
	else
		ms_report_sev(&r->ctx, rule, MS_SEV_E, MIGSTREAM_E_TRUNCATED, eof_off,
		              "stream ends at offset 0x%llx %s", (unsigned long long)eof_off, what);
	return ms_die(r, MIGSTREAM_E_TRUNCATED);
}

void ms_locate(migstream_reader *r)
{
	r->ctx.layer = r->rec.layer;
	r->ctx.rec_type = r->rec.type;
	r->ctx.rec_offset = r->rec.offset;
	r->ctx.rec_index = r->rec.index;
	r->ctx.what = NULL;
}
