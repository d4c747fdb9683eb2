/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * Suite "vectors": the worked vectors of spec/vectors.md (V1, V2, E1,
 * I1..I5) and its "further one-line cases" for the libxc layer, each read
 * through every source kind of testutil.h so that short reads, pipes and
 * callback sources with and without a skip callback are all exercised.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* SHA-256 of the vectors, from spec/vectors.md. */
#define SHA_V1 "60db2f4dc080f4002bc637b2846a120205c62a53dce7a53cffdd2c9733d738fe"
#define SHA_V2 "13d5a348ad5f9c7620030a349d926b3707258162fddfdd5ab90fb5e2bf45826d"
#define SHA_I1 "7fc29a1df4e29b0586dcf6cc96d8a4dce5029a0c0cd6075f4514098b22064eeb"
#define SHA_I2 "23159522dda3b964040df0c608c1080715d0004883cc7a7f9e4d41ea6858a039"
#define SHA_I3 "9cacd2e558134bc31a18a924663f7d6e3453dc09a45ae00fda780264a1cc26d2"
#define SHA_I4 "1b191de8e027c7bc3e861ffe2835adf43ca5a5ab9b213ffe4c8d9d98f3adbc99"
#define SHA_I5 "051854838e2728d6f44aa88f533dcc1280790cf4dac952db75ab8a03bb265dee"

/* ------------------------------------------------------------ helpers */

/* One line per finding, for failure messages. */
static const char *describe(int rc, const char *rule, const char *msg, const t_diags *ds)
{
	static char buf[8192];
	size_t i, off;

	off = (size_t)snprintf(buf, sizeof buf, "rc %s rule '%s' msg '%s'; diags:",
	                       migstream_error_name(rc), rule, msg);
	for (i = 0; i < ds->n && off < sizeof buf; i++)
		off += (size_t)snprintf(buf + off, sizeof buf - off,
		                        " [%s %s @0x%llx #%lld]",
		                        migstream_severity_name(ds->d[i].severity), ds->d[i].rule,
		                        (unsigned long long)ds->d[i].offset,
		                        (long long)ds->d[i].record_index);
	return buf;
}

static const char *res_describe(const t_result *res)
{
	return describe(res->rc, res->err_rule, res->errmsg, &res->diags);
}

static t_result *read_all(const tbuf *b, int src, int mode, const uint64_t *opts)
{
	t_result *res = calloc(1, sizeof *res);

	ck_assert_ptr_nonnull(res);
	t_read_all(res, b->data, b->len, src, mode, opts);
	return res;
}

static void check_sha(const tbuf *b, const char *want)
{
	char got[65];

	t_sha256_hex(b->data, b->len, got);
	ck_assert_str_eq(got, want);
}

/* A diagnostic with this rule, severity, offset and record index exists. */
static void expect_diag(const t_diags *ds, const char *what, const char *rule, int sev,
                        uint64_t offset, uint64_t index)
{
	const t_diag *d = t_find(ds, rule, sev);

	ck_assert_msg(d != NULL, "%s: no %s finding with severity %d; %s", what, rule, sev,
	              describe(0, "", "", ds));
	ck_assert_msg(d->offset == offset, "%s: %s at offset 0x%llx, expected 0x%llx", what,
	              rule, (unsigned long long)d->offset, (unsigned long long)offset);
	ck_assert_msg(d->record_index == index, "%s: %s record_index %lld, expected %lld",
	              what, rule, (long long)d->record_index, (long long)index);
}

/* The run stopped with this rule as its error, at offset / record index. */
static void expect_error(const t_result *res, const char *what, const char *rule,
                         uint64_t offset, uint64_t index)
{
	ck_assert_msg(res->rc < 0, "%s: expected error %s, got %s", what, rule,
	              res_describe(res));
	ck_assert_msg(strcmp(res->err_rule, rule) == 0, "%s: expected rule %s, got %s", what,
	              rule, res_describe(res));
	ck_assert_msg(res->err.offset == offset, "%s: %s at offset 0x%llx, expected 0x%llx",
	              what, rule, (unsigned long long)res->err.offset,
	              (unsigned long long)offset);
	ck_assert_msg(res->err.record_index == index,
	              "%s: %s record_index %lld, expected %lld", what, rule,
	              (long long)res->err.record_index, (long long)index);
	ck_assert_int_eq(res->err.code, res->rc);
	ck_assert_uint_eq(res->err.severity, MIGSTREAM_SEV_ERROR);
	/* The same finding went to the diagnostic callback. */
	expect_diag(&res->diags, what, rule, MIGSTREAM_SEV_ERROR, offset, index);
}

static void expect_clean_eof(const t_result *res, const char *what)
{
	ck_assert_msg(res->rc == MIGSTREAM_EOF, "%s: %s", what, res_describe(res));
	ck_assert_msg(t_count(&res->diags, MIGSTREAM_SEV_ERROR) == 0, "%s: %s", what,
	              res_describe(res));
}

/* Insert a whole record (built by the caller into rec) at off. */
static void insert_buf(tbuf *b, size_t off, const tbuf *rec)
{
	tb_insert(b, off, rec->data, rec->len);
}

/* ------------------------------------------------------------ record walker */

