/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * Suite "libxl": the xl save-file header, the libxl stream around the
 * libxc image, checkpointed streams (Remus, COLO) and the COLO back channel.
 *
 *   vectors     vectors.md V3, V4 and I6, octet for octet, over every
 *               source kind, with their values decoded;
 *   XL, LIBXL,  one breaking and one passing stream for every XL and LIBXL
 *   CKPT        rule and for CKPT-2, 3, 4, 9, 10 and 13
 *               (test_rule_LIBXL_21_break / _pass ..., and PASS_ROW rows:
 *               V3 or V4 as it stands passes); one TCase per rule family,
 *               the organisation of the rule tests in check_rules.c too;
 *   roundtrip   writer -> reader values over every source kind, and
 *               reader -> writer octets, for xl/libxl/libxc files (HVM, PV,
 *               big-endian layers), Remus, COLO and the back channel;
 *   detect      format auto-detection and explicit format mismatches;
 *   truncation  every prefix of an xl save file is E_TRUNCATED at its end.
 *
 * Expectations follow rules.md 1.1: error -> rejected at the record header
 * offset (field offset for header rules, EOF offset for truncations) with
 * the record's ordinal in its layer; warning/S -> a warning in restore mode,
 * an error in strict mode; warning -> a warning in both; compat -> a
 * warning unless the producer is in range (then info), always a warning in
 * strict mode.  One violation, one report.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruletest.h"
#include "testutil.h"

#define NOREC MIGSTREAM_NO_RECORD
#define L_XL  MIGSTREAM_LAYER_XL
#define L_LX  MIGSTREAM_LAYER_LIBXL
#define L_XC  MIGSTREAM_LAYER_LIBXC

/* V3/V4 positions not in testutil.h. */
#define V4_OFF_IMAGE    (V4_OFF_LIBXL + V3_OFF_IMAGE)        /* 0x73 */
#define V4_OFF_DHDR     (V4_OFF_IMAGE + 24u)                 /* 0x8b */
#define V4_OFF_XS       (V4_OFF_LIBXL + V3_OFF_XS)
#define V4_OFF_EC       (V4_OFF_LIBXL + V3_OFF_EC)
#define V4_OFF_END      (V4_OFF_LIBXL + V3_OFF_END)

static const char KV[] = "physmap/f0000000/size\0" "800000";   /* 29 octets */
static const uint8_t QEVM[8] = { 0x51, 0x45, 0x56, 0x4d, 0x00, 0x00, 0x00, 0x03 };
static const char CFG_PV[] = "{\"c_info\":{\"type\":\"pv\",\"name\":\"vm1\"}}";
static const char CFG_PVH[] = "{\"c_info\":{\"type\":\"pvh\",\"name\":\"vm1\"}}";

static const uint64_t OPT_REMUS[] = { MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_REMUS, 0 };
static const uint64_t OPT_COLO[] = { MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_COLO, 0 };
static const uint64_t OPT_BACK[] = { MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_COLO_BACK, 0 };
static const uint64_t OPT_BACK_QUIRK[] = { MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_COLO_BACK,
                                           MIGSTREAM_OPT_BACK_CHANNEL_QUIRK, 1, 0 };
static const uint64_t OPT_REMUS_CHANNEL[] = { MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_REMUS,
                                              MIGSTREAM_OPT_CHANNEL, 1, 0 };

/* ------------------------------------------------------------ expectations */

/* The shared helpers (ruletest.h) with this suite's policy: each finding
 * names its layer (RT_ANY_LAYER where either may report it); errors are
 * asserted in restore mode from memory and from 7-octet reads and in strict
 * mode from memory; warnings, info findings and passes in both modes. */

/* error: rejected in restore and strict mode, from memory and 7-octet reads. */
static void want_error(const tbuf *b, const uint64_t *opts, const char *rule, int code,
                       uint32_t layer, uint64_t off, uint64_t idx)
{
	rt_want_error(b, T_SRC_MEMORY, RT_BOTH, opts, rule, code, layer, off, idx);
	rt_want_error(b, T_SRC_IO_7, RT_RESTORE, opts, rule, code, layer, off, idx);
}

/* warning/S: tolerated in restore mode, an error in strict mode. */
static void want_ws(const tbuf *b, const uint64_t *opts, const char *rule, int code,
                    uint32_t layer, uint64_t off, uint64_t idx)
{
	rt_want_ws(b, opts, rule, code, layer, off, idx);
}

/* warning (or a compat outside its range): reported, accepted in both modes. */
static void want_warning(const tbuf *b, const uint64_t *opts, const char *rule, uint32_t layer,
                         uint64_t off, uint64_t idx)
{
	rt_want_warning(b, opts, rule, layer, off, idx, 1);
}

/* info in both modes. */
static void want_info(const tbuf *b, const uint64_t *opts, const char *rule, uint32_t layer,
                      uint64_t off, uint64_t idx)
{
	rt_want_info(b, RT_BOTH, opts, rule, layer, off, idx, 1);
}

/* The rule does not fire; accepted in both modes (clean: and no warning). */
static void want_pass(const tbuf *b, const uint64_t *opts, const char *rule, int clean)
{
	rt_want_pass(b, T_SRC_MEMORY, RT_BOTH, opts, rule, clean);
}

/* ------------------------------------------------------------ stream builders */

/* [xl header with cfg] libxl header, LIBXC_CONTEXT, V1 (HVM) or V2 (PV).
 * Afterwards b->be is the libxl byte order.  Returns the image offset. */
static size_t lx_start(tbuf *b, const char *cfg, uint32_t lxopts, int pv)
{
	size_t img;

	if (cfg != NULL)
		tb_xl_config(b, cfg);
	tb_libxl_header(b, lxopts);
	tb_empty(b, MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT);
	img = b->len;
	if (pv)
		tb_vector_v2(b);
	else
		tb_vector_v1(b);
	b->be = (lxopts & 1u) ? 1 : 0;
	return img;
}

static void lx_xs(tbuf *b)
{
	tb_emulator(b, MIGSTREAM_LIBXL_REC_EMULATOR_XENSTORE_DATA, 2, 0, KV, sizeof KV);
}

static void lx_ec(tbuf *b)
{
	tb_emulator(b, MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT, 2, 0, QEVM, sizeof QEVM);
}

static void lx_state(tbuf *b, uint32_t id)
{
	uint8_t body[4] = { (uint8_t)id, (uint8_t)(id >> 8), (uint8_t)(id >> 16), (uint8_t)(id >> 24) };

	tb_record(b, MIGSTREAM_LIBXL_REC_CHECKPOINT_STATE, body, 4);
}

/* V3 with the libxl options word set (LE libxl records unless bit 0). */
static void v3_opts(tbuf *b, uint32_t opts)
{
	lx_start(b, NULL, opts, 0);
	lx_xs(b);
	lx_ec(b);
	tb_empty(b, 0);
}

/*
 * Checkpointed HVM stream, first part: libxl header, LIBXC_CONTEXT, V1's
 * records before its END, CHECKPOINT.  libxc ordinals: SDE 0, PAGE_DATA 1,
 * TSC 2, HVM_CONTEXT 3, HVM_PARAMS 4, CHECKPOINT 5; libxl: LIBXC_CONTEXT 0.
 */
static void ck_start(tbuf *b, const char *cfg)
{
	tbuf v;

	if (cfg != NULL)
		tb_xl_config(b, cfg);
	tb_libxl_header(b, 0);
	tb_empty(b, MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT);
	tb_init(&v);
	tb_vector_v1(&v);
	tb_bytes(b, v.data, V1_OFF_END);
	tb_free(&v);
	tb_empty(b, MIGSTREAM_REC_CHECKPOINT);
}

/* A checkpoint's libxl part: XS, EC, CHECKPOINT_END (3 records). */
static void ck_libxl(tbuf *b)
{
	lx_xs(b);
	lx_ec(b);
	tb_empty(b, MIGSTREAM_LIBXL_REC_CHECKPOINT_END);
}

/* The next libxc segment: PAGE_DATA, TSC, HVM_CONTEXT, HVM_PARAMS,
 * CHECKPOINT (5 records). */
static void ck_segment(tbuf *b)
{
	static const uint64_t pfns[1] = { 0xfeffcull };
	static const uint64_t params[2] = { 1, 0xfeffc };

	tb_page_data(b, 1, pfns, 0x5a);
	tb_tsc_info(b, 0, 2000000, 312500000, 1);
	tb_hvm_context_min(b);
	tb_hvm_params(b, 1, params);
	tb_empty(b, MIGSTREAM_REC_CHECKPOINT);
}

/* Complete checkpointed stream with n checkpoints, ending with libxc END
 * and libxl END. */
static void ck_stream(tbuf *b, int colo, int n)
{
	int i;

	ck_start(b, NULL);
	for (i = 0; i < n; i++) {
		ck_libxl(b);
		if (colo)
			lx_state(b, MIGSTREAM_CHECKPOINT_NEW);
		if (i + 1 < n)
			ck_segment(b);
	}
	tb_empty(b, 0);        /* libxc END */
	tb_empty(b, 0);        /* libxl END */
}

/* One back channel cycle: STATE 2, 3, 1, dirty pfn list. */
static void bc_cycle(tbuf *b, const uint64_t *pfns, uint32_t n, int quirk)
{
	uint32_t i;

	lx_state(b, MIGSTREAM_CHECKPOINT_SVM_READY);
	lx_state(b, MIGSTREAM_CHECKPOINT_SVM_RESUMED);
	lx_state(b, MIGSTREAM_CHECKPOINT_SVM_SUSPENDED);
	tb_le32(b, MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST);
	tb_le32(b, 8 * n);
	if (quirk)
		tb_zero(b, 8);
	for (i = 0; i < n; i++)
		tb_le64(b, pfns[i]);
}

/* ------------------------------------------------------------ vectors */

static const char V3_SHA[] = "4011140f5c386b99dc1ebd35049c0256bccdbe790b1c15fe9bec8d59998d4d6e";
static const char V4_SHA[] = "0b44bac7c01dd98051a0c6687d4692803d8ad7228ebf878ba8b911a6676b6712";
static const char I6_SHA[] = "49d3d9983d050d72b89d2172350dcbcbd0adbdf3749b4cfb2183224f975a7983";

struct exp_rec {
	uint32_t layer, type;
	uint64_t off, idx;
};

/* V3's records, offsets relative to the libxl header. */
static const struct exp_rec v3_recs[] = {
	{ L_LX, MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT, 0x10, 0 },
	{ L_XC, MIGSTREAM_REC_STATIC_DATA_END, 0x18 + V1_OFF_SDE, 0 },
	{ L_XC, MIGSTREAM_REC_PAGE_DATA, 0x18 + V1_OFF_PAGE_DATA, 1 },
	{ L_XC, MIGSTREAM_REC_X86_TSC_INFO, 0x18 + V1_OFF_TSC, 2 },
	{ L_XC, MIGSTREAM_REC_HVM_CONTEXT, 0x18 + V1_OFF_HVM_CTX, 3 },
	{ L_XC, MIGSTREAM_REC_HVM_PARAMS, 0x18 + V1_OFF_HVM_PARAMS, 4 },
	{ L_XC, MIGSTREAM_REC_END, 0x18 + V1_OFF_END, 5 },
	{ L_LX, MIGSTREAM_LIBXL_REC_EMULATOR_XENSTORE_DATA, V3_OFF_XS, 1 },
	{ L_LX, MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT, V3_OFF_EC, 2 },
	{ L_LX, MIGSTREAM_LIBXL_REC_END, V3_OFF_END, 3 },
};

static void check_v3_record(const migstream_record *rec)
{
	uint32_t id = 99, index = 99;
	const void *data;
	size_t len, pos = 0;
	const char *k, *v;

	switch (migstream_record_layer(rec) == L_LX ? migstream_record_type(rec) : 0xffu) {
	case MIGSTREAM_LIBXL_REC_EMULATOR_XENSTORE_DATA:
		ck_assert_uint_eq(migstream_record_length(rec), 37);
		ck_assert_int_eq(migstream_record_get_emulator(rec, &id, &index), 0);
		ck_assert_uint_eq(id, MIGSTREAM_EMULATOR_QEMU_UPSTREAM);
		ck_assert_uint_eq(index, 0);
		ck_assert_int_eq(migstream_record_next_xenstore_pair(rec, &pos, &k, &v), 0);
		ck_assert_str_eq(k, "physmap/f0000000/size");
		ck_assert_str_eq(v, "800000");
		ck_assert_int_eq(migstream_record_next_xenstore_pair(rec, &pos, &k, &v), MIGSTREAM_EOF);
		ck_assert_int_eq(migstream_record_get_emulator_context(rec, &data, &len),
		                 MIGSTREAM_E_WRONG_TYPE);
		break;
	case MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT:
		ck_assert_uint_eq(migstream_record_length(rec), 16);
		ck_assert_int_eq(migstream_record_get_emulator(rec, &id, &index), 0);
		ck_assert_uint_eq(id, 2);
		ck_assert_uint_eq(index, 0);
		ck_assert_int_eq(migstream_record_get_emulator_context(rec, &data, &len), 0);
		ck_assert_uint_eq(len, 8);
		ck_assert_mem_eq(data, QEVM, 8);
		ck_assert_int_ne(migstream_record_next_xenstore_pair(rec, &pos, &k, &v), 0);
		break;
	case MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT:
	case MIGSTREAM_LIBXL_REC_END:
		ck_assert_uint_eq(migstream_record_length(rec), 0);
		ck_assert_int_eq(migstream_record_get_emulator(rec, &id, &index), MIGSTREAM_E_WRONG_TYPE);
		break;
	default:
		break;
	}
}

/* Read b (V3 at base, maybe inside an xl file) strictly from src: the
 * record sequence with layers, offsets and ordinals, and the values. */
static void read_v3(const tbuf *b, int src, uint64_t base, int xl)
{
	migstream_reader *r = migstream_reader_new();
	t_diags *ds = calloc(1, sizeof *ds);
	t_source *s;
	const migstream_record *rec;
	migstream_libxl_header lh;
	migstream_image_header ih;
	migstream_domain_header dh;
	uint32_t fmt = 0;
	size_t i, n = sizeof v3_recs / sizeof v3_recs[0];
	int rc;

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(ds);
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MODE, MIGSTREAM_MODE_STRICT), 0);
	migstream_reader_set_diag_handler(r, t_collect, ds);
	s = t_open_source(r, src, b->data, b->len);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(migstream_reader_read_headers(r), 0);
	ck_assert_int_eq(migstream_reader_format(r, &fmt), 0);
	ck_assert_uint_eq(fmt, xl ? MIGSTREAM_FORMAT_XL : MIGSTREAM_FORMAT_LIBXL);
	ck_assert_int_eq(migstream_reader_get_libxl_header(r, &lh, sizeof lh), 0);
	ck_assert_uint_eq(lh.ident, 0x4C6962786C466D74ull);
	ck_assert_uint_eq(lh.version, 2);
	ck_assert_uint_eq(lh.options, 0);
	/* The libxc headers come with the first record after LIBXC_CONTEXT. */
	ck_assert_int_eq(migstream_reader_get_image_header(r, &ih, sizeof ih), MIGSTREAM_E_STATE);
	if (!xl) {
		migstream_xl_header xh;

		ck_assert_int_eq(migstream_reader_get_xl_header(r, &xh, sizeof xh), MIGSTREAM_E_STATE);
	}
	for (i = 0; i < n; i++) {
		rc = migstream_reader_next(r, &rec);
		ck_assert_msg(rc == 0, "%s: record %zu: %s", t_src_name(src), i,
		              migstream_reader_errmsg(r));
		ck_assert_uint_eq(migstream_record_layer(rec), v3_recs[i].layer);
		ck_assert_uint_eq(migstream_record_type(rec), v3_recs[i].type);
		ck_assert_uint_eq(migstream_record_offset(rec), base + v3_recs[i].off);
		ck_assert_uint_eq(migstream_record_index(rec), v3_recs[i].idx);
		if (i == 1) {
			ck_assert_int_eq(migstream_reader_get_image_header(r, &ih, sizeof ih), 0);
			ck_assert_uint_eq(ih.version, 3);
			ck_assert_uint_eq(ih.options, 0);
			ck_assert_int_eq(migstream_reader_get_domain_header(r, &dh, sizeof dh), 0);
			ck_assert_uint_eq(dh.type, MIGSTREAM_DOMAIN_X86_HVM);
			ck_assert_uint_eq(dh.xen_major, 4);
			ck_assert_uint_eq(dh.xen_minor, 20);
		}
		check_v3_record(rec);
	}
	ck_assert_int_eq(migstream_reader_next(r, &rec), MIGSTREAM_EOF);
	ck_assert_uint_eq(migstream_reader_offset(r), b->len);
	ck_assert_msg(t_count(ds, MIGSTREAM_SEV_ERROR) == 0 && t_count(ds, MIGSTREAM_SEV_WARNING) == 0,
	              "%s: findings (first: %s %s)", t_src_name(src), ds->n ? ds->d[0].rule : "",
	              ds->n ? ds->d[0].message : "");
	ck_assert_ptr_nonnull(t_find(ds, "POLICY-8", MIGSTREAM_SEV_INFO));
	migstream_reader_free(r);
	t_close_source(s);
	free(ds);
}

START_TEST(test_vector_v3)
{
	tbuf b;
	char sha[65];

	tb_init(&b);
	tb_vector_v3(&b);
	ck_assert_uint_eq(b.len, V3_SIZE);
	t_sha256_hex(b.data, b.len, sha);
	ck_assert_str_eq(sha, V3_SHA);
	read_v3(&b, _i, 0, 0);
	tb_free(&b);
}
END_TEST

START_TEST(test_vector_v4)
{
	tbuf b;
	char sha[65];
	migstream_reader *r;
	t_source *s;
	migstream_xl_header xh;
	const void *data;
	size_t len;

	tb_init(&b);
	tb_vector_v4(&b);
	ck_assert_uint_eq(b.len, V4_SIZE);
	t_sha256_hex(b.data, b.len, sha);
	ck_assert_str_eq(sha, V4_SHA);
	read_v3(&b, _i, V4_OFF_LIBXL, 1);

	/* The xl header and its configuration. */
	r = migstream_reader_new();
	ck_assert_ptr_nonnull(r);
	s = t_open_source(r, _i, b.data, b.len);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(migstream_reader_get_xl_header(r, &xh, sizeof xh), MIGSTREAM_E_STATE);
	ck_assert_int_eq(migstream_reader_read_headers(r), 0);
	ck_assert_int_eq(migstream_reader_get_xl_header(r, &xh, sizeof xh), 0);
	ck_assert_mem_eq(xh.magic, b.data, 32);
	ck_assert_mem_eq(xh.magic, "Xen saved domain, xl format\n \0 \r", 32);
	ck_assert_uint_eq(xh.byteorder, MIGSTREAM_XL_BYTEORDER_LE);
	ck_assert_uint_eq(xh.mandatory_flags, MIGSTREAM_XL_FLAG_JSON | MIGSTREAM_XL_FLAG_STREAMV2);
	ck_assert_uint_eq(xh.optional_flags, 0);
	ck_assert_uint_eq(xh.optional_data_len, 43);
	ck_assert_int_eq(migstream_reader_get_xl_optional_data(r, &data, &len), 0);
	ck_assert_uint_eq(len, 43);
	ck_assert_mem_eq(data, b.data + 48, 43);
	ck_assert_int_eq(migstream_reader_get_xl_config(r, &data, &len), 0);
	ck_assert_uint_eq(len, 39);
	ck_assert_mem_eq(data, V4_CONFIG, 39);      /* NUL included */
	ck_assert_uint_eq(migstream_reader_offset(r), V4_OFF_LIBXL + 16);
	migstream_reader_free(r);
	t_close_source(s);
	tb_free(&b);
}
END_TEST

START_TEST(test_vector_i6)
{
	tbuf b;
	char sha[65];
	t_result *res;

	tb_init(&b);
	tb_vector_v4(&b);
	rt_p8(&b, 0x24, 0x07);
	t_sha256_hex(b.data, b.len, sha);
	ck_assert_str_eq(sha, I6_SHA);
	res = rt_run(&b, _i, MIGSTREAM_MODE_STRICT, NULL);
	rt_check_error(res, "XL-4", MIGSTREAM_E_UNSUPPORTED, L_XL, 0x24, NOREC);
	ck_assert_uint_eq(res->records, 0);
	free(res);
	res = rt_run(&b, _i, MIGSTREAM_MODE_RESTORE, NULL);
	rt_check_error(res, "XL-4", MIGSTREAM_E_UNSUPPORTED, L_XL, 0x24, NOREC);
	free(res);
	tb_free(&b);
}
END_TEST

/* ------------------------------------------------------------ XL rules */

/* Table rows (below): passing XL-2, XL-3, XL-5, XL-6, XL-8, XL-9, XL-11,
 * XL-12, XL-13. */


static void v4(tbuf *b)
{
	tb_init(b);
	tb_vector_v4(b);
}

/* An xl header with the given optional data, then V3. */
static void xl_with(tbuf *b, int be, uint32_t mand, uint32_t optf, const void *opt, uint32_t n)
{
	tb_init(b);
	tb_xl_header(b, be, mand, optf, opt, n);
	tb_vector_v3(b);
}

/* Optional data: config_len (LE or BE) + text (+ NUL when nul) + extra zeros. */
static uint32_t make_opt(uint8_t *out, int be, const char *text, int nul, uint32_t extra)
{
	uint32_t n = (uint32_t)strlen(text) + (nul ? 1 : 0);

	if (be) {
		out[0] = (uint8_t)(n >> 24); out[1] = (uint8_t)(n >> 16);
		out[2] = (uint8_t)(n >> 8); out[3] = (uint8_t)n;
	} else {
		out[0] = (uint8_t)n; out[1] = (uint8_t)(n >> 8);
		out[2] = (uint8_t)(n >> 16); out[3] = (uint8_t)(n >> 24);
	}
	memcpy(out + 4, text, n);
	memset(out + 4 + n, 0, extra);
	return 4 + n + extra;
}

static const uint64_t OPT_FMT_XL[] = { MIGSTREAM_OPT_FORMAT, MIGSTREAM_FORMAT_XL, 0 };
static const uint64_t OPT_FMT_LIBXL[] = { MIGSTREAM_OPT_FORMAT, MIGSTREAM_FORMAT_LIBXL, 0 };
static const uint64_t OPT_FMT_LIBXC[] = { MIGSTREAM_OPT_FORMAT, MIGSTREAM_FORMAT_LIBXC, 0 };