typedef void (*rec_fn)(void *ctx, const migstream_record *rec);

typedef struct walk {
	int rc;                 /* MIGSTREAM_EOF or the first error */
	char err_rule[24];
	char errmsg[512];
	migstream_diag err;
	uint64_t records;
	int ih_rc, dh_rc;
	migstream_image_header ih;
	migstream_domain_header dh;
	t_diags diags;
} walk;

/* Like t_read_all (non-lax), but hands every record to fn and fetches the
 * decoded headers. */
static walk *walk_stream(const tbuf *b, int src, int mode, rec_fn fn, void *ctx)
{
	walk *w = calloc(1, sizeof *w);
	migstream_reader *r = migstream_reader_new();
	t_source *s;
	int rc, have_headers = 0;

	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(r);
	w->ih_rc = w->dh_rc = MIGSTREAM_E_STATE;
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MODE, (uint64_t)mode), 0);
	ck_assert_int_eq(migstream_reader_set_diag_handler(r, t_collect, &w->diags), 0);
	s = t_open_source(r, src, b->data, b->len);
	ck_assert_ptr_nonnull(s);
	for (;;) {
		const migstream_record *rec = NULL;

		rc = migstream_reader_next(r, &rec);
		if (rc != 0)
			break;
		ck_assert_ptr_nonnull(rec);
		if (!have_headers) {
			w->ih_rc = migstream_reader_get_image_header(r, &w->ih, sizeof w->ih);
			w->dh_rc = migstream_reader_get_domain_header(r, &w->dh, sizeof w->dh);
			have_headers = 1;
		}
		w->records++;
		if (fn != NULL)
			fn(ctx, rec);
	}
	w->rc = rc;
	if (!have_headers) {
		w->ih_rc = migstream_reader_get_image_header(r, &w->ih, sizeof w->ih);
		w->dh_rc = migstream_reader_get_domain_header(r, &w->dh, sizeof w->dh);
	}
	(void)migstream_reader_error(r, &w->err, sizeof w->err);
	snprintf(w->err_rule, sizeof w->err_rule, "%s", w->err.rule ? w->err.rule : "");
	snprintf(w->errmsg, sizeof w->errmsg, "%s", migstream_reader_errmsg(r));
	w->err.rule = w->err.message = NULL;
	migstream_reader_free(r);
	t_close_source(s);
	return w;
}

static const char *walk_describe(const walk *w)
{
	return describe(w->rc, w->err_rule, w->errmsg, &w->diags);
}

/* ------------------------------------------------------------ SHA-256 of V1, V2 */

START_TEST(test_vectors_v1_sha256)
{
	tbuf b;

	tb_init(&b);
	tb_vector_v1(&b);
	ck_assert_uint_eq(b.len, V1_SIZE);
	check_sha(&b, SHA_V1);
	tb_free(&b);
}
END_TEST

START_TEST(test_vectors_v2_sha256)
{
	tbuf b;

	tb_init(&b);
	tb_vector_v2(&b);
	ck_assert_uint_eq(b.len, V2_SIZE);
	check_sha(&b, SHA_V2);
	tb_free(&b);
}
END_TEST

/* The committed copies in tests/data are the builder's V1 and V2. */
static void check_data_file(const char *name, const tbuf *b)
{
	const char *top = getenv("MIGSTREAM_TOP_SRCDIR");
	char path[4096];
	uint8_t *buf;
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "%s/tests/data/%s", top ? top : ".", name);
	f = fopen(path, "rb");
	if (f == NULL) {
		/* Run by hand outside the tree: nothing to compare. */
		ck_assert_msg(top == NULL, "cannot open %s", path);
		return;
	}
	buf = malloc(b->len + 1);
	ck_assert_ptr_nonnull(buf);
	n = fread(buf, 1, b->len + 1, f);
	fclose(f);
	ck_assert_uint_eq(n, b->len);
	ck_assert_mem_eq(buf, b->data, b->len);
	free(buf);
}

START_TEST(test_vectors_data_files)
{
	tbuf b;

	tb_init(&b);
	tb_vector_v1(&b);
	check_data_file("v1-hvm.bin", &b);
	tb_free(&b);
	tb_vector_v2(&b);
	check_data_file("v2-pv.bin", &b);
	tb_free(&b);
}
END_TEST

/* ------------------------------------------------------------ V1, V2 read back */

static const uint32_t v1_types[] = {
	MIGSTREAM_REC_STATIC_DATA_END, MIGSTREAM_REC_PAGE_DATA, MIGSTREAM_REC_X86_TSC_INFO,
	MIGSTREAM_REC_HVM_CONTEXT, MIGSTREAM_REC_HVM_PARAMS, MIGSTREAM_REC_END,
};
static const uint64_t v1_offsets[] = {
	V1_OFF_SDE, V1_OFF_PAGE_DATA, V1_OFF_TSC, V1_OFF_HVM_CTX, V1_OFF_HVM_PARAMS, V1_OFF_END,
};
static const uint32_t v2_types[] = {
	MIGSTREAM_REC_X86_PV_INFO, MIGSTREAM_REC_STATIC_DATA_END,
	MIGSTREAM_REC_X86_PV_P2M_FRAMES, MIGSTREAM_REC_PAGE_DATA, MIGSTREAM_REC_X86_TSC_INFO,
	MIGSTREAM_REC_SHARED_INFO, MIGSTREAM_REC_X86_PV_VCPU_BASIC, MIGSTREAM_REC_END,
};
static const uint64_t v2_offsets[] = {
	V2_OFF_PV_INFO, V2_OFF_SDE, V2_OFF_P2M, V2_OFF_PAGE_DATA, V2_OFF_TSC, V2_OFF_SHARED,
	V2_OFF_BASIC, V2_OFF_END,
};

static void check_valid_vector(const tbuf *b, int src, const uint32_t *types,
                               const uint64_t *offsets, size_t n, uint64_t end_off)
{
	t_result *res = read_all(b, src, MIGSTREAM_MODE_STRICT, NULL);
	size_t i;

	ck_assert_msg(res->rc == MIGSTREAM_EOF, "%s: %s", t_src_name(src), res_describe(res));
	ck_assert_msg(t_count(&res->diags, MIGSTREAM_SEV_ERROR) == 0 &&
	              t_count(&res->diags, MIGSTREAM_SEV_WARNING) == 0,
	              "%s: %s", t_src_name(src), res_describe(res));
	ck_assert_uint_eq(res->records, n);
	for (i = 0; i < n; i++) {
		ck_assert_msg(res->types[i] == types[i], "%s: record %u type 0x%x, expected 0x%x",
		              t_src_name(src), (unsigned)i, res->types[i], types[i]);
		ck_assert_msg(res->offsets[i] == offsets[i],
		              "%s: record %u at 0x%llx, expected 0x%llx", t_src_name(src),
		              (unsigned)i, (unsigned long long)res->offsets[i],
		              (unsigned long long)offsets[i]);
	}
	/* POLICY-8 (info): a v3 image without CPU policy records, reported at END. */
	expect_diag(&res->diags, t_src_name(src), "POLICY-8", MIGSTREAM_SEV_INFO, end_off,
	            n - 1);
	free(res);
}

/* V1: accepted in strict mode, only info findings (POLICY-8). */
START_TEST(test_vectors_v1_strict)
{
	tbuf b;

	tb_init(&b);
	tb_vector_v1(&b);
	check_valid_vector(&b, _i, v1_types, v1_offsets, 6, V1_OFF_END);
	tb_free(&b);
}
END_TEST

/* V2: accepted in strict mode with deep checks (PV-11, PV-29..32), POLICY-8. */
START_TEST(test_vectors_v2_strict)
{
	tbuf b;

	tb_init(&b);
	tb_vector_v2(&b);
	check_valid_vector(&b, _i, v2_types, v2_offsets, 8, V2_OFF_END);
	tb_free(&b);
}
END_TEST

/* ------------------------------------------------------------ E1 and the big-endian twin */

/* E1 as dumped in vectors.md (80 octets). */
static const uint8_t e1_octets[80] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x58, 0x45, 0x4e, 0x46, 0x00, 0x00, 0x00, 0x03,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x02, 0x00, 0x0c, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x14,
	0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x18,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0xef, 0xfc,
};

/* E1 followed by a big-endian END. */
static void build_e1(tbuf *b)
{
	static const uint64_t params[2] = { 1, 0xfeffc };

	tb_image_header(b, 3, 1);
	tb_domain_header(b, 2, 4, 20);
	tb_empty(b, MIGSTREAM_REC_STATIC_DATA_END);
	tb_hvm_params(b, 1, params);
	ck_assert_uint_eq(b->len, sizeof e1_octets);
	ck_assert_mem_eq(b->data, e1_octets, sizeof e1_octets);
	tb_empty(b, MIGSTREAM_REC_END);
}

typedef struct e1_seen {
	uint32_t nparams;
	uint64_t index, value;
	int rc_count, rc_param;
} e1_seen;

static void e1_record(void *ctx, const migstream_record *rec)
{
	e1_seen *e = ctx;

	if (migstream_record_type(rec) != MIGSTREAM_REC_HVM_PARAMS)
		return;
	e->rc_count = migstream_record_count(rec, &e->nparams);
	e->rc_param = migstream_record_get_hvm_param(rec, 0, &e->index, &e->value);
}