START_TEST(test_rule_XL_1_break)
{
	tbuf b;

	/* EOF inside the 48-octet header. */
	v4(&b);
	b.len = 40;
	want_error(&b, NULL, "XL-1", MIGSTREAM_E_TRUNCATED, L_XL, 40, NOREC);
	tb_free(&b);
	/* Wrong magic where the caller said xl. */
	v4(&b);
	rt_p8(&b, 31, 0x0e);
	want_error(&b, OPT_FMT_XL, "XL-1", MIGSTREAM_E_BAD_MAGIC, L_XL, 0, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_XL_1_pass)
{
	tbuf b;

	v4(&b);
	want_pass(&b, OPT_FMT_XL, "XL-1", 1);
	want_pass(&b, NULL, "XL-1", 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_XL_2_break)
{
	tbuf b;

	v4(&b);
	rt_p8(&b, 35, 0x05);           /* 04 03 02 05 */
	want_error(&b, NULL, "XL-2", MIGSTREAM_E_HEADER, L_XL, 32, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_XL_3_break)
{
	tbuf b;
	uint8_t opt[64];
	uint32_t n = make_opt(opt, 1, V4_CONFIG, 1, 0);
	t_result *res;
	migstream_reader *r;
	migstream_xl_header xh;

	xl_with(&b, 1, 3, 0, opt, n);
	ck_assert_uint_eq(b.data[32], 0x01);
	want_warning(&b, NULL, "XL-3", L_XL, 32, NOREC);
	res = rt_run(&b, T_SRC_IO_7, MIGSTREAM_MODE_STRICT, NULL);
	rt_check_finding(res, "XL-3", MIGSTREAM_SEV_WARNING, L_XL, 32, NOREC);
	ck_assert_uint_eq(res->records, 10);
	free(res);
	/* The header decodes in big-endian order. */
	r = migstream_reader_new();
	ck_assert_int_eq(migstream_reader_open_memory(r, b.data, b.len), 0);
	ck_assert_int_eq(migstream_reader_read_headers(r), 0);
	ck_assert_int_eq(migstream_reader_get_xl_header(r, &xh, sizeof xh), 0);
	ck_assert_uint_eq(xh.byteorder, MIGSTREAM_XL_BYTEORDER_BE);
	ck_assert_uint_eq(xh.mandatory_flags, 3);
	ck_assert_uint_eq(xh.optional_data_len, 43);
	migstream_reader_free(r);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_XL_4_break)
{
	tbuf b;

	v4(&b);
	rt_p8(&b, 0x24, 0x07);
	want_error(&b, NULL, "XL-4", MIGSTREAM_E_UNSUPPORTED, L_XL, 0x24, NOREC);
	tb_free(&b);
	v4(&b);
	rt_p8(&b, 0x27, 0x80);         /* bit 31 */
	want_error(&b, NULL, "XL-4", MIGSTREAM_E_UNSUPPORTED, L_XL, 0x24, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_XL_4_pass)
{
	tbuf b;

	v4(&b);
	want_pass(&b, NULL, "XL-4", 1);
	rt_p8(&b, 0x24, 0x02);         /* STREAMv2 alone: known */
	want_pass(&b, NULL, "XL-4", 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_XL_5_break)
{
	tbuf b;

	v4(&b);
	rt_p8(&b, 0x28, 0x01);
	want_warning(&b, NULL, "XL-5", L_XL, 40, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_XL_6_break)
{
	tbuf b;

	v4(&b);
	b.len = 60;
	want_error(&b, NULL, "XL-6", MIGSTREAM_E_TRUNCATED, L_XL, 60, NOREC);
	b.len = 48;
	want_error(&b, NULL, "XL-6", MIGSTREAM_E_TRUNCATED, L_XL, 48, NOREC);
	b.len = 90;
	want_error(&b, NULL, "XL-6", MIGSTREAM_E_TRUNCATED, L_XL, 90, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_XL_7_break)
{
	tbuf b;

	xl_with(&b, 0, 3, 0, "\0\0", 2);
	want_error(&b, NULL, "XL-7", MIGSTREAM_E_HEADER, L_XL, 44, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_XL_7_pass)
{
	tbuf b;

	/* 4 octets: just config_len 0 (xl always writes the length). */
	xl_with(&b, 0, 2, 0, "\0\0\0\0", 4);
	want_pass(&b, NULL, "XL-7", 0);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_XL_8_break)
{
	tbuf b;
	uint8_t opt[64];
	uint32_t n = make_opt(opt, 0, V4_CONFIG, 1, 0);

	opt[0] = 40;                  /* config_len 40 > 43 - 4 */
	xl_with(&b, 0, 3, 0, opt, n);
	want_error(&b, NULL, "XL-8", MIGSTREAM_E_HEADER, L_XL, 48, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_XL_9_break)
{
	tbuf b;
	uint8_t opt[64];
	uint32_t n = make_opt(opt, 0, V4_CONFIG, 1, 5);

	xl_with(&b, 0, 3, 0, opt, n);
	want_warning(&b, NULL, "XL-9", L_XL, 48 + 4 + 39, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_XL_10_break)
{
	tbuf b;
	uint8_t opt[64];
	uint32_t n;

	n = make_opt(opt, 0, "{\"c_info\":{}}", 0, 0);        /* no NUL */
	xl_with(&b, 0, 3, 0, opt, n);
	want_warning(&b, NULL, "XL-10", L_XL, 48, NOREC);
	tb_free(&b);
	n = make_opt(opt, 0, "c_info.type = hvm", 1, 0);     /* not JSON */
	xl_with(&b, 0, 3, 0, opt, n);
	want_warning(&b, NULL, "XL-10", L_XL, 48, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_XL_10_pass)
{
	tbuf b;
	uint8_t opt[64];
	uint32_t n = make_opt(opt, 0, "c_info.type = hvm", 1, 0);

	v4(&b);
	want_pass(&b, NULL, "XL-10", 1);
	tb_free(&b);
	/* Without the JSON flag the text is not JSON's business. */
	xl_with(&b, 0, 2, 0, opt, n);
	want_pass(&b, NULL, "XL-10", 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_XL_11_break)
{
	tbuf b;

	xl_with(&b, 0, 2, 0, NULL, 0);
	want_warning(&b, NULL, "XL-11", L_XL, 48, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_XL_12_break)
{
	tbuf b;

	tb_init(&b);
	tb_xl_config(&b, V4_CONFIG);
	tb_vector_v1(&b);             /* a libxc image where libxl belongs */
	want_error(&b, NULL, "XL-12", MIGSTREAM_E_BAD_MAGIC, 0, V4_OFF_LIBXL, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_XL_13_break)
{
	tbuf b;
	t_result *res;

	v4(&b);
	rt_p8(&b, 0x24, 0x01);         /* JSON, STREAMv2 clear */
	want_error(&b, NULL, "XL-13", MIGSTREAM_E_LEGACY, L_XL, V4_OFF_LIBXL, NOREC);
	res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, NULL);
	ck_assert_msg(rt_count_rule(res, "LEGACY-1") == 0, "LEGACY-1 too; %s", rt_describe(res));
	free(res);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_XL_14_break)
{
	tbuf b;
	size_t img;

	/* pv config, HVM image. */
	tb_init(&b);
	img = lx_start(&b, CFG_PV, 0, 0);
	lx_xs(&b);
	lx_ec(&b);
	tb_empty(&b, 0);
	want_error(&b, NULL, "XL-14", MIGSTREAM_E_CONSISTENCY, L_XC, img + 24, NOREC);
	tb_free(&b);
	/* hvm config, PV image. */
	tb_init(&b);
	img = lx_start(&b, V4_CONFIG, 0, 1);
	tb_empty(&b, 0);
	want_error(&b, NULL, "XL-14", MIGSTREAM_E_CONSISTENCY, L_XC, img + 24, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_XL_14_pass)
{
	tbuf b;

	v4(&b);
	want_pass(&b, NULL, "XL-14", 1);
	tb_free(&b);
	/* pvh and a type-2 image (no emulator records for PVH). */
	tb_init(&b);
	lx_start(&b, CFG_PVH, 0, 0);
	tb_empty(&b, 0);
	want_pass(&b, NULL, "XL-14", 1);
	tb_free(&b);
	/* pv and a type-1 image. */
	tb_init(&b);
	lx_start(&b, CFG_PV, 0, 1);
	tb_empty(&b, 0);
	want_pass(&b, NULL, "XL-14", 1);
	tb_free(&b);
}
END_TEST

/* ------------------------------------------------------------ LIBXL rules */

/* Table rows (below): passing LIBXL-1, LIBXL-3, LIBXL-4, LIBXL-7, LIBXL-8,
 * LIBXL-11, LIBXL-12, LIBXL-13, LIBXL-14, LIBXL-17, LIBXL-20, LIBXL-24,
 * LIBXL-27, LIBXL-28, LIBXL-29, LIBXL-30, LIBXL-31, LIBXL-32, LIBXL-33. */


static void v3(tbuf *b)
{
	tb_init(b);
	tb_vector_v3(b);
}

START_TEST(test_rule_LIBXL_1_break)
{
	tbuf b;

	v3(&b);
	b.len = 10;
	want_error(&b, NULL, "LIBXL-1", MIGSTREAM_E_TRUNCATED, L_LX, 10, NOREC);
	tb_free(&b);
	v4(&b);
	b.len = V4_OFF_LIBXL + 10;
	want_error(&b, NULL, "LIBXL-1", MIGSTREAM_E_TRUNCATED, L_LX, V4_OFF_LIBXL + 10, NOREC);
	b.len = V4_OFF_LIBXL;
	want_error(&b, NULL, "LIBXL-1", MIGSTREAM_E_TRUNCATED, L_LX, V4_OFF_LIBXL, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_2_break)
{
	tbuf b;

	v3(&b);
	rt_p8(&b, 7, 'T');             /* "LibxlFmT" */
	want_error(&b, OPT_FMT_LIBXL, "LIBXL-2", MIGSTREAM_E_BAD_MAGIC, L_LX, 0, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_2_pass)
{
	tbuf b;

	v3(&b);
	want_pass(&b, OPT_FMT_LIBXL, "LIBXL-2", 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_3_break)
{
	tbuf b;

	v3(&b);
	rt_p8(&b, 11, 3);
	want_error(&b, NULL, "LIBXL-3", MIGSTREAM_E_VERSION, L_LX, 8, NOREC);
	tb_free(&b);
	v4(&b);
	rt_p8(&b, V4_OFF_LIBXL + 11, 1);
	want_error(&b, NULL, "LIBXL-3", MIGSTREAM_E_VERSION, L_LX, V4_OFF_LIBXL + 8, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_4_break)
{
	tbuf b;

	tb_init(&b);
	v3_opts(&b, MIGSTREAM_LIBXL_OPT_BIG_ENDIAN);   /* libxl records big-endian */
	ck_assert_uint_eq(b.data[V3_OFF_XS + 3], 2);   /* type 2, BE */
	want_ws(&b, NULL, "LIBXL-4", MIGSTREAM_E_HEADER, L_LX, 12, NOREC);
	tb_free(&b);
	tb_init(&b);
	tb_xl_config(&b, V4_CONFIG);
	v3_opts(&b, MIGSTREAM_LIBXL_OPT_BIG_ENDIAN);
	want_ws(&b, NULL, "LIBXL-4", MIGSTREAM_E_HEADER, L_LX, V4_OFF_LIBXL + 12, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_5_break)
{
	tbuf b;

	tb_init(&b);
	v3_opts(&b, 0x10000);
	want_ws(&b, NULL, "LIBXL-5", MIGSTREAM_E_RESERVED, L_LX, 12, NOREC);
	tb_free(&b);
	tb_init(&b);
	v3_opts(&b, 0x80000000u);     /* bits 16-31 count too (PYD-6) */
	want_ws(&b, NULL, "LIBXL-5", MIGSTREAM_E_RESERVED, L_LX, 12, NOREC);
	tb_free(&b);
	tb_init(&b);
	v3_opts(&b, 0x4);
	want_ws(&b, NULL, "LIBXL-5", MIGSTREAM_E_RESERVED, L_LX, 12, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_5_pass)
{
	tbuf b;

	v3(&b);
	want_pass(&b, NULL, "LIBXL-5", 1);
	tb_free(&b);
	tb_init(&b);
	v3_opts(&b, MIGSTREAM_LIBXL_OPT_LEGACY);       /* bit 1 is defined */
	want_pass(&b, NULL, "LIBXL-5", 0);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_6_break)
{
	tbuf b;

	/* Legacy bit, native producer (xen_major 4). */
	tb_init(&b);
	v3_opts(&b, MIGSTREAM_LIBXL_OPT_LEGACY);
	want_warning(&b, NULL, "LIBXL-6", 0, V3_OFF_IMAGE + 32, NOREC);
	tb_free(&b);
	/* Converter output (xen_major 0) without the legacy bit. */
	v3(&b);
	rt_p8(&b, V3_OFF_IMAGE + 32, 0);
	want_warning(&b, NULL, "LIBXL-6", 0, V3_OFF_IMAGE + 32, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_6_pass)
{
	tbuf b;

	v3(&b);
	want_pass(&b, NULL, "LIBXL-6", 1);
	tb_free(&b);
	tb_init(&b);
	v3_opts(&b, MIGSTREAM_LIBXL_OPT_LEGACY);
	rt_p8(&b, V3_OFF_IMAGE + 32, 0);
	want_pass(&b, NULL, "LIBXL-6", 0);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_7_break)
{
	tbuf b;

	v3(&b);
	b.len = V3_OFF_XS + 4;        /* inside the record header: no record yet */
	want_error(&b, NULL, "LIBXL-7", MIGSTREAM_E_TRUNCATED, L_LX, V3_OFF_XS + 4, NOREC);
	b.len = V3_OFF_XS + 20;       /* inside the body */
	want_error(&b, NULL, "LIBXL-7", MIGSTREAM_E_TRUNCATED, L_LX, V3_OFF_XS + 20, 1);
	b.len = V3_OFF_XS + 8 + 37 + 1;   /* inside the padding */
	want_error(&b, NULL, "LIBXL-7", MIGSTREAM_E_TRUNCATED, L_LX, V3_OFF_XS + 8 + 37 + 1, 1);
	b.len = V3_OFF_END + 3;
	want_error(&b, NULL, "LIBXL-7", MIGSTREAM_E_TRUNCATED, L_LX, V3_OFF_END + 3, NOREC);
	b.len = V3_OFF_EC + 12;       /* inside the EMULATOR_CONTEXT body */
	want_error(&b, NULL, "LIBXL-7", MIGSTREAM_E_TRUNCATED, L_LX, V3_OFF_EC + 12, 2);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_8_break)
{
	tbuf b;

	v3(&b);
	rt_p8(&b, V3_OFF_XS + 8 + 37, 0x01);
	want_ws(&b, NULL, "LIBXL-8", MIGSTREAM_E_RESERVED, L_LX, V3_OFF_XS, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_9_break)
{
	tbuf b;
	static const uint64_t cap[] = { MIGSTREAM_OPT_MAX_RECORD_LEN, 4120, 0 };
	static uint8_t big[5000];

	v3(&b);
	tb_put_se32(&b, V3_OFF_XS + 4, 0x08000001u);
	b.len = V3_OFF_XS + 8;        /* reported from the header alone */
	want_error(&b, NULL, "LIBXL-9", MIGSTREAM_E_TOO_LONG, L_LX, V3_OFF_XS, 1);
	tb_free(&b);
	tb_init(&b);
	lx_start(&b, NULL, 0, 0);
	lx_xs(&b);
	tb_emulator(&b, MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT, 2, 0, big, sizeof big);
	tb_empty(&b, 0);
	want_error(&b, cap, "LIBXL-9", MIGSTREAM_E_TOO_LONG, L_LX, V3_OFF_EC, 2);
	want_pass(&b, NULL, "LIBXL-9", 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_9_pass)
{
	tbuf b;
	static const uint64_t cap[] = { MIGSTREAM_OPT_MAX_RECORD_LEN, 4120, 0 };

	v3(&b);
	want_pass(&b, cap, "LIBXL-9", 1);
	want_pass(&b, NULL, "LIBXL-9", 1);
	tb_free(&b);
}
END_TEST

/* V3 with a record (type, body) inserted after the libxc END. */
static void v3_insert(tbuf *b, uint32_t type, const void *body, uint32_t len)
{
	tb_init(b);
	lx_start(b, NULL, 0, 0);
	tb_record(b, type, body, len);
	lx_xs(b);
	lx_ec(b);
	tb_empty(b, 0);
}

START_TEST(test_rule_LIBXL_10_break)
{
	tbuf b;

	v3_insert(&b, 6, "abcd", 4);
	want_error(&b, NULL, "LIBXL-10", MIGSTREAM_E_UNKNOWN_MANDATORY, L_LX, V3_OFF_XS, 1);
	tb_free(&b);
	v3_insert(&b, 0x7fffffffu, NULL, 0);
	want_error(&b, NULL, "LIBXL-10", MIGSTREAM_E_UNKNOWN_MANDATORY, L_LX, V3_OFF_XS, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_10_pass)
{
	tbuf b;

	v3(&b);
	want_pass(&b, NULL, "LIBXL-10", 1);
	tb_free(&b);
	v3_insert(&b, 0x80000006u, "abcd", 4);        /* optional: LIBXL-11 */
	want_pass(&b, NULL, "LIBXL-10", 0);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_11_break)
{
	tbuf b;
	t_result *res;

	v3_insert(&b, 0x80000001u, "hello", 5);
	want_warning(&b, NULL, "LIBXL-11", L_LX, V3_OFF_XS, 1);
	/* Delivered as an opaque record, then the rest. */
	res = rt_run(&b, T_SRC_IO_7, MIGSTREAM_MODE_RESTORE, NULL);
	rt_check_accepted(res);
	ck_assert_uint_eq(res->records, 11);
	ck_assert_uint_eq(res->types[7], 0x80000001u);
	ck_assert_uint_eq(res->offsets[8], V3_OFF_XS + 16);
	free(res);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_12_break)
{
	tbuf b;

	tb_init(&b);
	lx_start(&b, NULL, 0, 0);
	lx_xs(&b);
	lx_ec(&b);
	tb_record(&b, 0, "\0\0\0\0", 4);
	want_error(&b, NULL, "LIBXL-12", MIGSTREAM_E_BODY_LENGTH, L_LX, V3_OFF_END, 3);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_13_break)
{
	tbuf b;

	tb_init(&b);
	tb_libxl_header(&b, 0);
	tb_record(&b, MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT, "\0\0\0\0\0\0\0\0", 8);
	tb_vector_v1(&b);
	b.be = 0;
	lx_xs(&b);
	lx_ec(&b);
	tb_empty(&b, 0);
	want_error(&b, NULL, "LIBXL-13", MIGSTREAM_E_BODY_LENGTH, L_LX, 0x10, 0);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_14_break)
{
	tbuf b;

	/* END without any LIBXC_CONTEXT. */
	tb_init(&b);
	tb_libxl_header(&b, 0);
	tb_empty(&b, 0);
	want_error(&b, NULL, "LIBXL-14", MIGSTREAM_E_SEQUENCE, L_LX, 0x10, 0);
	tb_free(&b);
	/* A second LIBXC_CONTEXT. */
	tb_init(&b);
	lx_start(&b, NULL, 0, 0);
	lx_xs(&b);
	lx_ec(&b);
	tb_empty(&b, MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT);
	tb_vector_v1(&b);
	b.be = 0;
	tb_empty(&b, 0);
	want_error(&b, NULL, "LIBXL-14", MIGSTREAM_E_SEQUENCE, L_LX, V3_OFF_END, 3);
	tb_free(&b);
}
END_TEST

/* LIBXL-15 is the umbrella for the nested image; one violation, one
 * report (rules.md 1.3): the libxc rule that breaks is named. */
START_TEST(test_rule_LIBXL_15_break)
{
	tbuf b;

	v3(&b);
	rt_p8(&b, V3_OFF_IMAGE + 3, 0xfe);
	want_error(&b, NULL, "IHDR-2", MIGSTREAM_E_BAD_MAGIC, L_XC, V3_OFF_IMAGE, NOREC);
	tb_free(&b);
	/* No image at all: LIBXC_CONTEXT followed by END and EOF. */
	tb_init(&b);
	tb_libxl_header(&b, 0);
	tb_empty(&b, MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT);
	tb_empty(&b, 0);
	want_error(&b, NULL, "IHDR-1", MIGSTREAM_E_TRUNCATED, L_XC, 0x20, NOREC);
	tb_free(&b);
	/* A libxc rule inside: HVM_CONTEXT removed (HVM-2 at the libxc END). */
	tb_init(&b);
	{
		tbuf v;

		tb_init(&v);
		tb_vector_v1(&v);
		tb_delete(&v, V1_OFF_HVM_CTX, V1_OFF_HVM_PARAMS - V1_OFF_HVM_CTX);
		tb_libxl_header(&b, 0);
		tb_empty(&b, MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT);
		tb_bytes(&b, v.data, v.len);
		tb_free(&v);
	}
	want_error(&b, NULL, "HVM-2", 0, L_XC,
	           V3_OFF_IMAGE + V1_OFF_END - (V1_OFF_HVM_PARAMS - V1_OFF_HVM_CTX), 4);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_15_pass)
{
	tbuf b;

	v3(&b);
	want_pass(&b, NULL, "LIBXL-15", 1);
	want_pass(&b, NULL, "IHDR-2", 1);
	tb_free(&b);
}
END_TEST

/* V3 whose EMULATOR_CONTEXT is replaced by (id, index, data). */
static void v3_ec(tbuf *b, uint32_t id, uint32_t index, const void *data, uint32_t len)
{
	tb_init(b);
	lx_start(b, NULL, 0, 0);
	lx_xs(b);
	tb_emulator(b, MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT, id, index, data, len);
	tb_empty(b, 0);
}

/* V3 whose EMULATOR_XENSTORE_DATA carries data. */
static void v3_xs(tbuf *b, const void *data, uint32_t len)
{
	tb_init(b);
	lx_start(b, NULL, 0, 0);
	tb_emulator(b, MIGSTREAM_LIBXL_REC_EMULATOR_XENSTORE_DATA, 2, 0, data, len);
	lx_ec(b);
	tb_empty(b, 0);
}

START_TEST(test_rule_LIBXL_16_break)
{
	tbuf b;

	tb_init(&b);
	lx_start(&b, NULL, 0, 0);
	lx_xs(&b);
	tb_record(&b, MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT, "\2\0\0\0", 4);
	tb_empty(&b, 0);
	want_error(&b, NULL, "LIBXL-16", MIGSTREAM_E_BODY_LENGTH, L_LX, V3_OFF_EC, 2);
	tb_free(&b);
	tb_init(&b);
	lx_start(&b, NULL, 0, 0);
	tb_record(&b, MIGSTREAM_LIBXL_REC_EMULATOR_XENSTORE_DATA, "\2\0\0\0\0\0\0", 7);
	want_error(&b, NULL, "LIBXL-16", MIGSTREAM_E_BODY_LENGTH, L_LX, V3_OFF_XS, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_16_pass)
{
	tbuf b;

	v3_ec(&b, 2, 0, "", 0);       /* body_length exactly 8 */
	want_pass(&b, NULL, "LIBXL-16", 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_17_break)
{
	tbuf b;

	v3_ec(&b, 3, 0, QEVM, 8);
	want_error(&b, NULL, "LIBXL-17", MIGSTREAM_E_FIELD, L_LX, V3_OFF_EC, 2);
	tb_free(&b);
	v3_ec(&b, 0xffffffffu, 0, QEVM, 8);
	want_error(&b, NULL, "LIBXL-17", MIGSTREAM_E_FIELD, L_LX, V3_OFF_EC, 2);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_18_break)
{
	tbuf b;

	v3_ec(&b, 0, 0, QEVM, 8);
	want_warning(&b, NULL, "LIBXL-18", L_LX, V3_OFF_EC, 2);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_18_pass)
{
	tbuf b;

	/* emulator_id 0 in converter output (legacy bit, xen_major 0). */
	tb_init(&b);
	lx_start(&b, NULL, MIGSTREAM_LIBXL_OPT_LEGACY, 0);
	rt_p8(&b, V3_OFF_IMAGE + 32, 0);
	lx_xs(&b);
	tb_emulator(&b, MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT, 0, 0, QEVM, 8);
	tb_empty(&b, 0);
	want_pass(&b, NULL, "LIBXL-18", 1);
	tb_free(&b);
	v3(&b);
	want_pass(&b, NULL, "LIBXL-18", 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_19_break)
{
	tbuf b;

	/* Producer Xen 4.21, outside the range that wrote QEMU traditional. */
	v3_ec(&b, 1, 0, QEVM, 8);
	rt_p8(&b, V3_OFF_IMAGE + 36, 21);
	want_warning(&b, NULL, "LIBXL-19", L_LX, V3_OFF_EC, 2);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_19_pass)
{
	tbuf b;
	t_result *res;

	/* Producer 4.20: in range, info in restore mode; strict mode reports
	 * every compat tolerance as a warning. */
	v3_ec(&b, 1, 0, QEVM, 8);
	res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, NULL);
	rt_check_finding(res, "LIBXL-19", MIGSTREAM_SEV_INFO, L_LX, V3_OFF_EC, 2);
	rt_check_clean(res);
	free(res);
	res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_STRICT, NULL);
	rt_check_finding(res, "LIBXL-19", MIGSTREAM_SEV_WARNING, L_LX, V3_OFF_EC, 2);
	rt_check_accepted(res);
	free(res);
	tb_free(&b);
	v3(&b);
	want_pass(&b, NULL, "LIBXL-19", 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_20_break)
{
	tbuf b;

	/* PV image (libxc type 1). */
	tb_init(&b);
	lx_start(&b, NULL, 0, 1);
	{
		size_t off = b.len;

		lx_xs(&b);
		tb_empty(&b, 0);
		want_error(&b, NULL, "LIBXL-20", MIGSTREAM_E_CONSISTENCY, L_LX, off, 1);
	}
	tb_free(&b);
	/* xl config says pvh. */
	tb_init(&b);
	lx_start(&b, CFG_PVH, 0, 0);
	{
		size_t off = b.len;

		lx_ec(&b);
		tb_empty(&b, 0);
		want_error(&b, NULL, "LIBXL-20", MIGSTREAM_E_CONSISTENCY, L_LX, off, 1);
	}
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_21_break)
{
	tbuf b;

	v3_xs(&b, "key\0value", 9);   /* no final NUL */
	want_error(&b, NULL, "LIBXL-21", MIGSTREAM_E_FIELD, L_LX, V3_OFF_XS, 1);
	tb_free(&b);
	v3_xs(&b, "a\0b\0c", 6);      /* three strings */
	want_error(&b, NULL, "LIBXL-21", MIGSTREAM_E_FIELD, L_LX, V3_OFF_XS, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_21_pass)
{
	tbuf b;

	v3(&b);
	want_pass(&b, NULL, "LIBXL-21", 1);
	tb_free(&b);
	v3_xs(&b, "a\0\0b\0c", 7);    /* empty value is fine */
	want_pass(&b, NULL, "LIBXL-21", 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_22_break)
{
	tbuf b;

	v3_xs(&b, "/abs\0v", 7);
	want_error(&b, NULL, "LIBXL-22", MIGSTREAM_E_FIELD, L_LX, V3_OFF_XS, 1);
	tb_free(&b);
	v3_xs(&b, "a\0b\0\0v", 7);    /* second key empty */
	want_error(&b, NULL, "LIBXL-22", MIGSTREAM_E_FIELD, L_LX, V3_OFF_XS, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_22_pass)
{
	tbuf b;

	v3_xs(&b, "a/b\0/v", 7);      /* a value may start with '/' */
	want_pass(&b, NULL, "LIBXL-22", 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_23_break)
{
	tbuf b;

	v3_xs(&b, "key.x\0v", 8);
	want_warning(&b, NULL, "LIBXL-23", L_LX, V3_OFF_XS, 1);
	tb_free(&b);
	v3_xs(&b, "key\0v\001", 7);
	want_warning(&b, NULL, "LIBXL-23", L_LX, V3_OFF_XS, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_23_pass)
{
	tbuf b;

	v3_xs(&b, "aZ09-/_@x\0 ~printable!", 23);
	want_pass(&b, NULL, "LIBXL-23", 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_24_break)
{
	tbuf b;

	v3_xs(&b, "", 0);
	want_warning(&b, NULL, "LIBXL-24", L_LX, V3_OFF_XS, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_25_break)
{
	tbuf b;

	tb_init(&b);
	lx_start(&b, NULL, 0, 0);
	lx_xs(&b);
	tb_empty(&b, 0);
	want_warning(&b, NULL, "LIBXL-25", L_LX, V3_OFF_EC, 2);
	tb_free(&b);
	/* xl config hvm. */
	tb_init(&b);
	lx_start(&b, V4_CONFIG, 0, 0);
	tb_empty(&b, 0);
	want_warning(&b, NULL, "LIBXL-25", L_LX, V4_OFF_LIBXL + V3_OFF_XS, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_25_pass)
{
	tbuf b;

	v3(&b);
	want_pass(&b, NULL, "LIBXL-25", 1);
	tb_free(&b);
	/* PVH (type 2 per libxc, pvh per config): no emulator. */
	tb_init(&b);
	lx_start(&b, CFG_PVH, 0, 0);
	tb_empty(&b, 0);
	want_pass(&b, NULL, "LIBXL-25", 1);
	tb_free(&b);
	/* PV. */
	tb_init(&b);
	lx_start(&b, NULL, 0, 1);
	tb_empty(&b, 0);
	want_pass(&b, NULL, "LIBXL-25", 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_26_break)
{
	tbuf b;

	tb_init(&b);
	lx_start(&b, NULL, 0, 0);
	lx_xs(&b);
	lx_ec(&b);
	lx_ec(&b);
	tb_empty(&b, 0);
	want_warning(&b, NULL, "LIBXL-26", L_LX, V3_OFF_EC + 24, 3);
	tb_free(&b);
	tb_init(&b);
	lx_start(&b, NULL, 0, 0);
	lx_xs(&b);
	lx_xs(&b);
	lx_ec(&b);
	tb_empty(&b, 0);
	want_warning(&b, NULL, "LIBXL-26", L_LX, V3_OFF_XS + 48, 2);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_26_pass)
{
	tbuf b;

	/* Same emulator, another index: not a duplicate. */
	tb_init(&b);
	lx_start(&b, NULL, 0, 0);
	lx_xs(&b);
	lx_ec(&b);
	tb_emulator(&b, MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT, 2, 1, QEVM, 8);
	tb_empty(&b, 0);
	want_pass(&b, NULL, "LIBXL-26", 1);
	tb_free(&b);
	/* One per checkpoint in a Remus stream. */
	tb_init(&b);
	ck_stream(&b, 0, 3);
	want_pass(&b, OPT_REMUS, "LIBXL-26", 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_27_break)
{
	tbuf b;

	tb_init(&b);
	tb_libxl_header(&b, 0);
	lx_xs(&b);
	tb_empty(&b, MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT);
	tb_vector_v1(&b);
	b.be = 0;
	lx_ec(&b);
	tb_empty(&b, 0);
	want_warning(&b, NULL, "LIBXL-27", L_LX, 0x10, 0);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_28_break)
{
	tbuf b;

	v3_ec(&b, 2, 1, QEVM, 8);
	want_info(&b, NULL, "LIBXL-28", L_LX, V3_OFF_EC, 2);
	tb_free(&b);
}
END_TEST

/* ck_start + XS + EC: the offset of the next record (libxl ordinal 3). */
static size_t ck_after_emu(tbuf *b)
{
	tb_init(b);
	ck_start(b, NULL);
	lx_xs(b);
	lx_ec(b);
	return b->len;
}

START_TEST(test_rule_LIBXL_29_break)
{
	tbuf b;
	size_t off = ck_after_emu(&b);

	tb_record(&b, MIGSTREAM_LIBXL_REC_CHECKPOINT_END, "\0\0\0\0", 4);
	tb_empty(&b, 0);
	tb_empty(&b, 0);
	want_error(&b, OPT_REMUS, "LIBXL-29", MIGSTREAM_E_BODY_LENGTH, L_LX, off, 3);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_30_break)
{
	tbuf b;
	size_t off = ck_after_emu(&b);

	tb_empty(&b, MIGSTREAM_LIBXL_REC_CHECKPOINT_END);
	tb_record(&b, MIGSTREAM_LIBXL_REC_CHECKPOINT_STATE, "\0\0", 2);
	tb_empty(&b, 0);
	tb_empty(&b, 0);
	want_error(&b, OPT_COLO, "LIBXL-30", MIGSTREAM_E_BODY_LENGTH, L_LX, off + 8, 4);
	tb_free(&b);
	off = ck_after_emu(&b);
	tb_empty(&b, MIGSTREAM_LIBXL_REC_CHECKPOINT_END);
	tb_empty(&b, MIGSTREAM_LIBXL_REC_CHECKPOINT_STATE);
	want_error(&b, OPT_COLO, "LIBXL-30", MIGSTREAM_E_BODY_LENGTH, L_LX, off + 8, 4);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_31_break)
{
	tbuf b;
	size_t off = ck_after_emu(&b);

	tb_empty(&b, MIGSTREAM_LIBXL_REC_CHECKPOINT_END);
	tb_record(&b, MIGSTREAM_LIBXL_REC_CHECKPOINT_STATE, "\0\0\0\0\0\0\0\0", 8);
	tb_empty(&b, 0);
	tb_empty(&b, 0);
	want_ws(&b, OPT_COLO, "LIBXL-31", MIGSTREAM_E_BODY_LENGTH, L_LX, off + 8, 4);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_32_break)
{
	tbuf b;
	size_t off = ck_after_emu(&b);

	tb_empty(&b, MIGSTREAM_LIBXL_REC_CHECKPOINT_END);
	lx_state(&b, 4);
	tb_empty(&b, 0);
	tb_empty(&b, 0);
	want_error(&b, OPT_COLO, "LIBXL-32", MIGSTREAM_E_FIELD, L_LX, off + 8, 4);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LIBXL_33_break)
{
	tbuf b;
	size_t off = ck_after_emu(&b);

	/* Remus: in the checkpoint's libxl part (after CHECKPOINT_END the
	 * libxc layer has the stream again). */
	lx_state(&b, MIGSTREAM_CHECKPOINT_NEW);
	tb_empty(&b, MIGSTREAM_LIBXL_REC_CHECKPOINT_END);
	tb_empty(&b, 0);
	tb_empty(&b, 0);
	want_error(&b, OPT_REMUS, "LIBXL-33", MIGSTREAM_E_SEQUENCE, L_LX, off, 3);
	want_error(&b, NULL, "LIBXL-33", MIGSTREAM_E_SEQUENCE, L_LX, off, 3);
	tb_free(&b);
	/* Plain stream. */
	tb_init(&b);
	lx_start(&b, NULL, 0, 0);
	lx_xs(&b);
	lx_ec(&b);
	lx_state(&b, MIGSTREAM_CHECKPOINT_NEW);
	tb_empty(&b, 0);
	want_error(&b, NULL, "LIBXL-33", MIGSTREAM_E_SEQUENCE, L_LX, V3_OFF_END, 3);
	tb_free(&b);
}
END_TEST

/* ------------------------------------------------------------ CKPT rules */

/* Table rows (below): passing CKPT-3, CKPT-4, CKPT-9. */

START_TEST(test_rule_CKPT_2_break)
{
	tbuf b;
	size_t off = ck_after_emu(&b);

	/* COLO: another record where CHECKPOINT_STATE(NEW) belongs. */
	tb_empty(&b, MIGSTREAM_LIBXL_REC_CHECKPOINT_END);
	lx_ec(&b);
	tb_empty(&b, 0);
	tb_empty(&b, 0);
	want_error(&b, OPT_COLO, "CKPT-2", MIGSTREAM_E_SEQUENCE, L_LX, off + 8, 4);
	tb_free(&b);
}
END_TEST

/* After CHECKPOINT_END the libxc records continue without new headers. */
START_TEST(test_rule_CKPT_2_break_new_headers)
{
	tbuf b;
	size_t off = ck_after_emu(&b);

	tb_empty(&b, MIGSTREAM_LIBXL_REC_CHECKPOINT_END);
	tb_vector_v1(&b);             /* image and domain header again */
	b.be = 0;
	tb_empty(&b, 0);
	want_error(&b, OPT_REMUS, "CKPT-2", MIGSTREAM_E_SEQUENCE, L_XC, off + 8, 6);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_CKPT_2_pass)
{
	tbuf b;

	tb_init(&b);
	ck_stream(&b, 0, 3);
	want_pass(&b, OPT_REMUS, "CKPT-2", 1);
	want_pass(&b, NULL, "CKPT-2", 1);   /* auto: remus after CHECKPOINT */
	tb_free(&b);
	tb_init(&b);
	ck_stream(&b, 1, 3);
	want_pass(&b, OPT_COLO, "CKPT-2", 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_CKPT_3_break)
{
	tbuf b;
	size_t off;

	tb_init(&b);
	ck_start(&b, NULL);
	lx_xs(&b);
	off = b.len;
	tb_empty(&b, 0);              /* libxl END inside the checkpoint */
	want_error(&b, OPT_REMUS, "CKPT-3", MIGSTREAM_E_SEQUENCE, L_LX, off, 2);
	tb_free(&b);
	tb_init(&b);
	ck_start(&b, NULL);
	lx_xs(&b);
	off = b.len;
	tb_empty(&b, MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT);
	tb_vector_v1(&b);
	want_error(&b, OPT_REMUS, "CKPT-3", MIGSTREAM_E_SEQUENCE, L_LX, off, 2);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_CKPT_4_break)
{
	tbuf b;
	size_t off;

	/* Plain stream, after the image. */
	tb_init(&b);
	lx_start(&b, NULL, 0, 0);
	lx_xs(&b);
	lx_ec(&b);
	tb_empty(&b, MIGSTREAM_LIBXL_REC_CHECKPOINT_END);
	tb_empty(&b, 0);
	want_error(&b, NULL, "CKPT-4", MIGSTREAM_E_SEQUENCE, L_LX, V3_OFF_END, 3);
	tb_free(&b);
	/* Before LIBXC_CONTEXT. */
	tb_init(&b);
	tb_libxl_header(&b, 0);
	tb_empty(&b, MIGSTREAM_LIBXL_REC_CHECKPOINT_END);
	want_error(&b, OPT_REMUS, "CKPT-4", MIGSTREAM_E_SEQUENCE, L_LX, 0x10, 0);
	tb_free(&b);
	/* Remus, after the final libxc END. */
	tb_init(&b);
	ck_start(&b, NULL);
	ck_libxl(&b);
	tb_empty(&b, 0);              /* libxc END */
	off = b.len;
	tb_empty(&b, MIGSTREAM_LIBXL_REC_CHECKPOINT_END);
	tb_empty(&b, 0);
	want_error(&b, OPT_REMUS, "CKPT-4", MIGSTREAM_E_SEQUENCE, L_LX, off, 4);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_CKPT_9_break)
{
	tbuf b;
	size_t off = ck_after_emu(&b);

	/* A back-channel id on the forward stream. */
	tb_empty(&b, MIGSTREAM_LIBXL_REC_CHECKPOINT_END);
	lx_state(&b, MIGSTREAM_CHECKPOINT_SVM_SUSPENDED);
	tb_empty(&b, 0);
	tb_empty(&b, 0);
	want_error(&b, OPT_COLO, "CKPT-9", MIGSTREAM_E_SEQUENCE, L_LX, off + 8, 4);
	tb_free(&b);
	/* NEW before the CHECKPOINT_END. */
	off = ck_after_emu(&b);
	lx_state(&b, MIGSTREAM_CHECKPOINT_NEW);
	tb_empty(&b, MIGSTREAM_LIBXL_REC_CHECKPOINT_END);
	want_error(&b, OPT_COLO, "CKPT-9", MIGSTREAM_E_SEQUENCE, L_LX, off, 3);
	tb_free(&b);
}
END_TEST

static const uint64_t bc_pfns1[2] = { 0x10, 0x2345 };
static const uint64_t bc_pfns2[3] = { 0x7, 0x8, 0xfeffc };

START_TEST(test_rule_CKPT_10_break)
{
	tbuf b;

	/* SUSPENDED where RESUMED belongs. */
	tb_init(&b);
	lx_state(&b, MIGSTREAM_CHECKPOINT_SVM_READY);
	lx_state(&b, MIGSTREAM_CHECKPOINT_SVM_SUSPENDED);
	want_error(&b, OPT_BACK, "CKPT-10", MIGSTREAM_E_SEQUENCE, L_LX, 16, 1);
	tb_free(&b);
	/* A libxc record other than the dirty list. */
	tb_init(&b);
	lx_state(&b, MIGSTREAM_CHECKPOINT_SVM_READY);
	lx_state(&b, MIGSTREAM_CHECKPOINT_SVM_RESUMED);
	lx_state(&b, MIGSTREAM_CHECKPOINT_SVM_SUSPENDED);
	tb_empty(&b, MIGSTREAM_REC_CHECKPOINT);
	want_error(&b, OPT_BACK, "CKPT-10", MIGSTREAM_E_SEQUENCE, L_XC, 48, 0);
	tb_free(&b);
	/* A libxl record other than CHECKPOINT_STATE. */
	tb_init(&b);
	tb_empty(&b, MIGSTREAM_LIBXL_REC_CHECKPOINT_END);
	want_error(&b, OPT_BACK, "CKPT-10", MIGSTREAM_E_SEQUENCE, L_LX, 0, 0);
	tb_free(&b);
	/* EOF in the middle of a cycle. */
	tb_init(&b);
	bc_cycle(&b, bc_pfns1, 2, 0);
	lx_state(&b, MIGSTREAM_CHECKPOINT_SVM_READY);
	lx_state(&b, MIGSTREAM_CHECKPOINT_SVM_RESUMED);
	want_error(&b, OPT_BACK, "CKPT-10", MIGSTREAM_E_TRUNCATED, 0, b.len, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_CKPT_10_pass)
{
	tbuf b;
	t_result *res;

	tb_init(&b);
	bc_cycle(&b, bc_pfns1, 2, 0);
	bc_cycle(&b, bc_pfns2, 3, 0);
	want_pass(&b, OPT_BACK, "CKPT-10", 1);
	res = rt_run(&b, T_SRC_IO_7, MIGSTREAM_MODE_STRICT, OPT_BACK);
	rt_check_clean(res);
	ck_assert_uint_eq(res->records, 8);
	ck_assert_uint_eq(res->types[3], MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST);
	ck_assert_uint_eq(res->offsets[4], 48 + 24);
	free(res);
	tb_free(&b);
}
END_TEST

/* Read a back channel, checking the dirty pfns of each cycle. */
static void read_back_channel(const tbuf *b, int src, const uint64_t *opts,
                              const uint64_t *const *pfns, const uint32_t *n, int cycles)
{
	migstream_reader *r = migstream_reader_new();
	t_source *s;
	const migstream_record *rec;
	int c, k;
	size_t i;

	ck_assert_ptr_nonnull(r);
	for (i = 0; opts[i] != 0; i += 2)
		ck_assert_int_eq(migstream_reader_set_option(r, (int)opts[i], opts[i + 1]), 0);
	s = t_open_source(r, src, b->data, b->len);
	ck_assert_ptr_nonnull(s);
	for (c = 0; c < cycles; c++) {
		static const uint32_t ids[3] = { 2, 3, 1 };

		for (k = 0; k < 3; k++) {
			uint32_t id = 99;

			ck_assert_msg(migstream_reader_next(r, &rec) == 0, "%s: %s", t_src_name(src),
			              migstream_reader_errmsg(r));
			ck_assert_uint_eq(migstream_record_layer(rec), L_LX);
			ck_assert_uint_eq(migstream_record_index(rec), (uint64_t)(3 * c + k));
			ck_assert_int_eq(migstream_record_get_checkpoint_state(rec, &id), 0);
			ck_assert_uint_eq(id, ids[k]);
		}
		ck_assert_msg(migstream_reader_next(r, &rec) == 0, "%s: %s", t_src_name(src),
		              migstream_reader_errmsg(r));
		ck_assert_uint_eq(migstream_record_layer(rec), L_XC);
		ck_assert_uint_eq(migstream_record_type(rec), MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST);
		ck_assert_uint_eq(migstream_record_index(rec), (uint64_t)c);
		{
			uint32_t cnt = 0, j;

			ck_assert_int_eq(migstream_record_count(rec, &cnt), 0);
			ck_assert_uint_eq(cnt, n[c]);
			for (j = 0; j < cnt; j++) {
				uint64_t pfn = 0;

				ck_assert_int_eq(migstream_record_get_dirty_pfn(rec, j, &pfn), 0);
				ck_assert_uint_eq(pfn, pfns[c][j]);
			}
		}
	}
	ck_assert_int_eq(migstream_reader_next(r, &rec), MIGSTREAM_EOF);
	migstream_reader_free(r);
	t_close_source(s);
}

START_TEST(test_rule_CKPT_13_break)
{
	tbuf b;
	const uint64_t *pfns[2] = { bc_pfns1, bc_pfns2 };
	const uint32_t n[2] = { 2, 3 };

	tb_init(&b);
	bc_cycle(&b, bc_pfns1, 2, 1);
	bc_cycle(&b, bc_pfns2, 3, 0);
	want_warning(&b, OPT_BACK_QUIRK, "CKPT-13", L_XC, 48, 0);
	read_back_channel(&b, T_SRC_MEMORY, OPT_BACK_QUIRK, pfns, n, 2);
	read_back_channel(&b, T_SRC_IO_7, OPT_BACK_QUIRK, pfns, n, 2);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_CKPT_13_pass)
{
	tbuf b;
	const uint64_t *pfns[2] = { bc_pfns1, bc_pfns2 };
	const uint32_t n[2] = { 2, 3 };

	tb_init(&b);
	bc_cycle(&b, bc_pfns1, 2, 0);
	bc_cycle(&b, bc_pfns2, 3, 0);
	want_pass(&b, OPT_BACK_QUIRK, "CKPT-13", 1);
	want_pass(&b, OPT_BACK, "CKPT-13", 1);
	read_back_channel(&b, T_SRC_MEMORY, OPT_BACK_QUIRK, pfns, n, 2);
	tb_free(&b);
}
END_TEST

/* ------------------------------------------------------------ rule tables */

/*
 * Pass tests of one shape, one row per rule: a stream as it is built (V3,
 * the libxl stream; V4, the xl file; a Remus or COLO stream with 1 to 3
 * checkpoints), read with the row's options, is accepted in both modes,
 * with no warning at all and nothing reported under the rule.  Each
 * family's TCase runs its rows (consecutive) as loop tests; rules.sh
 * counts a PASS_ROW as the rule's pass test, and libxl_suite() fails
 * unless every row is run.
 */
struct pass_row {
	const char *rule;
	void (*base)(tbuf *b);
	const uint64_t *opts;
};
#define PASS_ROW(rule, base, opts) { rule, base, opts }

/* Complete checkpointed streams (ck_stream) with 1 to 3 checkpoints. */
static void remus_2(tbuf *b)
{
	tb_init(b);
	ck_stream(b, 0, 2);
}

static void remus_3(tbuf *b)
{
	tb_init(b);
	ck_stream(b, 0, 3);
}

static void colo_1(tbuf *b)
{
	tb_init(b);
	ck_stream(b, 1, 1);
}

static void colo_2(tbuf *b)
{
	tb_init(b);
	ck_stream(b, 1, 2);
}

static void colo_3(tbuf *b)
{
	tb_init(b);
	ck_stream(b, 1, 3);
}

static const struct pass_row pass_rows[] = {
	PASS_ROW("XL-2", v4, NULL),
	PASS_ROW("XL-3", v4, NULL),
	PASS_ROW("XL-5", v4, NULL),
	PASS_ROW("XL-6", v4, NULL),
	/* config_len 39 = 43 - 4 exactly */
	PASS_ROW("XL-8", v4, NULL),
	PASS_ROW("XL-9", v4, NULL),
	PASS_ROW("XL-11", v4, NULL),
	PASS_ROW("XL-12", v4, NULL),
	PASS_ROW("XL-13", v4, NULL),

	PASS_ROW("LIBXL-1", v3, NULL),
	PASS_ROW("LIBXL-3", v3, NULL),
	PASS_ROW("LIBXL-4", v3, NULL),
	PASS_ROW("LIBXL-7", v3, NULL),
	PASS_ROW("LIBXL-8", v3, NULL),
	PASS_ROW("LIBXL-11", v3, NULL),
	PASS_ROW("LIBXL-12", v3, NULL),
	PASS_ROW("LIBXL-13", v3, NULL),
	PASS_ROW("LIBXL-14", v3, NULL),
	PASS_ROW("LIBXL-17", v3, NULL),
	PASS_ROW("LIBXL-20", v4, NULL),
	PASS_ROW("LIBXL-24", v3, NULL),
	PASS_ROW("LIBXL-27", v3, NULL),
	PASS_ROW("LIBXL-28", v3, NULL),
	PASS_ROW("LIBXL-29", remus_2, OPT_REMUS),
	PASS_ROW("LIBXL-30", colo_2, OPT_COLO),
	PASS_ROW("LIBXL-31", colo_2, OPT_COLO),
	PASS_ROW("LIBXL-32", colo_3, OPT_COLO),
	PASS_ROW("LIBXL-33", colo_1, OPT_COLO),

	PASS_ROW("CKPT-3", remus_2, OPT_REMUS),
	PASS_ROW("CKPT-4", remus_3, OPT_REMUS),
	PASS_ROW("CKPT-9", colo_3, OPT_COLO),
};
#define N_PASS_ROWS (sizeof pass_rows / sizeof pass_rows[0])

START_TEST(test_rule_pass_row)
{
	const struct pass_row *row = &pass_rows[_i];
	tbuf b;

	row->base(&b);
	want_pass(&b, row->opts, row->rule, 1);
	tb_free(&b);
}
END_TEST

/* The TCase of a rule family, with its table rows as loop tests; *rows
 * counts the rows added. */
static TCase *family(Suite *s, const char *name, size_t *rows)
{
	TCase *tc = tcase_create(name);
	int lo, hi;

	tcase_set_timeout(tc, 60);
	for (lo = 0; lo < (int)N_PASS_ROWS && !rt_in_family(pass_rows[lo].rule, name); lo++)
		;
	for (hi = lo; hi < (int)N_PASS_ROWS && rt_in_family(pass_rows[hi].rule, name); hi++)
		;
	if (hi > lo)
		tcase_add_loop_test(tc, test_rule_pass_row, lo, hi);
	*rows += (size_t)(hi - lo);
	suite_add_tcase(s, tc);
	return tc;
}

/* ------------------------------------------------------------ round trips */

enum {
	OP_XL,        /* a: mandatory flags, b: big-endian byteorder, p/n: optional data */
	OP_LIBXL,     /* a: options */
	OP_LIBXC_CTX,
	OP_HDRS,      /* a: domain type, b: image options, c.d: xen version */
	OP_SDE,
	OP_PAGES,     /* v/cnt: entries (pfn | type << 60); c: fill (0: zero pages) */
	OP_TSC,
	OP_HVM_CTX,
	OP_PARAMS,    /* v/cnt: (index, value) pairs */
	OP_PV_INFO,
	OP_P2M,       /* a..b range, v/cnt frames */
	OP_SHARED,
	OP_VCPU,      /* a: type, b: vcpu id, p/n: context */
	OP_END_XC,
	OP_END_XL,
	OP_XS,        /* a: emulator id, b: index, p/n: pairs */
	OP_EC,        /* a: emulator id, b: index, p/n: blob */
	OP_CKPT,
	OP_CKPT_END,
	OP_STATE,     /* a: control id */
	OP_DIRTY,     /* v/cnt: pfns */
	OP_DIRTY_QUIRK /* v/cnt: pfns; written raw with 8 zero octets after the header */
};

typedef struct op {
	int k;
	uint32_t a, b, c, d;
	const void *p;
	size_t n;
	const uint64_t *v;
	uint32_t cnt;
} op;

static const uint8_t hvm_ctx[40] = {
	0x01, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00, 0x86, 0x12, 0x38, 0x54, 0x01, 0x00,
	0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xea, 0x06, 0x09, 0x00,
	0x80, 0x84, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t zero_page[4096];

static void fill_page(uint8_t *pg, uint32_t fill, uint32_t i)
{
	memset(pg, fill ? (int)((fill ^ i) & 0xffu) : 0, 4096);
	if (fill)
		pg[0] = (uint8_t)(i + 1);
}

static int op_layer(int k)
{
	switch (k) {
	case OP_LIBXC_CTX: case OP_END_XL: case OP_XS: case OP_EC: case OP_CKPT_END: case OP_STATE:
		return L_LX;
	default:
		return L_XC;
	}
}

static uint32_t op_type(int k)
{
	switch (k) {
	case OP_LIBXC_CTX: return MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT;
	case OP_END_XL: return MIGSTREAM_LIBXL_REC_END;
	case OP_XS: return MIGSTREAM_LIBXL_REC_EMULATOR_XENSTORE_DATA;
	case OP_EC: return MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT;
	case OP_CKPT_END: return MIGSTREAM_LIBXL_REC_CHECKPOINT_END;
	case OP_STATE: return MIGSTREAM_LIBXL_REC_CHECKPOINT_STATE;
	case OP_SDE: return MIGSTREAM_REC_STATIC_DATA_END;
	case OP_PAGES: return MIGSTREAM_REC_PAGE_DATA;
	case OP_TSC: return MIGSTREAM_REC_X86_TSC_INFO;
	case OP_HVM_CTX: return MIGSTREAM_REC_HVM_CONTEXT;
	case OP_PARAMS: return MIGSTREAM_REC_HVM_PARAMS;
	case OP_PV_INFO: return MIGSTREAM_REC_X86_PV_INFO;
	case OP_P2M: return MIGSTREAM_REC_X86_PV_P2M_FRAMES;
	case OP_SHARED: return MIGSTREAM_REC_SHARED_INFO;
	case OP_CKPT: return MIGSTREAM_REC_CHECKPOINT;
	case OP_DIRTY: case OP_DIRTY_QUIRK: return MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST;
	default: return MIGSTREAM_REC_END;
	}
}

static const migstream_tsc_info tsc_v1 = { 0, 2000000, 312500000, 1, 0 };

/* Write ops with the writer into memory; offsets[i] = writer offset before
 * op i.  Returns the octets (malloc'ed) in out. */
static void write_ops(const op *ops, size_t nops, const uint64_t *wopts, tbuf *out,
                      uint64_t *offsets)
{
	migstream_writer *w = migstream_writer_new();
	const void *data;
	size_t len, i;
	int raw = 0, rc;

	ck_assert_ptr_nonnull(w);
	for (i = 0; wopts != NULL && wopts[i] != 0; i += 2) {
		ck_assert_int_eq(migstream_writer_set_option(w, (int)wopts[i], wopts[i + 1]), 0);
		if (wopts[i] == MIGSTREAM_OPT_RAW && wopts[i + 1])
			raw = 1;
	}
	ck_assert_int_eq(migstream_writer_open_memory(w), 0);
	for (i = 0; i < nops; i++) {
		const op *o = &ops[i];

		offsets[i] = migstream_writer_offset(w);
		switch (o->k) {
		case OP_XL: {
			migstream_xl_header xh;

			memset(&xh, 0, sizeof xh);
			xh.mandatory_flags = o->a;
			xh.byteorder = o->b ? MIGSTREAM_XL_BYTEORDER_BE : 0;
			rc = migstream_writer_put_xl_header(w, &xh, sizeof xh, o->p, o->n);
			break;
		}
		case OP_LIBXL: {
			migstream_libxl_header lh;

			memset(&lh, 0, sizeof lh);
			lh.version = 2;
			lh.options = o->a;
			rc = migstream_writer_put_libxl_header(w, &lh, sizeof lh);
			break;
		}
		case OP_LIBXC_CTX: rc = migstream_writer_put_libxc_context(w); break;
		case OP_HDRS: {
			migstream_image_header ih;
			migstream_domain_header dh;

			memset(&ih, 0, sizeof ih);
			memset(&dh, 0, sizeof dh);
			ih.version = 3;
			ih.options = (uint16_t)o->b;
			dh.type = o->a;
			dh.page_shift = 12;
			dh.xen_major = o->c;
			dh.xen_minor = o->d;
			rc = migstream_writer_put_image_header(w, &ih, sizeof ih);
			if (rc == 0)
				rc = migstream_writer_put_domain_header(w, &dh, sizeof dh);
			break;
		}
		case OP_SDE: rc = migstream_writer_put_static_data_end(w); break;
		case OP_PAGES: {
			uint64_t pfns[16];
			uint32_t types[16], j, nd = 0;
			uint8_t *bufs[16];
			const void *pages[16];

			ck_assert_uint_le(o->cnt, 16);
			for (j = 0; j < o->cnt; j++) {
				pfns[j] = o->v[j] & 0x000fffffffffffffull;
				types[j] = (uint32_t)(o->v[j] >> 60);
				if (migstream_page_type_has_data(types[j])) {
					bufs[nd] = malloc(4096);
					ck_assert_ptr_nonnull(bufs[nd]);
					fill_page(bufs[nd], o->c, j);
					pages[nd] = bufs[nd];
					nd++;
				}
			}
			rc = migstream_writer_put_page_data(w, o->cnt, pfns, types, pages);
			for (j = 0; j < nd; j++)
				free(bufs[j]);
			break;
		}
		case OP_TSC: rc = migstream_writer_put_tsc_info(w, &tsc_v1, sizeof tsc_v1); break;
		case OP_HVM_CTX: rc = migstream_writer_put_hvm_context(w, hvm_ctx, sizeof hvm_ctx); break;
		case OP_PARAMS: {
			uint64_t idx[8], val[8];
			uint32_t j;

			for (j = 0; j < o->cnt; j++) {
				idx[j] = o->v[2 * j];
				val[j] = o->v[2 * j + 1];
			}
			rc = migstream_writer_put_hvm_params(w, o->cnt, idx, val);
			break;
		}
		case OP_PV_INFO: {
			migstream_x86_pv_info pi;

			memset(&pi, 0, sizeof pi);
			pi.guest_width = 8;
			pi.pt_levels = 4;
			rc = migstream_writer_put_x86_pv_info(w, &pi, sizeof pi);
			break;
		}
		case OP_P2M: rc = migstream_writer_put_p2m_frames(w, o->a, o->b, o->v, o->cnt); break;
		case OP_SHARED: rc = migstream_writer_put_shared_info(w, zero_page, 4096); break;
		case OP_VCPU: rc = migstream_writer_put_vcpu(w, o->a, o->b, o->p, o->n); break;
		case OP_END_XC:
		case OP_END_XL: rc = migstream_writer_put_end(w); break;
		case OP_XS:
			rc = migstream_writer_put_emulator_xenstore_data(w, o->a, o->b, o->p, o->n);
			break;
		case OP_EC: rc = migstream_writer_put_emulator_context(w, o->a, o->b, o->p, o->n); break;
		case OP_CKPT: rc = migstream_writer_put_checkpoint(w); break;
		case OP_CKPT_END: rc = migstream_writer_put_checkpoint_end(w); break;
		case OP_STATE: rc = migstream_writer_put_checkpoint_state(w, o->a); break;
		case OP_DIRTY: rc = migstream_writer_put_dirty_pfn_list(w, o->v, o->cnt); break;
		case OP_DIRTY_QUIRK: {
			tbuf q;
			uint32_t j;

			ck_assert(raw);
			tb_init(&q);
			tb_le32(&q, MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST);
			tb_le32(&q, 8 * o->cnt);
			tb_zero(&q, 8);
			for (j = 0; j < o->cnt; j++)
				tb_le64(&q, o->v[j]);
			rc = migstream_writer_put_raw(w, q.data, q.len);
			tb_free(&q);
			break;
		}
		default: rc = MIGSTREAM_E_INVAL; break;
		}
		ck_assert_msg(rc == 0, "write op %zu (kind %d): %s: %s", i, o->k,
		              migstream_error_name(rc), migstream_writer_errmsg(w));
	}
	offsets[nops] = migstream_writer_offset(w);
	ck_assert_int_eq(migstream_writer_get_memory(w, &data, &len), 0);
	ck_assert_uint_eq(len, offsets[nops]);
	tb_init(out);
	tb_bytes(out, data, len);
	if (!raw && nops > 0 && (ops[nops - 1].k == OP_END_XL || ops[nops - 1].k == OP_END_XC))
		ck_assert_msg(migstream_writer_close(w) == 0, "close: %s", migstream_writer_errmsg(w));
	migstream_writer_free(w);
}

static int allowed(const char *rule, const char *const *allow)
{
	for (; allow != NULL && *allow != NULL; allow++)
		if (strcmp(rule, *allow) == 0)
			return 1;
	return 0;
}

static void check_op_values(const op *o, const migstream_record *rec, const char *where)
{
	uint32_t cnt = 0, j, id = 99, index = 99;
	const void *data;
	size_t len;

	switch (o->k) {
	case OP_PAGES:
		ck_assert_int_eq(migstream_record_count(rec, &cnt), 0);
		ck_assert_uint_eq(cnt, o->cnt);
		for (j = 0; j < cnt; j++) {
			uint64_t pfn = 0;
			uint32_t type = 0;
			const void *pg = NULL;

			ck_assert_int_eq(migstream_record_get_page(rec, j, &pfn, &type, &pg), 0);
			ck_assert_uint_eq(pfn, o->v[j] & 0x000fffffffffffffull);
			ck_assert_uint_eq(type, (uint32_t)(o->v[j] >> 60));
			if (migstream_page_type_has_data(type)) {
				uint8_t want[4096];

				fill_page(want, o->c, j);
				ck_assert_ptr_nonnull(pg);
				ck_assert_msg(memcmp(pg, want, 4096) == 0, "%s: page %u differs", where, j);
			} else {
				ck_assert_ptr_null(pg);
			}
		}
		break;
	case OP_TSC: {
		migstream_tsc_info t;

		ck_assert_int_eq(migstream_record_get_tsc_info(rec, &t, sizeof t), 0);
		ck_assert_uint_eq(t.khz, tsc_v1.khz);
		ck_assert_uint_eq(t.nsec, tsc_v1.nsec);
		ck_assert_uint_eq(t.incarnation, tsc_v1.incarnation);
		break;
	}
	case OP_HVM_CTX:
		ck_assert_int_eq(migstream_record_get_blob(rec, &data, &len), 0);
		ck_assert_uint_eq(len, sizeof hvm_ctx);
		ck_assert_mem_eq(data, hvm_ctx, sizeof hvm_ctx);
		break;
	case OP_PARAMS:
		ck_assert_int_eq(migstream_record_count(rec, &cnt), 0);
		ck_assert_uint_eq(cnt, o->cnt);
		for (j = 0; j < cnt; j++) {
			uint64_t i = 0, v = 0;

			ck_assert_int_eq(migstream_record_get_hvm_param(rec, j, &i, &v), 0);
			ck_assert_uint_eq(i, o->v[2 * j]);
			ck_assert_uint_eq(v, o->v[2 * j + 1]);
		}
		break;
	case OP_PV_INFO: {
		migstream_x86_pv_info pi;

		ck_assert_int_eq(migstream_record_get_x86_pv_info(rec, &pi, sizeof pi), 0);
		ck_assert_uint_eq(pi.guest_width, 8);
		ck_assert_uint_eq(pi.pt_levels, 4);
		break;
	}
	case OP_P2M: {
		uint32_t s = 99, e = 99;

		ck_assert_int_eq(migstream_record_get_p2m_range(rec, &s, &e), 0);
		ck_assert_uint_eq(s, o->a);
		ck_assert_uint_eq(e, o->b);
		ck_assert_int_eq(migstream_record_count(rec, &cnt), 0);
		ck_assert_uint_eq(cnt, o->cnt);
		for (j = 0; j < cnt; j++) {
			uint64_t f = 99;

			ck_assert_int_eq(migstream_record_get_p2m_frame(rec, j, &f), 0);
			ck_assert_uint_eq(f, o->v[j]);
		}
		break;
	}
	case OP_SHARED:
		ck_assert_int_eq(migstream_record_get_blob(rec, &data, &len), 0);
		ck_assert_uint_eq(len, 4096);
		ck_assert_mem_eq(data, zero_page, 4096);
		break;
	case OP_VCPU: {
		uint32_t v = 99;

		ck_assert_int_eq(migstream_record_get_vcpu(rec, &v, NULL, &data, &len), 0);
		ck_assert_uint_eq(v, o->b);
		ck_assert_uint_eq(len, o->n);
		ck_assert_mem_eq(data, o->p, o->n);
		break;
	}
	case OP_XS: {
		size_t pos = 0;
		const char *k, *val;
		const uint8_t *body;

		ck_assert_int_eq(migstream_record_get_emulator(rec, &id, &index), 0);
		ck_assert_uint_eq(id, o->a);
		ck_assert_uint_eq(index, o->b);
		body = migstream_record_body(rec, &len);
		ck_assert_uint_eq(len, 8 + o->n);
		ck_assert_mem_eq(body + 8, o->p, o->n);
		/* The pairs walk the data exactly. */
		j = 0;
		while (migstream_record_next_xenstore_pair(rec, &pos, &k, &val) == 0) {
			ck_assert_mem_eq(k, (const char *)o->p + j, strlen(k) + 1);
			j += (uint32_t)strlen(k) + 1;
			ck_assert_mem_eq(val, (const char *)o->p + j, strlen(val) + 1);
			j += (uint32_t)strlen(val) + 1;
		}
		ck_assert_uint_eq(j, o->n);
		break;
	}
	case OP_EC:
		ck_assert_int_eq(migstream_record_get_emulator(rec, &id, &index), 0);
		ck_assert_uint_eq(id, o->a);
		ck_assert_uint_eq(index, o->b);
		ck_assert_int_eq(migstream_record_get_emulator_context(rec, &data, &len), 0);
		ck_assert_uint_eq(len, o->n);
		ck_assert_mem_eq(data, o->p, o->n);
		break;
	case OP_STATE:
		ck_assert_int_eq(migstream_record_get_checkpoint_state(rec, &id), 0);
		ck_assert_uint_eq(id, o->a);
		break;
	case OP_DIRTY:
	case OP_DIRTY_QUIRK:
		ck_assert_int_eq(migstream_record_count(rec, &cnt), 0);
		ck_assert_uint_eq(cnt, o->cnt);
		for (j = 0; j < cnt; j++) {
			uint64_t pfn = 99;

			ck_assert_int_eq(migstream_record_get_dirty_pfn(rec, j, &pfn), 0);
			ck_assert_uint_eq(pfn, o->v[j]);
		}
		break;
	default:
		ck_assert_uint_eq(migstream_record_length(rec), 0);
		break;
	}
}

/*
 * Read data from src and check it against ops (record by record: layer,
 * type, offset, ordinal in its layer, values; headers).  ops[nops..] may be
 * missing from the data when stop_early (channel failover).  Every warning
 * must be in allow; no errors.
 */
static void verify_ops(const op *ops, size_t nops, const uint64_t *offsets, const tbuf *b, int src,
                       int mode, const uint64_t *ropts, const char *const *allow)
{
	migstream_reader *r = migstream_reader_new();
	t_diags *ds = calloc(1, sizeof *ds);
	t_source *s;
	const migstream_record *rec;
	uint64_t idx[4] = { 0, 0, 0, 0 };
	size_t i, j;
	int hdrs_pending = -1, rc;
	char where[64];

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(ds);
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MODE, (uint64_t)mode), 0);
	for (i = 0; ropts != NULL && ropts[i] != 0; i += 2)
		ck_assert_int_eq(migstream_reader_set_option(r, (int)ropts[i], ropts[i + 1]), 0);
	migstream_reader_set_diag_handler(r, t_collect, ds);
	s = t_open_source(r, src, b->data, b->len);
	ck_assert_ptr_nonnull(s);
	rc = migstream_reader_read_headers(r);
	ck_assert_msg(rc == 0, "%s: headers: %s", t_src_name(src), migstream_reader_errmsg(r));

	for (i = 0; i < nops; i++) {
		const op *o = &ops[i];

		snprintf(where, sizeof where, "%s op %zu", t_src_name(src), i);
		if (o->k == OP_XL) {
			migstream_xl_header xh;
			const void *d;
			size_t n;

			ck_assert_int_eq(migstream_reader_get_xl_header(r, &xh, sizeof xh), 0);
			ck_assert_uint_eq(xh.byteorder, o->b ? MIGSTREAM_XL_BYTEORDER_BE
			                                     : MIGSTREAM_XL_BYTEORDER_LE);
			ck_assert_uint_eq(xh.mandatory_flags, o->a);
			ck_assert_uint_eq(xh.optional_flags, 0);
			ck_assert_uint_eq(xh.optional_data_len, o->n);
			ck_assert_int_eq(migstream_reader_get_xl_optional_data(r, &d, &n), 0);
			ck_assert_uint_eq(n, o->n);
			ck_assert_mem_eq(d, o->p, n);
			ck_assert_int_eq(migstream_reader_get_xl_config(r, &d, &n), 0);
			ck_assert_uint_eq(n, o->n - 4);
			ck_assert_mem_eq(d, (const uint8_t *)o->p + 4, n);
			continue;
		}
		if (o->k == OP_LIBXL) {
			migstream_libxl_header lh;

			ck_assert_int_eq(migstream_reader_get_libxl_header(r, &lh, sizeof lh), 0);
			ck_assert_uint_eq(lh.ident, 0x4C6962786C466D74ull);
			ck_assert_uint_eq(lh.version, 2);
			ck_assert_uint_eq(lh.options, o->a);
			continue;
		}
		if (o->k == OP_HDRS) {
			hdrs_pending = (int)i;
			idx[L_XC] = 0;
			continue;
		}
		rc = migstream_reader_next(r, &rec);
		ck_assert_msg(rc == 0, "%s: next: %s", where, migstream_reader_errmsg(r));
		ck_assert_msg(migstream_record_layer(rec) == (uint32_t)op_layer(o->k), "%s: layer %u",
		              where, migstream_record_layer(rec));
		ck_assert_msg(migstream_record_type(rec) == (o->k == OP_VCPU ? o->a : op_type(o->k)),
		              "%s: type 0x%x", where,
		              migstream_record_type(rec));
		ck_assert_msg(migstream_record_offset(rec) == offsets[i], "%s: offset 0x%llx, want 0x%llx",
		              where, (unsigned long long)migstream_record_offset(rec),
		              (unsigned long long)offsets[i]);
		ck_assert_msg(migstream_record_index(rec) == idx[op_layer(o->k)],
		              "%s: index %llu, want %llu", where,
		              (unsigned long long)migstream_record_index(rec),
		              (unsigned long long)idx[op_layer(o->k)]);
		idx[op_layer(o->k)]++;
		if (hdrs_pending >= 0) {
			const op *h = &ops[hdrs_pending];
			migstream_image_header ih;
			migstream_domain_header dh;

			ck_assert_int_eq(migstream_reader_get_image_header(r, &ih, sizeof ih), 0);
			ck_assert_uint_eq(ih.marker, UINT64_MAX);
			ck_assert_uint_eq(ih.id, 0x58454E46u);
			ck_assert_uint_eq(ih.version, 3);
			ck_assert_uint_eq(ih.options, h->b);
			ck_assert_int_eq(migstream_reader_get_domain_header(r, &dh, sizeof dh), 0);
			ck_assert_uint_eq(dh.type, h->a);
			ck_assert_uint_eq(dh.page_shift, 12);
			ck_assert_uint_eq(dh.xen_major, h->c);
			ck_assert_uint_eq(dh.xen_minor, h->d);
			hdrs_pending = -1;
		}
		check_op_values(o, rec, where);
	}
	rc = migstream_reader_next(r, &rec);
	ck_assert_msg(rc == MIGSTREAM_EOF, "%s: after the last record: %s %s", t_src_name(src),
	              migstream_error_name(rc), migstream_reader_errmsg(r));
	for (j = 0; j < ds->n; j++) {
		const t_diag *d = &ds->d[j];

		ck_assert_msg(d->severity != MIGSTREAM_SEV_ERROR, "%s: error %s: %s", t_src_name(src),
		              d->rule, d->message);
		ck_assert_msg(d->severity != MIGSTREAM_SEV_WARNING || allowed(d->rule, allow),
		              "%s: warning %s: %s", t_src_name(src), d->rule, d->message);
	}
	migstream_reader_free(r);
	t_close_source(s);
	free(ds);
}

/* Read data (src, restore mode, ropts) and write it back with the writer
 * (wopts): headers via get_* -> put_*, PAGE_DATA typed, the rest generic. */
static void copy_stream(const tbuf *b, int src, const uint64_t *ropts, const uint64_t *wopts,
                        tbuf *out)
{
	migstream_reader *r = migstream_reader_new();
	migstream_writer *w = migstream_writer_new();
	t_source *s;
	const migstream_record *rec;
	uint32_t fmt = 0;
	int rc, want_hdrs = 0;
	size_t i;
	const void *data;
	size_t len;

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(w);
	for (i = 0; ropts != NULL && ropts[i] != 0; i += 2)
		ck_assert_int_eq(migstream_reader_set_option(r, (int)ropts[i], ropts[i + 1]), 0);
	for (i = 0; wopts != NULL && wopts[i] != 0; i += 2)
		ck_assert_int_eq(migstream_writer_set_option(w, (int)wopts[i], wopts[i + 1]), 0);
	ck_assert_int_eq(migstream_writer_open_memory(w), 0);
	s = t_open_source(r, src, b->data, b->len);
	ck_assert_ptr_nonnull(s);
	rc = migstream_reader_read_headers(r);
	ck_assert_msg(rc == 0, "headers: %s", migstream_reader_errmsg(r));
	ck_assert_int_eq(migstream_reader_format(r, &fmt), 0);
	{
		migstream_xl_header xh;
		migstream_libxl_header lh;

		if (migstream_reader_get_xl_header(r, &xh, sizeof xh) == 0) {
			ck_assert_int_eq(migstream_reader_get_xl_optional_data(r, &data, &len), 0);
			rc = migstream_writer_put_xl_header(w, &xh, sizeof xh, data, len);
			ck_assert_msg(rc == 0, "put_xl_header: %s", migstream_writer_errmsg(w));
		}
		if (migstream_reader_get_libxl_header(r, &lh, sizeof lh) == 0) {
			rc = migstream_writer_put_libxl_header(w, &lh, sizeof lh);
			ck_assert_msg(rc == 0, "put_libxl_header: %s", migstream_writer_errmsg(w));
		}
	}
	want_hdrs = fmt == MIGSTREAM_FORMAT_LIBXC;
	for (;;) {
		rc = migstream_reader_next(r, &rec);
		if (rc == MIGSTREAM_EOF)
			break;
		ck_assert_msg(rc == 0, "%s: next: %s", t_src_name(src), migstream_reader_errmsg(r));
		if (want_hdrs && migstream_record_layer(rec) == L_XC) {
			migstream_image_header ih;
			migstream_domain_header dh;

			ck_assert_int_eq(migstream_reader_get_image_header(r, &ih, sizeof ih), 0);
			ck_assert_int_eq(migstream_reader_get_domain_header(r, &dh, sizeof dh), 0);
			ck_assert_int_eq(migstream_writer_put_image_header(w, &ih, sizeof ih), 0);
			rc = migstream_writer_put_domain_header(w, &dh, sizeof dh);
			ck_assert_msg(rc == 0, "put_domain_header: %s", migstream_writer_errmsg(w));
			want_hdrs = 0;
		}
		if (migstream_record_layer(rec) == L_XC &&
		    migstream_record_type(rec) == MIGSTREAM_REC_PAGE_DATA) {
			uint32_t cnt = 0, j, nd = 0;
			uint64_t *pfns;
			uint32_t *types;
			const void **pages;

			ck_assert_int_eq(migstream_record_count(rec, &cnt), 0);
			pfns = calloc(cnt + 1, sizeof *pfns);
			types = calloc(cnt + 1, sizeof *types);
			pages = calloc(cnt + 1, sizeof *pages);
			ck_assert(pfns && types && pages);
			for (j = 0; j < cnt; j++) {
				const void *pg = NULL;

				ck_assert_int_eq(migstream_record_get_page(rec, j, &pfns[j], &types[j], &pg), 0);
				if (pg != NULL)
					pages[nd++] = pg;
			}
			rc = migstream_writer_put_page_data(w, cnt, pfns, types, pages);
			free(pfns);
			free(types);
			free(pages);
		} else {
			const void *body = migstream_record_body(rec, &len);

			ck_assert_uint_eq(len, migstream_record_length(rec));
			rc = migstream_writer_put_record(w, migstream_record_type(rec), body, (uint32_t)len);
		}
		ck_assert_msg(rc == 0, "put record %s at 0x%llx: %s",
		              migstream_record_type_name(migstream_record_layer(rec),
		                                         migstream_record_type(rec)),
		              (unsigned long long)migstream_record_offset(rec), migstream_writer_errmsg(w));
		if (migstream_record_layer(rec) == L_LX &&
		    migstream_record_type(rec) == MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT)
			want_hdrs = 1;
	}
	ck_assert_int_eq(migstream_writer_get_memory(w, &data, &len), 0);
	tb_init(out);
	tb_bytes(out, data, len);
	migstream_reader_free(r);
	t_close_source(s);
	migstream_writer_free(w);
}

/* The whole round trip over every source kind. */
static void round_trip(const op *ops, size_t nops, const uint64_t *wopts, const uint64_t *ropts,
                       const char *const *allow, const tbuf *expect_copy)
{
	uint64_t *offsets = calloc(nops + 1, sizeof *offsets);
	tbuf b, c;
	int src;

	ck_assert_ptr_nonnull(offsets);
	write_ops(ops, nops, wopts, &b, offsets);
	for (src = 0; src < T_SRC_COUNT; src++)
		verify_ops(ops, nops, offsets, &b, src, MIGSTREAM_MODE_RESTORE, ropts, allow);
	for (src = 0; src < T_SRC_COUNT; src++) {
		if (src == T_SRC_IO_1 && b.len > 65536)
			continue;
		copy_stream(&b, src, ropts, wopts, &c);
		if (expect_copy == NULL) {
			ck_assert_msg(c.len == b.len && memcmp(c.data, b.data, b.len) == 0,
			              "%s: copy differs (%zu vs %zu octets)", t_src_name(src), c.len, b.len);
		} else {
			ck_assert_msg(c.len == expect_copy->len &&
			              memcmp(c.data, expect_copy->data, c.len) == 0,
			              "%s: copy differs from the expected stream (%zu vs %zu octets)",
			              t_src_name(src), c.len, expect_copy->len);
		}
		tb_free(&c);
	}
	tb_free(&b);
	free(offsets);
}

static const char KV3[] = "physmap/f0000000/start_addr\0" "f0000000\0"
                          "physmap/f0000000/size\0" "800000\0"
                          "physmap/f0000000/name\0" "vga.vram";    /* + final NUL */
static uint8_t ec_blob[100];
static uint8_t opt_le[64], opt_be[64], opt_pv[64];
static uint32_t opt_le_n, opt_be_n, opt_pv_n;
static uint8_t pv_ctx[5168];

static const uint64_t pd1[3] = { 0xfeffcull, 0x1000ull, 0xF000000000002000ull };
static const uint64_t pd2[2] = { 0x1001ull, 0x1002ull };
static const uint64_t pd3[1] = { 0xfeffcull };
static const uint64_t params1[2] = { 1, 0xfeffc };
static const uint64_t pv_pd[3] = { 0, 0xC000000000000001ull, 2 };
static const uint64_t pv_p2m[1] = { 0 };

static void rt_init(void)
{
	size_t i;

	for (i = 0; i < sizeof ec_blob; i++)
		ec_blob[i] = (uint8_t)(i * 7 + 3);
	memcpy(ec_blob, "QEVM", 4);
	opt_le_n = make_opt(opt_le, 0, V4_CONFIG, 1, 0);
	opt_be_n = make_opt(opt_be, 1, V4_CONFIG, 1, 0);
	opt_pv_n = make_opt(opt_pv, 0, CFG_PV, 1, 0);
	memset(pv_ctx, 0, sizeof pv_ctx);
	pv_ctx[616] = 2;              /* user_regs.rdx: start_info pfn 2 */
	pv_ctx[5009] = 0x10;          /* ctrlreg[3] = 0x1000: pfn 1 */
}

#define OPN(a) (sizeof(a) / sizeof((a)[0]))
#define O(k) { k, 0, 0, 0, 0, NULL, 0, NULL, 0 }

/* HVM xl file; lxopts / ihopts / xl_be select big-endian layers. */
static size_t hvm_ops(op *ops, uint32_t lxopts, uint32_t ihopts, int xl_be)
{
	size_t n = 0;
	op o;

#define ADD(...) do { op t_ = { __VA_ARGS__ }; ops[n++] = t_; } while (0)
	memset(&o, 0, sizeof o);
	ADD(OP_XL, 3, (uint32_t)xl_be, 0, 0, xl_be ? opt_be : opt_le, xl_be ? opt_be_n : opt_le_n, NULL, 0);
	ADD(OP_LIBXL, lxopts, 0, 0, 0, NULL, 0, NULL, 0);
	ADD(OP_LIBXC_CTX, 0, 0, 0, 0, NULL, 0, NULL, 0);
	ADD(OP_HDRS, 2, ihopts, 4, 20, NULL, 0, NULL, 0);
	ADD(OP_SDE, 0, 0, 0, 0, NULL, 0, NULL, 0);
	ADD(OP_PAGES, 0, 0, 0x11, 0, NULL, 0, pd1, 3);
	ADD(OP_PAGES, 0, 0, 0x22, 0, NULL, 0, pd2, 2);
	ADD(OP_TSC, 0, 0, 0, 0, NULL, 0, NULL, 0);
	ADD(OP_HVM_CTX, 0, 0, 0, 0, NULL, 0, NULL, 0);
	ADD(OP_PARAMS, 0, 0, 0, 0, NULL, 0, params1, 1);
	ADD(OP_END_XC, 0, 0, 0, 0, NULL, 0, NULL, 0);
	ADD(OP_XS, 2, 0, 0, 0, KV3, sizeof KV3, NULL, 0);
	ADD(OP_EC, 2, 0, 0, 0, ec_blob, sizeof ec_blob, NULL, 0);
	ADD(OP_END_XL, 0, 0, 0, 0, NULL, 0, NULL, 0);
	return n;
}

START_TEST(test_roundtrip_hvm_xl)
{
	op ops[32];
	size_t n;

	rt_init();
	n = hvm_ops(ops, 0, 0, 0);
	round_trip(ops, n, NULL, NULL, NULL, NULL);
	/* Strict mode too: a clean file. */
	{
		uint64_t off[33];
		tbuf b;

		write_ops(ops, n, NULL, &b, off);
		verify_ops(ops, n, off, &b, T_SRC_MEMORY, MIGSTREAM_MODE_STRICT, NULL, NULL);
		tb_free(&b);
	}
}
END_TEST

START_TEST(test_roundtrip_pv_xl)
{
	op ops[] = {
		{ OP_XL, 3, 0, 0, 0, NULL, 0, NULL, 0 },
		{ OP_LIBXL, 0, 0, 0, 0, NULL, 0, NULL, 0 },
		O(OP_LIBXC_CTX),
		{ OP_HDRS, 1, 0, 4, 20, NULL, 0, NULL, 0 },
		O(OP_PV_INFO),
		O(OP_SDE),
		{ OP_P2M, 0, 2, 0, 0, NULL, 0, pv_p2m, 1 },
		{ OP_PAGES, 0, 0, 0, 0, NULL, 0, pv_pd, 3 },
		O(OP_TSC),
		O(OP_SHARED),
		{ OP_VCPU, MIGSTREAM_REC_X86_PV_VCPU_BASIC, 0, 0, 0, pv_ctx, sizeof pv_ctx, NULL, 0 },
		O(OP_END_XC),
		O(OP_END_XL),
	};
	uint64_t off[OPN(ops) + 1];
	tbuf b;

	rt_init();
	ops[0].p = opt_pv;
	ops[0].n = opt_pv_n;
	ops[10].p = pv_ctx;
	round_trip(ops, OPN(ops), NULL, NULL, NULL, NULL);
	write_ops(ops, OPN(ops), NULL, &b, off);
	verify_ops(ops, OPN(ops), off, &b, T_SRC_MEMORY, MIGSTREAM_MODE_STRICT, NULL, NULL);
	tb_free(&b);
}
END_TEST

/* Checkpointed HVM libxl stream: three checkpoints. */
static size_t ckpt_ops(op *ops, int colo, int finish)
{
	size_t n = 0;
	int c;

	ADD(OP_LIBXL, 0, 0, 0, 0, NULL, 0, NULL, 0);
	ADD(OP_LIBXC_CTX, 0, 0, 0, 0, NULL, 0, NULL, 0);
	ADD(OP_HDRS, 2, 0, 4, 20, NULL, 0, NULL, 0);
	ADD(OP_SDE, 0, 0, 0, 0, NULL, 0, NULL, 0);
	for (c = 0; c < 3; c++) {
		ADD(OP_PAGES, 0, 0, (uint32_t)(0x30 + c), 0, NULL, 0, c == 0 ? pd1 : c == 1 ? pd2 : pd3,
		    c == 0 ? 3 : c == 1 ? 2 : 1);
		ADD(OP_TSC, 0, 0, 0, 0, NULL, 0, NULL, 0);
		ADD(OP_HVM_CTX, 0, 0, 0, 0, NULL, 0, NULL, 0);
		ADD(OP_PARAMS, 0, 0, 0, 0, NULL, 0, params1, 1);
		ADD(OP_CKPT, 0, 0, 0, 0, NULL, 0, NULL, 0);
		if (c != 1)
			ADD(OP_XS, 2, 0, 0, 0, KV3, sizeof KV3, NULL, 0);
		ADD(OP_EC, 2, 0, 0, 0, ec_blob, sizeof ec_blob - (size_t)c, NULL, 0);
		ADD(OP_CKPT_END, 0, 0, 0, 0, NULL, 0, NULL, 0);
		if (colo)
			ADD(OP_STATE, MIGSTREAM_CHECKPOINT_NEW, 0, 0, 0, NULL, 0, NULL, 0);
	}
	if (finish) {
		ADD(OP_END_XC, 0, 0, 0, 0, NULL, 0, NULL, 0);
		ADD(OP_END_XL, 0, 0, 0, 0, NULL, 0, NULL, 0);
	} else {
		/* A partial fourth segment, then the channel breaks. */
		ADD(OP_PAGES, 0, 0, 0x44, 0, NULL, 0, pd2, 2);
		ADD(OP_TSC, 0, 0, 0, 0, NULL, 0, NULL, 0);
	}
	return n;
}

START_TEST(test_roundtrip_remus)
{
	static const uint64_t wopt[] = { MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_REMUS, 0 };
	static const char *const allow5[] = { "CKPT-5", NULL };
	op ops[64];
	size_t n;

	rt_init();
	n = ckpt_ops(ops, 0, 1);
	round_trip(ops, n, wopt, OPT_REMUS, NULL, NULL);
	/* Ending by EOF, read as a channel: failover (CKPT-5 warning). */
	n = ckpt_ops(ops, 0, 0);
	round_trip(ops, n, wopt, OPT_REMUS_CHANNEL, allow5, NULL);
	{
		uint64_t off[65];
		tbuf b;
		t_result *res;

		write_ops(ops, n, wopt, &b, off);
		res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_STRICT, OPT_REMUS_CHANNEL);
		rt_check_finding(res, "CKPT-5", MIGSTREAM_SEV_WARNING, RT_ANY_LAYER, b.len, NOREC);
		rt_check_accepted(res);
		free(res);
		/* As a file the same EOF is a truncation naming CKPT-5. */
		res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, OPT_REMUS);
		ck_assert_msg(res->rc == MIGSTREAM_E_TRUNCATED && res->err.offset == b.len, "%s",
		              rt_describe(res));
		free(res);
		tb_free(&b);
	}
}
END_TEST

START_TEST(test_roundtrip_colo)
{
	static const uint64_t wopt[] = { MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_COLO, 0 };
	op ops[64];
	size_t n;

	rt_init();
	n = ckpt_ops(ops, 1, 1);
	round_trip(ops, n, wopt, OPT_COLO, NULL, NULL);
}
END_TEST

START_TEST(test_roundtrip_back_channel)
{
	static const uint64_t wopt[] = { MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_COLO_BACK, 0 };
	static const uint64_t wraw[] = { MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_COLO_BACK,
	                                 MIGSTREAM_OPT_RAW, 1, 0 };
	static const char *const allow13[] = { "CKPT-13", NULL };
	op ops[] = {
		{ OP_STATE, 2, 0, 0, 0, NULL, 0, NULL, 0 },
		{ OP_STATE, 3, 0, 0, 0, NULL, 0, NULL, 0 },
		{ OP_STATE, 1, 0, 0, 0, NULL, 0, NULL, 0 },
		{ OP_DIRTY, 0, 0, 0, 0, NULL, 0, bc_pfns1, 2 },
		{ OP_STATE, 2, 0, 0, 0, NULL, 0, NULL, 0 },
		{ OP_STATE, 3, 0, 0, 0, NULL, 0, NULL, 0 },
		{ OP_STATE, 1, 0, 0, 0, NULL, 0, NULL, 0 },
		{ OP_DIRTY, 0, 0, 0, 0, NULL, 0, bc_pfns2, 3 },
	};
	uint64_t off[OPN(ops) + 1], offq[OPN(ops) + 1];
	tbuf plain, quirk, c;
	int src;

	round_trip(ops, OPN(ops), wopt, OPT_BACK, NULL, NULL);
	write_ops(ops, OPN(ops), wopt, &plain, off);
	ck_assert_uint_eq(plain.len, 2 * 48 + 24 + 32);

	/* Xen 4.18+ secondary: 8 zero octets after the last list's header. */
	ops[7].k = OP_DIRTY_QUIRK;
	write_ops(ops, OPN(ops), wraw, &quirk, offq);
	ck_assert_uint_eq(quirk.len, plain.len + 8);
	ck_assert_mem_eq(quirk.data, plain.data, offq[7] + 8);
	for (src = 0; src < T_SRC_COUNT; src++) {
		verify_ops(ops, OPN(ops), offq, &quirk, src, MIGSTREAM_MODE_RESTORE, OPT_BACK_QUIRK,
		           allow13);
		verify_ops(ops, OPN(ops), offq, &quirk, src, MIGSTREAM_MODE_STRICT, OPT_BACK_QUIRK,
		           allow13);
		/* Written back by a conforming writer: the 8-octet header. */
		copy_stream(&quirk, src, OPT_BACK_QUIRK, wopt, &c);
		ck_assert_msg(c.len == plain.len && memcmp(c.data, plain.data, c.len) == 0,
		              "%s: copy of the quirk channel differs", t_src_name(src));
		tb_free(&c);
	}
	tb_free(&plain);
	tb_free(&quirk);
}
END_TEST

/* Big-endian layers, set independently: libxl records, libxc image, xl header. */
START_TEST(test_roundtrip_big_endian)
{
	static const struct { uint32_t lx, ih; int xl; } v[] = {
		{ 1, 0, 0 }, { 0, 1, 0 }, { 1, 1, 0 }, { 1, 1, 1 }, { 0, 0, 1 },
	};
	static const char *const allow[] = { "IHDR-6", "LIBXL-4", "XL-3", NULL };
	op ops[32];
	size_t i, n;

	rt_init();
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		uint64_t off[33];
		tbuf b;
		t_result *res;

		n = hvm_ops(ops, v[i].lx, v[i].ih, v[i].xl);
		round_trip(ops, n, NULL, NULL, allow, NULL);
		write_ops(ops, n, NULL, &b, off);
		/* The octets really are big-endian where asked. */
		ck_assert_uint_eq(b.data[32], v[i].xl ? 0x01 : 0x04);
		ck_assert_uint_eq(b.data[off[2] + (v[i].lx ? 3 : 0)], 0x01);   /* LIBXC_CONTEXT */
		ck_assert_uint_eq(b.data[off[3] + 24], v[i].ih ? 0x00 : 0x02);   /* domain type */
		res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, NULL);
		rt_check_accepted(res);
		if (v[i].lx)
			rt_check_finding(res, "LIBXL-4", MIGSTREAM_SEV_WARNING, L_LX, off[1] + 12, NOREC);
		if (v[i].ih)
			ck_assert_ptr_nonnull(t_find(&res->diags, "IHDR-6", MIGSTREAM_SEV_WARNING));
		if (v[i].xl)
			rt_check_finding(res, "XL-3", MIGSTREAM_SEV_WARNING, L_XL, 32, NOREC);
		free(res);
		res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_STRICT, NULL);
		if (v[i].lx || v[i].ih)
			ck_assert_msg(res->rc < 0 && (strcmp(res->err_rule, v[i].lx ? "LIBXL-4" : "IHDR-6") == 0),
			              "%s", rt_describe(res));
		else
			rt_check_accepted(res);
		free(res);
		tb_free(&b);
	}
}
END_TEST

/* ------------------------------------------------------------ detection */

/* Read headers and first records of b; check the format and the outcome. */
static void detect_case(const tbuf *b, const uint64_t *opts, uint32_t want_fmt, int want_rc,
                        const char *want_rule, uint64_t want_off)
{
	int src;

	for (src = 0; src < T_SRC_COUNT; src++) {
		migstream_reader *r = migstream_reader_new();
		t_diags *ds = calloc(1, sizeof *ds);
		t_source *s;
		uint32_t fmt = 99;
		int rc;
		size_t i;
		t_result *res;

		ck_assert_ptr_nonnull(ds);
		for (i = 0; opts != NULL && opts[i] != 0; i += 2)
			ck_assert_int_eq(migstream_reader_set_option(r, (int)opts[i], opts[i + 1]), 0);
		migstream_reader_set_diag_handler(r, t_collect, ds);
		s = t_open_source(r, src, b->data, b->len);
		ck_assert_ptr_nonnull(s);
		rc = migstream_reader_read_headers(r);
		ck_assert_int_eq(migstream_reader_format(r, &fmt), 0);
		ck_assert_msg(fmt == want_fmt, "%s: format %u, expected %u", t_src_name(src), fmt,
		              want_fmt);
		if (want_rc == 0) {
			ck_assert_msg(rc == 0, "%s: %s", t_src_name(src), migstream_reader_errmsg(r));
		} else {
			migstream_diag d;

			ck_assert_msg(rc == want_rc, "%s: rc %s, expected %s: %s", t_src_name(src),
			              migstream_error_name(rc), migstream_error_name(want_rc),
			              migstream_reader_errmsg(r));
			ck_assert_int_eq(migstream_reader_error(r, &d, sizeof d), 0);
			ck_assert_str_eq(d.rule, want_rule);
			ck_assert_uint_eq(d.offset, want_off);
			ck_assert_ptr_nonnull(strstr(migstream_reader_errmsg(r), want_rule));
		}
		migstream_reader_free(r);
		t_close_source(s);
		free(ds);
		if (src == T_SRC_MEMORY || src == T_SRC_IO_7) {
			res = rt_run(b, src, MIGSTREAM_MODE_RESTORE, opts);
			if (want_rc == 0) {
				rt_check_clean(res);
			} else {
				rt_check_error(res, want_rule, want_rc, RT_ANY_LAYER, want_off, NOREC);
				if (strcmp(want_rule, "XL-13") == 0)
					ck_assert_msg(rt_count_rule(res, "LEGACY-1") == 0, "%s", rt_describe(res));
			}
			free(res);
		}
	}
}

START_TEST(test_detect_formats)
{
	tbuf b;

	v4(&b);
	detect_case(&b, NULL, MIGSTREAM_FORMAT_XL, 0, NULL, 0);
	detect_case(&b, OPT_FMT_XL, MIGSTREAM_FORMAT_XL, 0, NULL, 0);
	tb_free(&b);
	v3(&b);
	detect_case(&b, NULL, MIGSTREAM_FORMAT_LIBXL, 0, NULL, 0);
	detect_case(&b, OPT_FMT_LIBXL, MIGSTREAM_FORMAT_LIBXL, 0, NULL, 0);
	tb_free(&b);
	tb_init(&b);
	tb_vector_v1(&b);
	detect_case(&b, NULL, MIGSTREAM_FORMAT_LIBXC, 0, NULL, 0);
	detect_case(&b, OPT_FMT_LIBXC, MIGSTREAM_FORMAT_LIBXC, 0, NULL, 0);
	tb_free(&b);
}
END_TEST

START_TEST(test_detect_legacy)
{
	tbuf b;

	/* A pre-4.6 libxc stream: p2m_size word, then no all-ones marker. */
	tb_init(&b);
	tb_le32(&b, 0x8000);
	tb_le32(&b, 0);
	tb_fill(&b, 0x5a, 120);
	detect_case(&b, NULL, MIGSTREAM_FORMAT_LEGACY, MIGSTREAM_E_LEGACY, "LEGACY-1", 0);
	tb_free(&b);
	/* An xl file without STREAMv2: XL-13 (no LEGACY-1); the file is xl. */
	v4(&b);
	rt_p8(&b, 0x24, 0x01);
	detect_case(&b, NULL, MIGSTREAM_FORMAT_XL, MIGSTREAM_E_LEGACY, "XL-13", V4_OFF_LIBXL);
	tb_free(&b);
}
END_TEST

/* What detection says about b, whose first octets are no Xen stream: the
 * error code, no rule, and a message containing want. */
static void not_stream_case(const tbuf *b, const char *want)
{
	detect_case(b, NULL, MIGSTREAM_FORMAT_AUTO, MIGSTREAM_E_NOT_STREAM, "", 0);
	t_result *res = rt_run(b, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, NULL);
	ck_assert_msg(strstr(res->errmsg, want) != NULL, "expected \"%s\"; %s", want, rt_describe(res));
	ck_assert_msg(strstr(res->errmsg, "LEGACY") == NULL && rt_count_rule(res, "LEGACY-1") == 0,
	              "reported as legacy; %s", rt_describe(res));
	free(res);
}

static void bytes_case(const void *p, size_t n, const char *want)
{
	tbuf b;

	tb_init(&b);
	tb_bytes(&b, p, n);
	tb_zero(&b, 64);
	not_stream_case(&b, want);
	tb_free(&b);
}

/* Compressed input, other formats, text and random octets are not called
 * legacy streams: only octets that can start one are. */
START_TEST(test_detect_not_stream)
{
	static const uint8_t xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0, 0, 4, 0xe6, 0xd6 };
	static const uint8_t zst[] = { 0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x00 };
	static const uint8_t gz[] = { 0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3 };   /* mtime 0 */
	static const uint8_t bz[] = { 'B', 'Z', 'h', '9', '1', 'A', 'Y', '&' };
	static const uint8_t qemu[] = { 'Q', 'E', 'V', 'M', 0, 0, 0, 3, 1, 0, 0, 0 };
	static const char text[] = "Hello, this is a text file.\n";
	uint8_t rnd[64];
	uint32_t x = 12345;
	size_t i;
	tbuf b;

	bytes_case(xz, sizeof xz, "compressed with xz (first octets fd 37 7a 58 5a 00 00 04)");
	bytes_case(zst, sizeof zst, "compressed with zstd");
	bytes_case(gz, sizeof gz, "compressed with gzip");
	bytes_case(bz, sizeof bz, "compressed with bzip2");
	bytes_case(qemu, sizeof qemu,
	           "not a Xen save or migration stream (first octets 51 45 56 4d 00 00 00 03)");
	bytes_case(text, sizeof text - 1, "not a Xen save or migration stream (first octets 48 65 6c");
	for (i = 0; i < sizeof rnd; i++) {
		x = x * 1103515245u + 12345u;
		rnd[i] = (uint8_t)(x >> 16);
	}
	rnd[0] = 0x5a;   /* not a prefix of any magic */
	rnd[5] = 0x77;   /* high half far from any legacy word */
	bytes_case(rnd, sizeof rnd, "not a Xen save or migration stream (first octets 5a");
	/* Short octets that start no magic: not a truncated header either. */
	tb_init(&b);
	tb_bytes(&b, "hi\n", 3);
	not_stream_case(&b, "(first octets 68 69 0a)");
	tb_free(&b);
	/* A v2 image header whose marker is damaged: a bad marker, not legacy. */
	tb_init(&b);
	tb_vector_v1(&b);
	rt_p8(&b, 7, 0xfe);
	detect_case(&b, NULL, MIGSTREAM_FORMAT_LIBXC, MIGSTREAM_E_BAD_MAGIC, "IHDR-2", 0);
	tb_free(&b);
	/* The three legacy shapes of F 16.1 stay legacy. */
	static const uint32_t second[] = { 0, 0xffffffffu, 0xfffffffdu, 1024 };
	for (i = 0; i < sizeof second / sizeof second[0]; i++) {
		tb_init(&b);
		tb_le32(&b, 0x40000);
		tb_le32(&b, second[i]);
		tb_fill(&b, 0x5a, 64);
		detect_case(&b, NULL, MIGSTREAM_FORMAT_LEGACY, MIGSTREAM_E_LEGACY, "LEGACY-1", 0);
		tb_free(&b);
	}
}
END_TEST

START_TEST(test_detect_mismatch)
{
	tbuf b;

	tb_init(&b);
	tb_vector_v1(&b);
	detect_case(&b, OPT_FMT_XL, MIGSTREAM_FORMAT_XL, MIGSTREAM_E_BAD_MAGIC, "XL-1", 0);
	tb_free(&b);
	v4(&b);
	detect_case(&b, OPT_FMT_LIBXL, MIGSTREAM_FORMAT_LIBXL, MIGSTREAM_E_BAD_MAGIC, "LIBXL-2", 0);
	detect_case(&b, OPT_FMT_LIBXC, MIGSTREAM_FORMAT_LIBXC, MIGSTREAM_E_BAD_MAGIC, "IHDR-2", 0);
	tb_free(&b);
	v3(&b);
	detect_case(&b, OPT_FMT_XL, MIGSTREAM_FORMAT_XL, MIGSTREAM_E_BAD_MAGIC, "XL-1", 0);
	detect_case(&b, OPT_FMT_LIBXC, MIGSTREAM_FORMAT_LIBXC, MIGSTREAM_E_BAD_MAGIC, "IHDR-2", 0);
	tb_free(&b);
}
END_TEST

/* ------------------------------------------------------------ truncation */

/* Read a prefix from memory: E_TRUNCATED with the error at its end. */
static void trunc_memory(const tbuf *b, size_t plen)
{
	migstream_reader *r = migstream_reader_new();
	const migstream_record *rec;
	migstream_diag d;
	int rc;
	unsigned long calls = 0;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(migstream_reader_open_memory(r, b->data, plen), 0);
	while ((rc = migstream_reader_next(r, &rec)) == 0 && calls++ < 100000)
		;
	ck_assert_msg(rc == MIGSTREAM_E_TRUNCATED, "prefix %zu: %s: %s", plen,
	              migstream_error_name(rc), migstream_reader_errmsg(r));
	ck_assert_int_eq(migstream_reader_error(r, &d, sizeof d), 0);
	ck_assert_msg(d.offset == plen, "prefix %zu: error at 0x%llx: %s", plen,
	              (unsigned long long)d.offset, migstream_reader_errmsg(r));
	migstream_reader_free(r);
}

START_TEST(test_truncation_v4)
{
	tbuf b;
	size_t p;

	v4(&b);
	for (p = 0; p < b.len; p++) {
		t_result *res;

		trunc_memory(&b, p);
		res = calloc(1, sizeof *res);
		ck_assert_ptr_nonnull(res);
		t_read_all(res, b.data, p, T_SRC_IO_7, MIGSTREAM_MODE_RESTORE, NULL);
		ck_assert_msg(res->rc == MIGSTREAM_E_TRUNCATED && res->err.offset == p,
		              "io-7 prefix %zu: %s", p, rt_describe(res));
		free(res);
	}
	tb_free(&b);
}
END_TEST

START_TEST(test_truncation_hvm_pages)
{
	static const uint64_t e1[3] = { 0x100, 0x101, 0xF000000000000102ull };
	static const uint64_t e2[2] = { 0x200, 0x201 };
	static const uint64_t e3[1] = { 0xfeffc };
	static const uint64_t e4[4] = { 0x300, 0xF000000000000301ull, 0x302, 0x303 };
	static const uint64_t params[2] = { 1, 0xfeffc };
	tbuf b;
	size_t p;
	t_result *res;

	tb_init(&b);
	tb_xl_config(&b, "{\"c_info\":{\"type\":\"hvm\"},\"b_info\":{\"max_vcpus\":2}}");
	tb_libxl_header(&b, 0);
	tb_empty(&b, MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT);
	tb_image_header(&b, 3, 0);
	tb_domain_header(&b, 2, 4, 20);
	tb_empty(&b, MIGSTREAM_REC_STATIC_DATA_END);
	tb_page_data(&b, 3, e1, 0x10);
	tb_page_data(&b, 2, e2, 0x20);
	tb_page_data(&b, 1, e3, 0x30);
	tb_page_data(&b, 4, e4, 0x40);
	tb_tsc_info(&b, 0, 2000000, 312500000, 1);
	tb_hvm_context_min(&b);
	tb_hvm_params(&b, 1, params);
	tb_empty(&b, 0);
	lx_xs(&b);
	lx_ec(&b);
	tb_empty(&b, 0);
	res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_STRICT, NULL);
	rt_check_clean(res);
	ck_assert_uint_eq(res->records, 13);
	free(res);
	for (p = 0; p < b.len; p++)
		trunc_memory(&b, p);
	tb_free(&b);
}
END_TEST

/* ------------------------------------------------------------ suite */

#define RULE(tc, name) do { tcase_add_test(tc, test_rule_##name##_break); \
                            tcase_add_test(tc, test_rule_##name##_pass); } while (0)

static Suite *libxl_suite(void)
{
	Suite *s = suite_create("libxl");
	TCase *tc;
	size_t rows = 0;

	tc = tcase_create("vectors");
	tcase_add_loop_test(tc, test_vector_v3, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_vector_v4, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_vector_i6, 0, T_SRC_COUNT);
	suite_add_tcase(s, tc);

	tc = family(s, "XL", &rows);
	RULE(tc, XL_1);
	tcase_add_test(tc, test_rule_XL_2_break);
	tcase_add_test(tc, test_rule_XL_3_break);
	RULE(tc, XL_4);
	tcase_add_test(tc, test_rule_XL_5_break);
	tcase_add_test(tc, test_rule_XL_6_break);
	RULE(tc, XL_7);
	tcase_add_test(tc, test_rule_XL_8_break);
	tcase_add_test(tc, test_rule_XL_9_break);
	RULE(tc, XL_10);
	tcase_add_test(tc, test_rule_XL_11_break);
	tcase_add_test(tc, test_rule_XL_12_break);
	tcase_add_test(tc, test_rule_XL_13_break);
	RULE(tc, XL_14);

	tc = family(s, "LIBXL", &rows);
	tcase_add_test(tc, test_rule_LIBXL_1_break);
	RULE(tc, LIBXL_2);
	tcase_add_test(tc, test_rule_LIBXL_3_break);
	tcase_add_test(tc, test_rule_LIBXL_4_break);
	RULE(tc, LIBXL_5); RULE(tc, LIBXL_6);
	tcase_add_test(tc, test_rule_LIBXL_7_break);
	tcase_add_test(tc, test_rule_LIBXL_8_break);
	RULE(tc, LIBXL_9); RULE(tc, LIBXL_10);
	tcase_add_test(tc, test_rule_LIBXL_11_break);
	tcase_add_test(tc, test_rule_LIBXL_12_break);
	tcase_add_test(tc, test_rule_LIBXL_13_break);
	tcase_add_test(tc, test_rule_LIBXL_14_break);
	RULE(tc, LIBXL_15); RULE(tc, LIBXL_16);
	tcase_add_test(tc, test_rule_LIBXL_17_break);
	RULE(tc, LIBXL_18); RULE(tc, LIBXL_19);
	tcase_add_test(tc, test_rule_LIBXL_20_break);
	RULE(tc, LIBXL_21); RULE(tc, LIBXL_22); RULE(tc, LIBXL_23);
	tcase_add_test(tc, test_rule_LIBXL_24_break);
	RULE(tc, LIBXL_25); RULE(tc, LIBXL_26);
	tcase_add_test(tc, test_rule_LIBXL_27_break);
	tcase_add_test(tc, test_rule_LIBXL_28_break);
	tcase_add_test(tc, test_rule_LIBXL_29_break);
	tcase_add_test(tc, test_rule_LIBXL_30_break);
	tcase_add_test(tc, test_rule_LIBXL_31_break);
	tcase_add_test(tc, test_rule_LIBXL_32_break);
	tcase_add_test(tc, test_rule_LIBXL_33_break);

	tc = family(s, "CKPT", &rows);
	RULE(tc, CKPT_2);
	tcase_add_test(tc, test_rule_CKPT_2_break_new_headers);
	tcase_add_test(tc, test_rule_CKPT_3_break);
	tcase_add_test(tc, test_rule_CKPT_4_break);
	tcase_add_test(tc, test_rule_CKPT_9_break);
	RULE(tc, CKPT_10);
	RULE(tc, CKPT_13);

	tc = tcase_create("roundtrip");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_roundtrip_hvm_xl);
	tcase_add_test(tc, test_roundtrip_pv_xl);
	tcase_add_test(tc, test_roundtrip_remus);
	tcase_add_test(tc, test_roundtrip_colo);
	tcase_add_test(tc, test_roundtrip_back_channel);
	tcase_add_test(tc, test_roundtrip_big_endian);
	suite_add_tcase(s, tc);

	tc = tcase_create("detect");
	tcase_add_test(tc, test_detect_formats);
	tcase_add_test(tc, test_detect_legacy);
	tcase_add_test(tc, test_detect_not_stream);
	tcase_add_test(tc, test_detect_mismatch);
	suite_add_tcase(s, tc);

	tc = tcase_create("truncation");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_truncation_v4);
	tcase_add_test(tc, test_truncation_hvm_pages);
	suite_add_tcase(s, tc);
	if (rows != N_PASS_ROWS) {
		fprintf(stderr, "check_libxl: %zu of the %zu table rows are in a family TCase\n", rows,
		        N_PASS_ROWS);
		exit(1);
	}
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(libxl_suite());
	int failures;

	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