/* E1 in restore mode: IHDR-5 decoding, warning/S IHDR-6, error HVM-2 at END. */
START_TEST(test_vectors_e1_restore_ihdr6_hvm2)
{
	e1_seen e;
	walk *w;
	tbuf b;

	memset(&e, 0, sizeof e);
	tb_init(&b);
	build_e1(&b);
	w = walk_stream(&b, _i, MIGSTREAM_MODE_RESTORE, e1_record, &e);

	ck_assert_int_eq(w->ih_rc, 0);
	ck_assert_uint_eq(w->ih.options, 1);
	ck_assert_uint_eq(w->ih.version, 3);
	ck_assert_uint_eq(w->ih.id, 0x58454E46u);
	ck_assert_int_eq(w->dh_rc, 0);
	ck_assert_uint_eq(w->dh.type, 2);
	ck_assert_uint_eq(w->dh.page_shift, 12);
	ck_assert_uint_eq(w->dh.xen_major, 4);
	ck_assert_uint_eq(w->dh.xen_minor, 20);

	ck_assert_int_eq(e.rc_count, 0);
	ck_assert_uint_eq(e.nparams, 1);
	ck_assert_int_eq(e.rc_param, 0);
	ck_assert_uint_eq(e.index, 1);
	ck_assert_uint_eq(e.value, 0xfeffcu);

	expect_diag(&w->diags, "E1", "IHDR-6", MIGSTREAM_SEV_WARNING, 16, MIGSTREAM_NO_RECORD);
	/* HVM-2 at the END record (offset 0x50, third record). */
	ck_assert_msg(w->rc < 0, "%s", walk_describe(w));
	ck_assert_msg(strcmp(w->err_rule, "HVM-2") == 0, "%s", walk_describe(w));
	ck_assert_uint_eq(w->err.offset, 0x50);
	ck_assert_uint_eq(w->err.record_index, 2);
	ck_assert_uint_eq(w->records, 2);
	/* The fragment lacks only the HVM context. */
	ck_assert_msg(t_count(&w->diags, MIGSTREAM_SEV_ERROR) == 1, "%s", walk_describe(w));
	free(w);
	tb_free(&b);
}
END_TEST

/* E1 in strict mode: warning/S IHDR-6 becomes an error, at the options field. */
START_TEST(test_vectors_e1_strict_ihdr6)
{
	t_result *res;
	tbuf b;

	tb_init(&b);
	build_e1(&b);
	res = read_all(&b, _i, MIGSTREAM_MODE_STRICT, NULL);
	expect_error(res, t_src_name(_i), "IHDR-6", 16, MIGSTREAM_NO_RECORD);
	ck_assert_uint_eq(res->records, 0);
	free(res);
	tb_free(&b);
}
END_TEST

/* E1 in lax mode: HVM-2 is reported and every record, END included, is
 * delivered. */
START_TEST(test_vectors_e1_lax_hvm2)
{
	t_result *res;
	tbuf b;

	tb_init(&b);
	build_e1(&b);
	res = read_all(&b, _i, MIGSTREAM_MODE_LAX, NULL);
	expect_error(res, t_src_name(_i), "HVM-2", 0x50, 2);
	expect_diag(&res->diags, "E1 lax", "IHDR-6", MIGSTREAM_SEV_WARNING, 16,
	            MIGSTREAM_NO_RECORD);
	ck_assert_uint_eq(res->records, 3);
	ck_assert_uint_eq(res->types[2], MIGSTREAM_REC_END);
	free(res);
	tb_free(&b);
}
END_TEST

/* Every value V1 carries, as decoded by the library. */
typedef struct decoded {
	uint32_t nrec;
	uint32_t types[8], lengths[8];
	uint64_t offsets[8], indexes[8];
	uint32_t pd_count, pd_ndata, pd_reserved;
	uint64_t pfn[2];
	uint32_t ptype[2];
	int page_present[2], page_zero[2];
	migstream_tsc_info tsc;
	uint32_t hp_count, hp_reserved;
	uint64_t hp_index, hp_value;
	size_t ctx_len;
	uint8_t ctx[64];
	int bad;                /* accessors that failed */
} decoded;

static void decode_record(void *ctx, const migstream_record *rec)
{
	decoded *d = ctx;
	uint32_t i = d->nrec++, k;
	const void *p;
	size_t len;

	if (i >= 8)
		return;
	d->types[i] = migstream_record_type(rec);
	d->lengths[i] = migstream_record_length(rec);
	d->offsets[i] = migstream_record_offset(rec);
	d->indexes[i] = migstream_record_index(rec);
	switch (d->types[i]) {
	case MIGSTREAM_REC_PAGE_DATA:
		d->bad += migstream_record_count(rec, &d->pd_count) != 0;
		d->bad += migstream_record_data_page_count(rec, &d->pd_ndata) != 0;
		d->bad += migstream_record_get_page_data_reserved(rec, &d->pd_reserved) != 0;
		for (k = 0; k < 2 && k < d->pd_count; k++) {
			const uint8_t *page = NULL;
			size_t j;

			d->bad += migstream_record_get_pfn(rec, k, &d->pfn[k], &d->ptype[k]) != 0;
			d->bad += migstream_record_get_page(rec, k, NULL, NULL, &p) != 0;
			page = p;
			d->page_present[k] = page != NULL;
			d->page_zero[k] = 1;
			for (j = 0; page != NULL && j < MIGSTREAM_PAGE_SIZE; j++)
				if (page[j] != 0)
					d->page_zero[k] = 0;
		}
		break;
	case MIGSTREAM_REC_X86_TSC_INFO:
		d->bad += migstream_record_get_tsc_info(rec, &d->tsc, sizeof d->tsc) != 0;
		break;
	case MIGSTREAM_REC_HVM_PARAMS:
		d->bad += migstream_record_count(rec, &d->hp_count) != 0;
		d->bad += migstream_record_get_hvm_params_reserved(rec, &d->hp_reserved) != 0;
		d->bad += migstream_record_get_hvm_param(rec, 0, &d->hp_index, &d->hp_value) != 0;
		break;
	case MIGSTREAM_REC_HVM_CONTEXT:
		d->bad += migstream_record_get_blob(rec, &p, &len) != 0;
		d->ctx_len = len;
		if (len <= sizeof d->ctx)
			memcpy(d->ctx, p, len);
		break;
	default:
		break;
	}
}

static void check_v1_values(const decoded *d, const walk *w, const char *what)
{
	static const uint8_t ctx[40] = {
		0x01, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00,
		0x86, 0x12, 0x38, 0x54, 0x01, 0x00, 0x00, 0x00,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xea, 0x06, 0x09, 0x00, 0x80, 0x84, 0x1e, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	static const uint32_t lengths[6] = { 0, 4120, 24, 40, 24, 0 };
	uint32_t i;

	ck_assert_msg(w->rc == MIGSTREAM_EOF, "%s: %s", what, walk_describe(w));
	ck_assert_int_eq(d->bad, 0);
	ck_assert_int_eq(w->ih_rc, 0);
	ck_assert_uint_eq(w->ih.marker, UINT64_MAX);
	ck_assert_uint_eq(w->ih.id, 0x58454E46u);
	ck_assert_uint_eq(w->ih.version, 3);
	ck_assert_uint_eq(w->ih.reserved1, 0);
	ck_assert_uint_eq(w->ih.reserved2, 0);
	ck_assert_int_eq(w->dh_rc, 0);
	ck_assert_uint_eq(w->dh.type, 2);
	ck_assert_uint_eq(w->dh.page_shift, 12);
	ck_assert_uint_eq(w->dh.reserved, 0);
	ck_assert_uint_eq(w->dh.xen_major, 4);
	ck_assert_uint_eq(w->dh.xen_minor, 20);
	ck_assert_uint_eq(d->nrec, 6);
	for (i = 0; i < 6; i++) {
		ck_assert_uint_eq(d->types[i], v1_types[i]);
		ck_assert_uint_eq(d->offsets[i], v1_offsets[i]);
		ck_assert_uint_eq(d->indexes[i], i);
		ck_assert_uint_eq(d->lengths[i], lengths[i]);
	}
	ck_assert_uint_eq(d->pd_count, 2);
	ck_assert_uint_eq(d->pd_ndata, 1);
	ck_assert_uint_eq(d->pd_reserved, 0);
	ck_assert_uint_eq(d->pfn[0], 0xfeffc);
	ck_assert_uint_eq(d->ptype[0], MIGSTREAM_PAGE_NOTAB);
	ck_assert_uint_eq(d->pfn[1], 1);
	ck_assert_uint_eq(d->ptype[1], MIGSTREAM_PAGE_XTAB);
	ck_assert_int_eq(d->page_present[0], 1);
	ck_assert_int_eq(d->page_zero[0], 1);
	ck_assert_int_eq(d->page_present[1], 0);
	ck_assert_uint_eq(d->tsc.mode, 0);
	ck_assert_uint_eq(d->tsc.khz, 2000000);
	ck_assert_uint_eq(d->tsc.nsec, 312500000);
	ck_assert_uint_eq(d->tsc.incarnation, 1);
	ck_assert_uint_eq(d->tsc.reserved, 0);
	ck_assert_uint_eq(d->hp_count, 1);
	ck_assert_uint_eq(d->hp_reserved, 0);
	ck_assert_uint_eq(d->hp_index, 1);
	ck_assert_uint_eq(d->hp_value, 0xfeffc);
	ck_assert_uint_eq(d->ctx_len, 40);
	ck_assert_mem_eq(d->ctx, ctx, 40);
}

/* V1 rebuilt big-endian (IHDR-5): every decoded value equals the LE V1's. */
START_TEST(test_vectors_v1_big_endian_twin)
{
	decoded le, be;
	walk *wl, *wb;
	tbuf bl, bb;
	uint32_t i;

	memset(&le, 0, sizeof le);
	memset(&be, 0, sizeof be);
	tb_init(&bl);
	tb_vector_v1(&bl);
	tb_init(&bb);
	bb.be = 1;
	tb_image_header(&bb, 3, 1);
	ck_assert_int_eq(bb.be, 1);
	tb_domain_header(&bb, 2, 4, 20);
	tb_empty(&bb, MIGSTREAM_REC_STATIC_DATA_END);
	{
		static const uint64_t pfns[2] = { 0xfeffcull, 0xF000000000000001ull };
		static const uint64_t params[2] = { 1, 0xfeffc };

		tb_page_data(&bb, 2, pfns, 0);
		tb_tsc_info(&bb, 0, 2000000, 312500000, 1);
		tb_hvm_context_min(&bb);
		tb_hvm_params(&bb, 1, params);
	}
	tb_empty(&bb, MIGSTREAM_REC_END);
	ck_assert_uint_eq(bb.len, bl.len);
	/* Spot-check the encoding: BE domain type, BE PAGE_DATA header. */
	ck_assert_uint_eq(bb.data[0x1b], 2);
	ck_assert_uint_eq(bb.data[0x33], 1);

	wl = walk_stream(&bl, _i, MIGSTREAM_MODE_RESTORE, decode_record, &le);
	wb = walk_stream(&bb, _i, MIGSTREAM_MODE_RESTORE, decode_record, &be);
	check_v1_values(&le, wl, "little-endian V1");
	check_v1_values(&be, wb, "big-endian V1");
	ck_assert_uint_eq(wl->ih.options, 0);
	ck_assert_uint_eq(wb->ih.options, 1);
	/* The big-endian twin differs only by the IHDR-6 warning. */
	expect_diag(&wb->diags, "BE V1", "IHDR-6", MIGSTREAM_SEV_WARNING, 16,
	            MIGSTREAM_NO_RECORD);
	ck_assert_ptr_null(t_find(&wl->diags, "IHDR-6", -1));

	/* Field for field equality (check_v1_values pins the absolute values). */
	ck_assert_uint_eq(le.nrec, be.nrec);
	for (i = 0; i < le.nrec && i < 8; i++) {
		ck_assert_uint_eq(le.types[i], be.types[i]);
		ck_assert_uint_eq(le.lengths[i], be.lengths[i]);
		ck_assert_uint_eq(le.offsets[i], be.offsets[i]);
	}
	ck_assert_uint_eq(le.pfn[0], be.pfn[0]);
	ck_assert_uint_eq(le.pfn[1], be.pfn[1]);
	ck_assert_uint_eq(le.ptype[0], be.ptype[0]);
	ck_assert_uint_eq(le.ptype[1], be.ptype[1]);
	ck_assert_uint_eq(le.tsc.nsec, be.tsc.nsec);
	ck_assert_uint_eq(le.tsc.khz, be.tsc.khz);
	ck_assert_uint_eq(le.hp_index, be.hp_index);
	ck_assert_uint_eq(le.hp_value, be.hp_value);
	ck_assert_uint_eq(le.ctx_len, be.ctx_len);
	ck_assert_mem_eq(le.ctx, be.ctx, le.ctx_len);
	ck_assert_uint_eq(wl->dh.xen_minor, wb->dh.xen_minor);
	free(wl);
	free(wb);
	tb_free(&bl);
	tb_free(&bb);
}
END_TEST

/* ------------------------------------------------------------ invalid vectors I1..I5 */

static void build_hvm_headers(tbuf *b)
{
	tb_image_header(b, 3, 0);
	tb_domain_header(b, 2, 4, 20);
}

/* I1: PAGE_DATA before STATIC_DATA_END. */
static void build_i1(tbuf *b)
{
	static const uint64_t xtab0 = 0xF000000000000000ull;

	build_hvm_headers(b);
	tb_page_data(b, 1, &xtab0, 0);
	tb_empty(b, MIGSTREAM_REC_STATIC_DATA_END);
	tb_hvm_context_min(b);
	tb_empty(b, MIGSTREAM_REC_END);
}

/* I2: a record header claiming 0x08000001 octets, and nothing after it. */
static void build_i2(tbuf *b)
{
	build_hvm_headers(b);
	tb_record_raw(b, MIGSTREAM_REC_PAGE_DATA, 0x08000001u, NULL, 0);
}

/* I3: V2 with pt_levels 3. */
static void build_i3(tbuf *b)
{
	tb_vector_v2(b);
	b->data[0x31] = 3;
}

/* I4: MSR policy entry with flags 1. */
static void build_i4(tbuf *b)
{
	build_hvm_headers(b);
	tb_se32(b, MIGSTREAM_REC_X86_MSR_POLICY);
	tb_se32(b, 16);
	tb_se32(b, 0x10a);
	tb_se32(b, 1);
	tb_se64(b, 0);
	tb_empty(b, MIGSTREAM_REC_STATIC_DATA_END);
	tb_hvm_context_min(b);
	tb_empty(b, MIGSTREAM_REC_END);
}

/* I5: V2 with p2m_end_pfn 1023 and still one frame. */
static void build_i5(tbuf *b)
{
	tb_vector_v2(b);
	tb_put_se32(b, 0x4C, 1023);
}

static void check_invalid(void (*build)(tbuf *), size_t size, const char *sha, int src,
                          const char *rule, uint64_t offset, uint64_t index)
{
	t_result *res;
	tbuf b;

	tb_init(&b);
	build(&b);
	ck_assert_uint_eq(b.len, size);
	check_sha(&b, sha);
	res = read_all(&b, src, MIGSTREAM_MODE_RESTORE, NULL);
	expect_error(res, t_src_name(src), rule, offset, index);
	/* Each vector breaks exactly one error-level rule. */
	ck_assert_msg(t_count(&res->diags, MIGSTREAM_SEV_ERROR) == 1, "%s",
	              res_describe(res));
	free(res);
	tb_free(&b);
}

START_TEST(test_vectors_i1_order4)
{
	check_invalid(build_i1, 128, SHA_I1, _i, "ORDER-4", 0x28, 0);
}
END_TEST

/* I2: REC-2 from the record header alone, code MIGSTREAM_E_TOO_LONG. */
START_TEST(test_vectors_i2_rec2)
{
	t_result *res;
	tbuf b;

	check_invalid(build_i2, 48, SHA_I2, _i, "REC-2", 0x28, 0);
	tb_init(&b);
	build_i2(&b);
	res = read_all(&b, _i, MIGSTREAM_MODE_RESTORE, NULL);
	ck_assert_msg(res->rc == MIGSTREAM_E_TOO_LONG, "%s", res_describe(res));
	ck_assert_ptr_null(t_find(&res->diags, "REC-1", -1));
	free(res);
	tb_free(&b);
}
END_TEST

START_TEST(test_vectors_i3_pv3)
{
	check_invalid(build_i3, V2_SIZE, SHA_I3, _i, "PV-3", 0x28, 0);
}
END_TEST

START_TEST(test_vectors_i4_policy3)
{
	check_invalid(build_i4, 128, SHA_I4, _i, "POLICY-3", 0x28, 0);
}
END_TEST

START_TEST(test_vectors_i5_pv9)
{
	check_invalid(build_i5, V2_SIZE, SHA_I5, _i, "PV-9", 0x40, 2);
}
END_TEST

/* ------------------------------------------------------------ further one-line cases */

typedef struct opt_seen {
	int found;
	uint64_t index, offset;
	uint32_t length;
	int blob_rc;
	size_t blob_len;
	char blob[16];
} opt_seen;

static void opt_record(void *ctx, const migstream_record *rec)
{
	opt_seen *o = ctx;
	const void *p = NULL;

	if (migstream_record_type(rec) != 0x80000001u)
		return;
	o->found++;
	o->index = migstream_record_index(rec);
	o->offset = migstream_record_offset(rec);
	o->length = migstream_record_length(rec);
	o->blob_rc = migstream_record_get_blob(rec, &p, &o->blob_len);
	if (o->blob_rc == 0 && o->blob_len < sizeof o->blob)
		memcpy(o->blob, p, o->blob_len);
}

/* REC-5: an optional record is skipped by the rules, delivered as a blob. */
START_TEST(test_vectors_rec5_optional_record)
{
	opt_seen o;
	tbuf b, rec;
	walk *w;

	memset(&o, 0, sizeof o);
	tb_init(&b);
	tb_vector_v1(&b);
	tb_init(&rec);
	tb_record(&rec, 0x80000001u, "hello", 5);
	ck_assert_uint_eq(rec.len, 16);
	insert_buf(&b, V1_OFF_PAGE_DATA, &rec);
	w = walk_stream(&b, _i, MIGSTREAM_MODE_RESTORE, opt_record, &o);
	ck_assert_msg(w->rc == MIGSTREAM_EOF, "%s", walk_describe(w));
	ck_assert_uint_eq(t_count(&w->diags, MIGSTREAM_SEV_ERROR), 0);
	expect_diag(&w->diags, "REC-5", "REC-5", MIGSTREAM_SEV_WARNING, 0x30, 1);
	ck_assert_uint_eq(w->records, 7);
	ck_assert_int_eq(o.found, 1);
	ck_assert_uint_eq(o.index, 1);
	ck_assert_uint_eq(o.offset, 0x30);
	ck_assert_uint_eq(o.length, 5);
	ck_assert_int_eq(o.blob_rc, 0);
	ck_assert_uint_eq(o.blob_len, 5);
	ck_assert_str_eq(o.blob, "hello");
	free(w);
	tb_free(&rec);
	tb_free(&b);
}
END_TEST

/* ORDER-1: octets after the final END, MIGSTREAM_E_TRAILING at 0x10C8. */
START_TEST(test_vectors_order1_trailing)
{
	static const uint8_t junk[4] = { 0xde, 0xad, 0xbe, 0xef };
	t_result *res;
	tbuf b;

	tb_init(&b);
	tb_vector_v1(&b);
	tb_bytes(&b, junk, sizeof junk);
	res = read_all(&b, _i, MIGSTREAM_MODE_RESTORE, NULL);
	ck_assert_msg(res->rc == MIGSTREAM_E_TRAILING, "%s: %s", t_src_name(_i),
	              res_describe(res));
	ck_assert_str_eq(res->err_rule, "ORDER-1");
	ck_assert_uint_eq(res->err.offset, 0x10C8);
	free(res);
	tb_free(&b);
}
END_TEST

static void check_inserted(int src, const tbuf *rec, const char *rule)
{
	t_result *res;
	tbuf b;

	tb_init(&b);
	tb_vector_v1(&b);
	insert_buf(&b, V1_OFF_PAGE_DATA, rec);
	res = read_all(&b, src, MIGSTREAM_MODE_RESTORE, NULL);
	expect_error(res, t_src_name(src), rule, 0x30, 1);
	free(res);
	tb_free(&b);
}

/* REC-6: SHARED_INFO (PV only) in an HVM image. */
START_TEST(test_vectors_rec6_shared_info_in_hvm)
{
	tbuf rec;

	tb_init(&rec);
	tb_record(&rec, MIGSTREAM_REC_SHARED_INFO, NULL, 4096);
	check_inserted(_i, &rec, "REC-6");
	tb_free(&rec);
}
END_TEST

/* ORDER-3: a second STATIC_DATA_END, at 0x30. */
START_TEST(test_vectors_order3_second_static_data_end)
{
	tbuf rec;

	tb_init(&rec);
	tb_empty(&rec, MIGSTREAM_REC_STATIC_DATA_END);
	check_inserted(_i, &rec, "ORDER-3");
	tb_free(&rec);
}
END_TEST

/* REC-7: TOOLSTACK is deprecated. */
START_TEST(test_vectors_rec7_toolstack)
{
	tbuf rec;

	tb_init(&rec);
	tb_record(&rec, MIGSTREAM_REC_TOOLSTACK, "abc", 3);
	check_inserted(_i, &rec, "REC-7");
	tb_free(&rec);
}
END_TEST

/* HVM-2: no HVM_CONTEXT; reported at END (now at 0x1090, record 4). */
START_TEST(test_vectors_hvm2_no_context)
{
	t_result *res;
	tbuf b;

	tb_init(&b);
	tb_vector_v1(&b);
	tb_delete(&b, V1_OFF_HVM_CTX, V1_OFF_HVM_PARAMS - V1_OFF_HVM_CTX);
	res = read_all(&b, _i, MIGSTREAM_MODE_RESTORE, NULL);
	expect_error(res, t_src_name(_i), "HVM-2", V1_OFF_END - 0x30, 4);
	free(res);
	tb_free(&b);
}
END_TEST

/* REC-10: STATIC_DATA_END in a version-2 image; also warning DHDR-7. */
START_TEST(test_vectors_rec10_v2_image)
{
	t_result *res;
	tbuf b;

	tb_init(&b);
	tb_vector_v1(&b);
	b.data[0x0F] = 2;
	res = read_all(&b, _i, MIGSTREAM_MODE_RESTORE, NULL);
	expect_error(res, t_src_name(_i), "REC-10", 0x28, 0);
	expect_diag(&res->diags, "v2 V1", "DHDR-7", MIGSTREAM_SEV_WARNING, 32,
	            MIGSTREAM_NO_RECORD);
	free(res);
	tb_free(&b);
}
END_TEST

/* COMPAT-1: HVM_PARAMS with count 0, producer 4.20: a warning, not info. */
START_TEST(test_vectors_compat1_empty_hvm_params)
{
	t_result *res;
	tbuf b;

	tb_init(&b);
	tb_vector_v1(&b);
	tb_put_se32(&b, V1_OFF_HVM_PARAMS + 4, 8);      /* body_length */
	tb_put_se32(&b, V1_OFF_HVM_PARAMS + 8, 0);      /* count */
	tb_delete(&b, V1_OFF_HVM_PARAMS + 16, 16);       /* the entry */
	res = read_all(&b, _i, MIGSTREAM_MODE_RESTORE, NULL);
	expect_clean_eof(res, t_src_name(_i));
	expect_diag(&res->diags, "COMPAT-1", "COMPAT-1", MIGSTREAM_SEV_WARNING,
	            V1_OFF_HVM_PARAMS, 4);
	free(res);
	tb_free(&b);
}
END_TEST

/* IHDR-8: image header reserved octet set: warning in restore, error in strict. */
START_TEST(test_vectors_ihdr8_reserved)
{
	t_result *res;
	tbuf b;

	tb_init(&b);
	tb_vector_v1(&b);
	b.data[0x17] = 1;
	res = read_all(&b, _i, MIGSTREAM_MODE_RESTORE, NULL);
	expect_clean_eof(res, t_src_name(_i));
	expect_diag(&res->diags, "IHDR-8 restore", "IHDR-8", MIGSTREAM_SEV_WARNING, 18,
	            MIGSTREAM_NO_RECORD);
	free(res);

	res = read_all(&b, _i, MIGSTREAM_MODE_STRICT, NULL);
	expect_error(res, t_src_name(_i), "IHDR-8", 18, MIGSTREAM_NO_RECORD);
	ck_assert_int_eq(res->rc, MIGSTREAM_E_RESERVED);
	free(res);
	tb_free(&b);
}
END_TEST

/* ------------------------------------------------------------ suite */

static Suite *vectors_suite(void)
{
	Suite *s = suite_create("vectors");
	TCase *tc;

	tc = tcase_create("sha256");
	tcase_add_test(tc, test_vectors_v1_sha256);
	tcase_add_test(tc, test_vectors_v2_sha256);
	tcase_add_test(tc, test_vectors_data_files);
	suite_add_tcase(s, tc);

	tc = tcase_create("valid");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_vectors_v1_strict, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_vectors_v2_strict, 0, T_SRC_COUNT);
	suite_add_tcase(s, tc);

	tc = tcase_create("byte_order");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_vectors_e1_restore_ihdr6_hvm2, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_vectors_e1_strict_ihdr6, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_vectors_e1_lax_hvm2, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_vectors_v1_big_endian_twin, 0, T_SRC_COUNT);
	suite_add_tcase(s, tc);

	tc = tcase_create("invalid");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_vectors_i1_order4, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_vectors_i2_rec2, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_vectors_i3_pv3, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_vectors_i4_policy3, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_vectors_i5_pv9, 0, T_SRC_COUNT);
	suite_add_tcase(s, tc);

	tc = tcase_create("one_line");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_vectors_rec5_optional_record, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_vectors_order1_trailing, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_vectors_rec6_shared_info_in_hvm, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_vectors_order3_second_static_data_end, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_vectors_rec7_toolstack, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_vectors_hvm2_no_context, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_vectors_rec10_v2_image, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_vectors_compat1_empty_hvm_params, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_vectors_ihdr8_reserved, 0, T_SRC_COUNT);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vectors_suite());
	int failures;

	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
