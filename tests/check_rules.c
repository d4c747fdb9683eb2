/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * Suite "rules": every rule of spec/rules.md that a bare libxc image can
 * break (IHDR, DHDR, REC, ORDER, PAGE, PV, HVM, TSC, POLICY, CKPT on the
 * libxc side, COMPAT, LEGACY), each with one stream that breaks it and one
 * that exercises the same check without breaking it.
 *
 * Rule tests are organised by rule family, here and in check_libxl.c (XL,
 * LIBXL and the libxl side of CKPT): one TCase per family prefix of
 * lib/rules.def, named after it (CK_RUN_CASE=PAGE runs one family), and in
 * it the rule's break and pass tests, named after the rule ID:
 * test_rule_PAGE_6_break / test_rule_PAGE_6_pass.  Tests of the same shape
 * are rows of a table instead (PASS_ROW: the vector as it stands passes;
 * BREAK_ROW: one field changed breaks the rule), run as loop tests of
 * their family's TCase.  The assertions are the shared ones of ruletest.c.
 *
 * Streams start from the worked vectors V1 (HVM) and V2 (PV) of
 * spec/vectors.md and change as little as possible.  Expectations follow
 * rules.md section 1.1:
 *   error      -> rc < 0, the error names the rule, at the record header
 *                 offset (field offset for header rules, EOF offset for
 *                 truncation) and the record's 0-based ordinal;
 *   warning/S  -> restore mode: a warning, stream accepted;
 *                 strict mode: an error naming the rule;
 *   warning    -> a warning, accepted in both modes;
 *   compat     -> a warning unless the producer is in the named range,
 *                 then info;
 *   info       -> an info finding.
 * One violation, one report: a break names its rule exactly once.
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

/* Record offsets of V1 and V2 not named in testutil.h. */
#define V1_PD_BODY      0x38u   /* PAGE_DATA count */
#define V1_PFN0         0x40u
#define V1_PFN1         0x48u
#define V1_CTX_BODY     0x1078u
#define V1_CTX_END_DESC 0x1098u
#define V1_PARAMS_BODY  0x10A8u

#define V2_P2M_BODY     0x48u
#define V2_PFN0_ENTRY   0x68u
#define V2_PFN2_ENTRY   0x78u
#define V2_PAGE0        0x80u   /* contents of pfn 0 (p2m) */
#define V2_PAGE1        0x1080u /* contents of pfn 1 (L4, pinned) */
#define V2_PAGE2        0x2080u /* contents of pfn 2 (start_info) */
#define V2_BASIC_CTX    0x40B8u
#define V2_RDX          (V2_BASIC_CTX + 616u)
#define V2_GDT_FRAMES   (V2_BASIC_CTX + 4832u)
#define V2_GDT_ENTS     (V2_BASIC_CTX + 4960u)
#define V2_CR1          (V2_BASIC_CTX + 4992u)
#define V2_CR3          (V2_BASIC_CTX + 5008u)
#define V2_BASIC_SIZE   5184u

/* ------------------------------------------------------------ expectations */

/* The shared helpers (ruletest.h) with this suite's policy: every finding
 * is in the libxc layer; errors, info findings and passes are asserted in
 * restore mode (an error there is one in strict mode too), from memory
 * unless a source is named. */
#define L_XC MIGSTREAM_LAYER_LIBXC

static void check_finding(const t_result *res, const char *rule, uint32_t sev, uint64_t off,
                          uint64_t idx)
{
	rt_check_finding(res, rule, sev, L_XC, off, idx);
}

/* The run stopped with rule as its error (code 0: any code). */
static void check_error(const t_result *res, const char *rule, int code, uint64_t off,
                        uint64_t idx)
{
	rt_check_error(res, rule, code, L_XC, off, idx);
}

/* error: rejected in restore mode (and so in strict mode). */
static void want_error_src(const tbuf *b, int src, const uint64_t *opts, const char *rule,
                           int code, uint64_t off, uint64_t idx)
{
	rt_want_error(b, src, RT_RESTORE, opts, rule, code, L_XC, off, idx);
}

static void want_error(const tbuf *b, const uint64_t *opts, const char *rule, int code,
                       uint64_t off, uint64_t idx)
{
	want_error_src(b, T_SRC_MEMORY, opts, rule, code, off, idx);
}

/* warning/S: tolerated in restore mode, an error in strict mode. */
static void want_ws(const tbuf *b, const uint64_t *opts, const char *rule, int code,
                    uint64_t off, uint64_t idx)
{
	rt_want_ws(b, opts, rule, code, L_XC, off, idx);
}

/* warning: reported, accepted in restore and strict mode.  accepted = 0 when
 * the stream has another, unrelated error later (only the finding counts). */
static void want_warning_acc(const tbuf *b, const uint64_t *opts, const char *rule,
                             uint64_t off, uint64_t idx, int accepted)
{
	rt_want_warning(b, opts, rule, L_XC, off, idx, accepted);
}

static void want_warning(const tbuf *b, const uint64_t *opts, const char *rule, uint64_t off,
                         uint64_t idx)
{
	want_warning_acc(b, opts, rule, off, idx, 1);
}

/* info: an info finding; never affects acceptance. */
static void want_info(const tbuf *b, const uint64_t *opts, const char *rule, uint64_t off,
                      uint64_t idx, int accepted)
{
	rt_want_info(b, RT_RESTORE, opts, rule, L_XC, off, idx, accepted);
}

/* pass: accepted, and nothing reported under rule. */
static void want_pass_src(const tbuf *b, int src, const uint64_t *opts, const char *rule)
{
	rt_want_pass(b, src, RT_RESTORE, opts, rule, 0);
}

static void want_pass(const tbuf *b, const uint64_t *opts, const char *rule)
{
	want_pass_src(b, T_SRC_MEMORY, opts, rule);
}

/* The sources a handful of tests also run over. */
static const int other_srcs[] = { T_SRC_FILE, T_SRC_PIPE, T_SRC_IO_7 };
#define N_OTHER_SRCS (sizeof other_srcs / sizeof other_srcs[0])

/* ------------------------------------------------------------ stream edits */

static void v1(tbuf *b)
{
	tb_init(b);
	tb_vector_v1(b);
}

static void v2(tbuf *b)
{
	tb_init(b);
	tb_vector_v2(b);
}

/* A COLO back channel (F 12.3): headerless, one cycle of CHECKPOINT_STATE
 * 2, 3, 1 (libxl, 16 octets each) and then the CHECKPOINT_DIRTY_PFN_LIST
 * (libxc record 0, at 0x30) with the given body. */
static void back_channel(tbuf *b, const void *pfns, uint32_t len)
{
	static const uint32_t ids[3] = { 2, 3, 1 };
	tb_init(b);
	for (int i = 0; i < 3; i++) {
		uint8_t id[4] = { (uint8_t)ids[i], 0, 0, 0 };
		tb_record(b, MIGSTREAM_LIBXL_REC_CHECKPOINT_STATE, id, 4);
	}
	tb_record(b, MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST, pfns, len);
}

/* Insert a vCPU record at off. */
static void ins_vcpu(tbuf *b, size_t off, uint32_t type, uint32_t vcpu, const void *ctx,
                     uint32_t ctx_len)
{
	tbuf r;

	tb_init(&r);
	tb_vcpu(&r, type, vcpu, ctx, ctx_len);
	tb_insert(b, off, r.data, r.len);
	tb_free(&r);
}

/* V1 with HVM_PARAMS replaced by the given pairs. */
static void v1_params(tbuf *b, uint32_t n, const uint64_t *pairs)
{
	tbuf r;

	v1(b);
	tb_delete(b, V1_OFF_HVM_PARAMS, 32);
	tb_init(&r);
	tb_hvm_params(&r, n, pairs);
	tb_insert(b, V1_OFF_HVM_PARAMS, r.data, r.len);
	tb_free(&r);
}

/* V1 with a descriptor (8 octets) plus payload inserted before the END
 * descriptor of its HVM context. */
static void v1_ctx_entry(tbuf *b, uint16_t tc, uint16_t inst, uint32_t plen)
{
	uint8_t e[8 + 64];

	ck_assert_uint_le(plen, 64);
	memset(e, 0, sizeof e);
	e[0] = (uint8_t)tc;
	e[1] = (uint8_t)(tc >> 8);
	e[2] = (uint8_t)inst;
	e[3] = (uint8_t)(inst >> 8);
	rt_le32(e + 4, plen);
	v1(b);
	tb_insert(b, V1_CTX_END_DESC, e, 8 + plen);
	rt_p32(b, V1_OFF_HVM_CTX + 4, 40 + 8 + plen);
}

/* The (leaf, subleaf) pairs current Xen accepts (F 8.15), in a fixed order. */
static size_t valid_leaves(uint32_t (*out)[2], size_t max)
{
	size_t n = 0;
	uint32_t i;

#define ADD(l, s) do { if (n < max) { out[n][0] = (l); out[n][1] = (s); } n++; } while (0)
	for (i = 0; i <= 0xD; i++)
		ADD(i, 0xFFFFFFFFu);
	ADD(0x40000000u, 0xFFFFFFFFu);
	ADD(0x40000100u, 0xFFFFFFFFu);
	for (i = 0x80000000u; i <= 0x80000021u; i++)
		ADD(i, 0xFFFFFFFFu);
	for (i = 0; i < 6; i++)
		ADD(4, i);
	for (i = 0; i < 3; i++)
		ADD(7, i);
	for (i = 0; i < 2; i++)
		ADD(0xB, i);
	for (i = 0; i < 63; i++)
		ADD(0xD, i);
#undef ADD
	return n;
}

/* Insert an X86_CPUID_POLICY with the given n (leaf, subleaf) pairs. */
static void ins_cpuid(tbuf *b, size_t off, const uint32_t (*leaves)[2], uint32_t n)
{
	uint8_t *body = calloc(n ? n : 1, 24);
	uint32_t i;

	ck_assert_ptr_nonnull(body);
	for (i = 0; i < n; i++) {
		rt_le32(body + 24 * i, leaves[i][0]);
		rt_le32(body + 24 * i + 4, leaves[i][1]);
	}
	rt_ins_rec(b, off, MIGSTREAM_REC_X86_CPUID_POLICY, body, 24 * n);
	free(body);
}

/* Insert an X86_MSR_POLICY with one entry. */
static void ins_msr(tbuf *b, size_t off, uint32_t idx, uint32_t flags)
{
	uint8_t body[16];

	memset(body, 0, sizeof body);
	rt_le32(body, idx);
	rt_le32(body + 4, flags);
	rt_ins_rec(b, off, MIGSTREAM_REC_X86_MSR_POLICY, body, sizeof body);
}

/* A big-endian twin of V1 (IHDR-5, IHDR-6). */
static void v1_big_endian(tbuf *b)
{
	static const uint64_t pfns[2] = { 0x00000000000FEFFCull, 0xF000000000000001ull };
	static const uint64_t params[2] = { 1, 0xfeffc };

	tb_init(b);
	tb_image_header(b, 3, 1);
	tb_domain_header(b, MIGSTREAM_DOMAIN_X86_HVM, 4, 20);
	tb_empty(b, MIGSTREAM_REC_STATIC_DATA_END);
	tb_page_data(b, 2, pfns, 0);
	tb_tsc_info(b, 0, 2000000, 312500000, 1);
	tb_hvm_context_min(b);
	tb_hvm_params(b, 1, params);
	tb_empty(b, MIGSTREAM_REC_END);
}

/* V1 as a version-2 image (Xen 4.13): no STATIC_DATA_END. */
static void v1_version2(tbuf *b)
{
	v1(b);
	rt_p8(b, 0x0F, 2);
	rt_p32(b, 0x24, 13);
	tb_delete(b, V1_OFF_SDE, 8);
}

/* V1 with a CHECKPOINT inserted at off. */
static void v1_checkpoint_at(tbuf *b, size_t off)
{
	v1(b);
	rt_ins_rec(b, off, MIGSTREAM_REC_CHECKPOINT, NULL, 0);
}

/* ================================================================ IHDR */

/* Table rows (below): breaking IHDR-3; passing IHDR-1, IHDR-3, IHDR-5,
 * IHDR-6, IHDR-7, IHDR-8. */

START_TEST(test_rule_IHDR_1_break)
{
	tbuf b;
	size_t i;

	v1(&b);
	b.len = 20;
	want_error(&b, NULL, "IHDR-1", MIGSTREAM_E_TRUNCATED, 20, NOREC);
	for (i = 0; i < N_OTHER_SRCS; i++)
		want_error_src(&b, other_srcs[i], NULL, "IHDR-1", MIGSTREAM_E_TRUNCATED, 20, NOREC);
	tb_free(&b);
}
END_TEST

/* IHDR-2 is named only once LEGACY-1 is ruled out: a libxl stream read as
 * a bare libxc image. */
START_TEST(test_rule_IHDR_2_break)
{
	static const uint64_t opts[] = { MIGSTREAM_OPT_FORMAT, MIGSTREAM_FORMAT_LIBXC, 0 };
	tbuf b;

	v1(&b);
	memcpy(b.data, "LibxlFmt", 8);
	want_error(&b, opts, "IHDR-2", MIGSTREAM_E_BAD_MAGIC, 0, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_IHDR_2_pass)
{
	static const uint64_t opts[] = { MIGSTREAM_OPT_FORMAT, MIGSTREAM_FORMAT_LIBXC, 0 };
	tbuf b;

	v1(&b);
	want_pass(&b, opts, "IHDR-2");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_IHDR_4_break)
{
	tbuf b;

	v1(&b);
	rt_p8(&b, 0x0F, 4);
	want_error(&b, NULL, "IHDR-4", MIGSTREAM_E_VERSION, 12, NOREC);
	rt_p8(&b, 0x0F, 1);
	want_error(&b, NULL, "IHDR-4", MIGSTREAM_E_VERSION, 12, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_IHDR_4_pass)
{
	tbuf b;

	v1(&b);
	want_pass(&b, NULL, "IHDR-4");
	tb_free(&b);
	v1_version2(&b);                /* version 2 is valid too */
	want_pass(&b, NULL, "IHDR-4");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_IHDR_5_break)
{
	tbuf b;

	v1_big_endian(&b);
	want_info(&b, NULL, "IHDR-5", 16, NOREC, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_IHDR_6_break)
{
	tbuf b;

	v1_big_endian(&b);
	want_ws(&b, NULL, "IHDR-6", MIGSTREAM_E_HEADER, 16, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_IHDR_7_break)
{
	tbuf b;

	v1(&b);
	rt_p8(&b, 0x11, 0x02);             /* options bit 1 */
	want_ws(&b, NULL, "IHDR-7", MIGSTREAM_E_RESERVED, 16, NOREC);
	tb_free(&b);
	v1(&b);
	rt_p8(&b, 0x10, 0x80);             /* options bit 15 */
	want_ws(&b, NULL, "IHDR-7", MIGSTREAM_E_RESERVED, 16, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_IHDR_8_break)
{
	tbuf b;

	v1(&b);
	rt_p8(&b, 0x17, 0x01);
	want_ws(&b, NULL, "IHDR-8", MIGSTREAM_E_RESERVED, 18, NOREC);
	tb_free(&b);
	v1(&b);
	rt_p8(&b, 0x12, 0x01);
	want_ws(&b, NULL, "IHDR-8", MIGSTREAM_E_RESERVED, 18, NOREC);
	tb_free(&b);
}
END_TEST

/* ================================================================ DHDR */

/* Table rows (below): breaking DHDR-3, DHDR-4, DHDR-6; passing DHDR-1,
 * DHDR-3, DHDR-4, DHDR-6. */

START_TEST(test_rule_DHDR_1_break)
{
	tbuf b;
	size_t i;

	v1(&b);
	b.len = 30;
	want_error(&b, NULL, "DHDR-1", MIGSTREAM_E_TRUNCATED, 30, NOREC);
	for (i = 0; i < N_OTHER_SRCS; i++)
		want_error_src(&b, other_srcs[i], NULL, "DHDR-1", MIGSTREAM_E_TRUNCATED, 30, NOREC);
	b.len = 24;
	want_error(&b, NULL, "DHDR-1", MIGSTREAM_E_TRUNCATED, 24, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_DHDR_2_break)
{
	static const uint32_t types[] = { 0, 3, 4, 5, 0x02000000u };
	tbuf b;
	size_t i;

	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		v1(&b);
		rt_p32(&b, 0x18, types[i]);
		want_error(&b, NULL, "DHDR-2", MIGSTREAM_E_HEADER, 24, NOREC);
		tb_free(&b);
	}
}
END_TEST

START_TEST(test_rule_DHDR_2_pass)
{
	tbuf b;

	v1(&b);
	want_pass(&b, NULL, "DHDR-2");
	tb_free(&b);
	v2(&b);
	want_pass(&b, NULL, "DHDR-2");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_DHDR_5_break)
{
	static const uint64_t pv[] = { MIGSTREAM_OPT_GUEST_TYPE, MIGSTREAM_GUEST_PV, 0 };
	static const uint64_t hvm[] = { MIGSTREAM_OPT_GUEST_TYPE, MIGSTREAM_GUEST_HVM, 0 };
	static const uint64_t pvh[] = { MIGSTREAM_OPT_GUEST_TYPE, MIGSTREAM_GUEST_PVH, 0 };
	tbuf b;

	v1(&b);
	want_error(&b, pv, "DHDR-5", MIGSTREAM_E_CONSISTENCY, 24, NOREC);
	tb_free(&b);
	v2(&b);
	want_error(&b, hvm, "DHDR-5", MIGSTREAM_E_CONSISTENCY, 24, NOREC);
	want_error(&b, pvh, "DHDR-5", MIGSTREAM_E_CONSISTENCY, 24, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_DHDR_5_pass)
{
	static const uint64_t pv[] = { MIGSTREAM_OPT_GUEST_TYPE, MIGSTREAM_GUEST_PV, 0 };
	static const uint64_t hvm[] = { MIGSTREAM_OPT_GUEST_TYPE, MIGSTREAM_GUEST_HVM, 0 };
	static const uint64_t pvh[] = { MIGSTREAM_OPT_GUEST_TYPE, MIGSTREAM_GUEST_PVH, 0 };
	tbuf b;

	v1(&b);
	want_pass(&b, hvm, "DHDR-5");
	want_pass(&b, pvh, "DHDR-5");
	tb_free(&b);
	v2(&b);
	want_pass(&b, pv, "DHDR-5");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_DHDR_7_break)
{
	tbuf b;

	v1(&b);
	rt_p32(&b, 0x24, 5);               /* Xen 4.5: older than the format */
	want_warning(&b, NULL, "DHDR-7", 32, NOREC);
	rt_p32(&b, 0x24, 10);              /* v3 image claiming Xen 4.10 */
	want_warning(&b, NULL, "DHDR-7", 32, NOREC);
	rt_p32(&b, 0x24, 0x10000);         /* minor above 0xffff */
	want_warning(&b, NULL, "DHDR-7", 32, NOREC);
	tb_free(&b);
	v1_version2(&b);
	rt_p32(&b, 0x24, 14);              /* v2 image claiming Xen 4.14 */
	want_warning(&b, NULL, "DHDR-7", 32, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_DHDR_7_pass)
{
	tbuf b;

	v1(&b);
	want_pass(&b, NULL, "DHDR-7");
	tb_free(&b);
	v1_version2(&b);                /* v2, Xen 4.13 */
	want_pass(&b, NULL, "DHDR-7");
	tb_free(&b);
}
END_TEST

/* ================================================================ REC */

/* Table rows (below): breaking REC-10; passing REC-5, REC-7, REC-9, REC-10. */

START_TEST(test_rule_REC_1_break)
{
	tbuf b;
	size_t i;

	/* EOF inside the X86_TSC_INFO body (record 2). */
	v1(&b);
	b.len = V1_OFF_TSC + 12;
	want_error(&b, NULL, "REC-1", MIGSTREAM_E_TRUNCATED, V1_OFF_TSC + 12, 2);
	for (i = 0; i < N_OTHER_SRCS; i++)
		want_error_src(&b, other_srcs[i], NULL, "REC-1", MIGSTREAM_E_TRUNCATED,
		               V1_OFF_TSC + 12, 2);
	/* EOF inside PAGE_DATA page contents (record 1), HVM and PV. */
	b.len = 0x100;
	want_error(&b, NULL, "REC-1", MIGSTREAM_E_TRUNCATED, 0x100, 1);
	for (i = 0; i < N_OTHER_SRCS; i++)
		want_error_src(&b, other_srcs[i], NULL, "REC-1", MIGSTREAM_E_TRUNCATED, 0x100, 1);
	tb_free(&b);
	v2(&b);
	b.len = V2_PAGE1 + 100;
	want_error(&b, NULL, "REC-1", MIGSTREAM_E_TRUNCATED, V2_PAGE1 + 100, 3);
	for (i = 0; i < N_OTHER_SRCS; i++)
		want_error_src(&b, other_srcs[i], NULL, "REC-1", MIGSTREAM_E_TRUNCATED,
		               V2_PAGE1 + 100, 3);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_REC_1_pass)
{
	tbuf b;
	size_t i;

	v1(&b);
	want_pass(&b, NULL, "REC-1");
	for (i = 0; i < N_OTHER_SRCS; i++)
		want_pass_src(&b, other_srcs[i], NULL, "REC-1");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_REC_2_break)
{
	static const uint64_t cap[] = { MIGSTREAM_OPT_MAX_RECORD_LEN, 4119, 0 };
	tbuf b;
	size_t i;

	v1(&b);
	rt_p32(&b, V1_OFF_PAGE_DATA + 4, 0x08000001u);
	want_error(&b, NULL, "REC-2", MIGSTREAM_E_TOO_LONG, V1_OFF_PAGE_DATA, 1);
	for (i = 0; i < N_OTHER_SRCS; i++)
		want_error_src(&b, other_srcs[i], NULL, "REC-2", MIGSTREAM_E_TOO_LONG,
		               V1_OFF_PAGE_DATA, 1);
	/* Reported from the header alone: nothing after it is needed. */
	b.len = V1_OFF_PAGE_DATA + 8;
	want_error(&b, NULL, "REC-2", MIGSTREAM_E_TOO_LONG, V1_OFF_PAGE_DATA, 1);
	tb_free(&b);
	/* The configured cap: PAGE_DATA's body is 4120 octets. */
	v1(&b);
	want_error(&b, cap, "REC-2", MIGSTREAM_E_TOO_LONG, V1_OFF_PAGE_DATA, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_REC_2_pass)
{
	static const uint64_t cap[] = { MIGSTREAM_OPT_MAX_RECORD_LEN, 4120, 0 };
	tbuf b;

	v1(&b);
	want_pass(&b, cap, "REC-2");
	want_pass(&b, NULL, "REC-2");
	tb_free(&b);
}
END_TEST

/* Padding of an optional record ("hello": 5 octets, 3 of padding). */
START_TEST(test_rule_REC_3_break)
{
	tbuf b;

	v1(&b);
	rt_ins_rec(&b, 0x30, 0x80000001u, "hello", 5);
	rt_p8(&b, 0x30 + 8 + 5 + 2, 0x01);
	want_ws(&b, NULL, "REC-3", MIGSTREAM_E_RESERVED, 0x30, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_REC_3_pass)
{
	tbuf b;

	v1(&b);
	rt_ins_rec(&b, 0x30, 0x80000001u, "hello", 5);
	want_pass(&b, NULL, "REC-3");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_REC_4_break)
{
	tbuf b;

	v1(&b);
	rt_ins_rec(&b, 0x30, 0x13, NULL, 0);
	want_error(&b, NULL, "REC-4", MIGSTREAM_E_UNKNOWN_MANDATORY, 0x30, 1);
	tb_free(&b);
	v1(&b);
	rt_ins_rec(&b, 0x30, 0x7FFFFFFFu, "abcdefgh", 8);
	want_error(&b, NULL, "REC-4", MIGSTREAM_E_UNKNOWN_MANDATORY, 0x30, 1);
	tb_free(&b);
}
END_TEST

/* The highest defined type (0x12) is not unknown. */
START_TEST(test_rule_REC_4_pass)
{
	tbuf b;

	v1(&b);
	ins_msr(&b, V1_OFF_SDE, 0x10A, 0);
	want_pass(&b, NULL, "REC-4");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_REC_5_break)
{
	tbuf b;

	v1(&b);
	rt_ins_rec(&b, 0x30, 0x80000001u, "hello", 5);
	want_warning(&b, NULL, "REC-5", 0x30, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_REC_6_break)
{
	tbuf b;

	v1(&b);
	rt_ins_rec(&b, 0x30, MIGSTREAM_REC_SHARED_INFO, NULL, 4096);
	want_error(&b, NULL, "REC-6", 0, 0x30, 1);
	tb_free(&b);
	/* An HVM record in a PV image. */
	v2(&b);
	{
		tbuf r;

		tb_init(&r);
		tb_hvm_context_min(&r);
		tb_insert(&b, V2_OFF_TSC, r.data, r.len);
		tb_free(&r);
	}
	want_error(&b, NULL, "REC-6", 0, V2_OFF_TSC, 4);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_REC_6_pass)
{
	tbuf b;

	v2(&b);                         /* SHARED_INFO in a PV image */
	want_pass(&b, NULL, "REC-6");
	tb_free(&b);
	v1(&b);                         /* HVM records in an HVM image */
	want_pass(&b, NULL, "REC-6");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_REC_7_break)
{
	tbuf b;

	v1(&b);
	rt_ins_rec(&b, 0x30, MIGSTREAM_REC_TOOLSTACK, "abc", 3);
	want_error(&b, NULL, "REC-7", 0, 0x30, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_REC_8_break)
{
	uint8_t pfn[8] = { 0 };
	tbuf b;

	v1(&b);
	rt_ins_rec(&b, 0x30, MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST, pfn, 8);
	want_error(&b, NULL, "REC-8", MIGSTREAM_E_SEQUENCE, 0x30, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_REC_8_pass)
{
	static const uint64_t back[] = { MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_COLO_BACK, 0 };
	uint8_t pfn[8] = { 0 };
	tbuf b;

	back_channel(&b, pfn, 8);
	want_pass(&b, back, "REC-8");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_REC_9_break)
{
	uint8_t body[8] = { 0 };
	tbuf b;

	v1(&b);                         /* END with an 8-octet body */
	rt_replace_rec(&b, V1_OFF_END, 8, MIGSTREAM_REC_END, body, 8);
	want_error(&b, NULL, "REC-9", MIGSTREAM_E_BODY_LENGTH, V1_OFF_END, 5);
	tb_free(&b);
	v1(&b);                         /* STATIC_DATA_END with a body */
	rt_replace_rec(&b, V1_OFF_SDE, 8, MIGSTREAM_REC_STATIC_DATA_END, body, 1);
	want_error(&b, NULL, "REC-9", MIGSTREAM_E_BODY_LENGTH, V1_OFF_SDE, 0);
	tb_free(&b);
}
END_TEST

/* REC-11 is the umbrella for empty data records: the report names the
 * per-type minimum (rules.md 1.3), never REC-11 as well. */
START_TEST(test_rule_REC_11_break)
{
	t_result *res;
	tbuf b;

	v1(&b);                         /* empty X86_TSC_INFO */
	rt_replace_rec(&b, V1_OFF_TSC, 32, MIGSTREAM_REC_X86_TSC_INFO, NULL, 0);
	res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, NULL);
	check_error(res, "TSC-1", MIGSTREAM_E_BODY_LENGTH, V1_OFF_TSC, 2);
	rt_check_absent(res, "REC-11");
	free(res);
	tb_free(&b);
	v1(&b);                         /* empty HVM_CONTEXT */
	rt_replace_rec(&b, V1_OFF_HVM_CTX, 48, MIGSTREAM_REC_HVM_CONTEXT, NULL, 0);
	res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, NULL);
	check_error(res, "HVM-1", MIGSTREAM_E_BODY_LENGTH, V1_OFF_HVM_CTX, 3);
	rt_check_absent(res, "REC-11");
	free(res);
	tb_free(&b);
	v2(&b);                         /* empty SHARED_INFO */
	rt_replace_rec(&b, V2_OFF_SHARED, 4104, MIGSTREAM_REC_SHARED_INFO, NULL, 0);
	res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, NULL);
	check_error(res, "PV-27", MIGSTREAM_E_BODY_LENGTH, V2_OFF_SHARED, 5);
	rt_check_absent(res, "REC-11");
	free(res);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_REC_11_pass)
{
	tbuf b;

	v1(&b);
	want_pass(&b, NULL, "REC-11");
	tb_free(&b);
	v2(&b);
	want_pass(&b, NULL, "REC-11");
	tb_free(&b);
}
END_TEST

/* ================================================================ ORDER */

/* Table rows (below): passing ORDER-2, ORDER-3, ORDER-5, ORDER-7, ORDER-10. */

START_TEST(test_rule_ORDER_1_break)
{
	static const uint8_t junk[4] = { 0xde, 0xad, 0xbe, 0xef };
	tbuf b;
	size_t i;

	v1(&b);
	tb_bytes(&b, junk, sizeof junk);
	want_error(&b, NULL, "ORDER-1", MIGSTREAM_E_TRAILING, V1_SIZE, NOREC);
	for (i = 0; i < N_OTHER_SRCS; i++)
		want_error_src(&b, other_srcs[i], NULL, "ORDER-1", MIGSTREAM_E_TRAILING, V1_SIZE,
		               NOREC);
	tb_free(&b);
}
END_TEST

/* On a channel the reader stops after END and leaves the rest. */
START_TEST(test_rule_ORDER_1_pass)
{
	static const uint64_t chan[] = { MIGSTREAM_OPT_CHANNEL, 1, 0 };
	static const uint8_t junk[4] = { 0xde, 0xad, 0xbe, 0xef };
	tbuf b;

	v1(&b);
	want_pass(&b, NULL, "ORDER-1");
	tb_bytes(&b, junk, sizeof junk);
	want_pass(&b, chan, "ORDER-1");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_ORDER_2_break)
{
	tbuf b;
	size_t i;

	v1(&b);
	b.len = V1_OFF_END;
	want_error(&b, NULL, "ORDER-2", MIGSTREAM_E_TRUNCATED, V1_OFF_END, NOREC);
	for (i = 0; i < N_OTHER_SRCS; i++)
		want_error_src(&b, other_srcs[i], NULL, "ORDER-2", MIGSTREAM_E_TRUNCATED,
		               V1_OFF_END, NOREC);
	b.len = 40;                     /* headers only */
	want_error(&b, NULL, "ORDER-2", MIGSTREAM_E_TRUNCATED, 40, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_ORDER_3_break)
{
	tbuf b;

	v1(&b);
	rt_ins_rec(&b, 0x30, MIGSTREAM_REC_STATIC_DATA_END, NULL, 0);
	want_error(&b, NULL, "ORDER-3", MIGSTREAM_E_SEQUENCE, 0x30, 1);
	tb_free(&b);
}
END_TEST

/* I1: PAGE_DATA before STATIC_DATA_END; and X86_PV_P2M_FRAMES before it. */
START_TEST(test_rule_ORDER_4_break)
{
	tbuf b;

	v1(&b);
	rt_move(&b, V1_OFF_SDE, 8, V1_OFF_SDE + 4128);
	want_error(&b, NULL, "ORDER-4", MIGSTREAM_E_SEQUENCE, V1_OFF_SDE, 0);
	tb_free(&b);
	v2(&b);
	rt_move(&b, V2_OFF_SDE, 8, V2_OFF_SDE + 24);
	want_error(&b, NULL, "ORDER-4", MIGSTREAM_E_SEQUENCE, V2_OFF_SDE, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_ORDER_4_pass)
{
	tbuf b;

	v1(&b);
	want_pass(&b, NULL, "ORDER-4");
	tb_free(&b);
	v2(&b);
	want_pass(&b, NULL, "ORDER-4");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_ORDER_5_break)
{
	tbuf b;

	v1(&b);                         /* X86_TSC_INFO first */
	rt_move(&b, V1_OFF_TSC, 32, V1_OFF_SDE);
	want_error(&b, NULL, "ORDER-5", MIGSTREAM_E_SEQUENCE, V1_OFF_SDE, 0);
	tb_free(&b);
	v1(&b);                         /* HVM_PARAMS first */
	rt_move(&b, V1_OFF_HVM_PARAMS, 32, V1_OFF_SDE);
	want_error(&b, NULL, "ORDER-5", MIGSTREAM_E_SEQUENCE, V1_OFF_SDE, 0);
	tb_free(&b);
}
END_TEST

/* A v3 PV image with nothing but END (V2 minus every record). */
START_TEST(test_rule_ORDER_6_break)
{
	t_result *res;
	tbuf b;

	v2(&b);
	tb_delete(&b, 0x28, V2_OFF_END - 0x28);
	want_error(&b, NULL, "ORDER-6", MIGSTREAM_E_SEQUENCE, 0x28, 0);
	res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, NULL);
	ck_assert_msg(t_count(&res->diags, MIGSTREAM_SEV_ERROR) == 1, "%s", rt_describe(res));
	free(res);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_ORDER_6_pass)
{
	tbuf b;

	v2(&b);
	want_pass(&b, NULL, "ORDER-6");
	tb_free(&b);
	v1_version2(&b);                /* v2: no STATIC_DATA_END needed */
	want_pass(&b, NULL, "ORDER-6");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_ORDER_7_break)
{
	tbuf b;

	v1_version2(&b);                /* inferred before the first PAGE_DATA */
	want_info(&b, NULL, "ORDER-7", 0x28, 0, 1);
	tb_free(&b);
	v2(&b);                         /* PV: before the first P2M frames */
	rt_p8(&b, 0x0F, 2);
	rt_p32(&b, 0x24, 13);
	tb_delete(&b, V2_OFF_SDE, 8);
	want_info(&b, NULL, "ORDER-7", V2_OFF_SDE, 1, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_ORDER_8_break)
{
	uint32_t leaf[1][2] = { { 0, 0xFFFFFFFFu } };
	tbuf b;

	v1(&b);
	ins_cpuid(&b, 0x30, (const uint32_t (*)[2])leaf, 1);
	want_warning(&b, NULL, "ORDER-8", 0x30, 1);
	tb_free(&b);
	v1(&b);
	ins_msr(&b, 0x30, 0xCE, 0);
	want_warning(&b, NULL, "ORDER-8", 0x30, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_ORDER_8_pass)
{
	uint32_t leaf[1][2] = { { 0, 0xFFFFFFFFu } };
	tbuf b;

	v1(&b);
	ins_cpuid(&b, V1_OFF_SDE, (const uint32_t (*)[2])leaf, 1);
	ins_msr(&b, V1_OFF_SDE + 32, 0xCE, 0);
	want_pass(&b, NULL, "ORDER-8");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_ORDER_9_break)
{
	uint32_t leaf[1][2] = { { 0, 0xFFFFFFFFu } };
	tbuf b;

	v1(&b);
	ins_msr(&b, V1_OFF_SDE, 0xCE, 0);
	ins_msr(&b, V1_OFF_SDE + 24, 0x10A, 0);
	want_warning(&b, NULL, "ORDER-9", V1_OFF_SDE + 24, 1);
	tb_free(&b);
	v1(&b);
	ins_cpuid(&b, V1_OFF_SDE, (const uint32_t (*)[2])leaf, 1);
	ins_cpuid(&b, V1_OFF_SDE + 32, (const uint32_t (*)[2])leaf, 1);
	want_warning(&b, NULL, "ORDER-9", V1_OFF_SDE + 32, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_ORDER_9_pass)
{
	uint32_t leaf[1][2] = { { 0, 0xFFFFFFFFu } };
	tbuf b;

	v1(&b);
	ins_cpuid(&b, V1_OFF_SDE, (const uint32_t (*)[2])leaf, 1);
	ins_msr(&b, V1_OFF_SDE + 32, 0xCE, 0);
	want_pass(&b, NULL, "ORDER-9");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_ORDER_10_break)
{
	tbuf b;

	v2(&b);                         /* STATIC_DATA_END, then X86_PV_INFO */
	rt_move(&b, V2_OFF_PV_INFO, 16, V2_OFF_PV_INFO + 8);
	want_warning(&b, NULL, "ORDER-10", 0x30, 1);
	tb_free(&b);
}
END_TEST

/* V1 has Xen's order (context, then parameters): that is the finding. */
START_TEST(test_rule_ORDER_11_break)
{
	tbuf b;

	v1(&b);
	want_info(&b, NULL, "ORDER-11", V1_OFF_HVM_PARAMS, 4, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_ORDER_11_pass)
{
	tbuf b;

	v1(&b);                         /* the spec's order: parameters first */
	rt_move(&b, V1_OFF_HVM_PARAMS, 32, V1_OFF_HVM_CTX);
	want_pass(&b, NULL, "ORDER-11");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_ORDER_12_break)
{
	static const uint64_t remus[] = { MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_REMUS, 0 };
	tbuf b;

	v1(&b);                         /* two VERIFY */
	rt_ins_rec(&b, V1_OFF_END, MIGSTREAM_REC_VERIFY, NULL, 0);
	rt_ins_rec(&b, V1_OFF_END, MIGSTREAM_REC_VERIFY, NULL, 0);
	want_warning(&b, NULL, "ORDER-12", V1_OFF_END + 8, 6);
	tb_free(&b);
	v1(&b);                         /* VERIFY in a checkpointed stream */
	rt_ins_rec(&b, V1_OFF_END, MIGSTREAM_REC_VERIFY, NULL, 0);
	want_warning(&b, remus, "ORDER-12", V1_OFF_END, 5);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_ORDER_12_pass)
{
	tbuf b;

	v1(&b);
	rt_ins_rec(&b, V1_OFF_END, MIGSTREAM_REC_VERIFY, NULL, 0);
	want_pass(&b, NULL, "ORDER-12");
	tb_free(&b);
}
END_TEST

/* ================================================================ PAGE */

/* Table rows (below): breaking PAGE-3, PAGE-4, PAGE-7, PAGE-8, PAGE-9,
 * PAGE-11; passing PAGE-1, PAGE-2, PAGE-3, PAGE-4, PAGE-7, PAGE-8, PAGE-9. */

START_TEST(test_rule_PAGE_1_break)
{
	static const uint8_t body[4] = { 1, 0, 0, 0 };
	tbuf b;

	v1(&b);
	rt_replace_rec(&b, V1_OFF_PAGE_DATA, 4128, MIGSTREAM_REC_PAGE_DATA, body, 4);
	want_error(&b, NULL, "PAGE-1", MIGSTREAM_E_BODY_LENGTH, V1_OFF_PAGE_DATA, 1);
	tb_free(&b);
	v1(&b);
	rt_replace_rec(&b, V1_OFF_PAGE_DATA, 4128, MIGSTREAM_REC_PAGE_DATA, NULL, 0);
	want_error(&b, NULL, "PAGE-1", MIGSTREAM_E_BODY_LENGTH, V1_OFF_PAGE_DATA, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PAGE_2_break)
{
	static const uint8_t body[8] = { 0 };
	tbuf b;

	v1(&b);
	rt_replace_rec(&b, V1_OFF_PAGE_DATA, 4128, MIGSTREAM_REC_PAGE_DATA, body, 8);
	want_error(&b, NULL, "PAGE-2", MIGSTREAM_E_FIELD, V1_OFF_PAGE_DATA, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PAGE_5_break)
{
	tbuf b;

	v1(&b);
	rt_p8(&b, V1_PFN0 + 6, 0x10);      /* bit 52 */
	want_ws(&b, NULL, "PAGE-5", MIGSTREAM_E_RESERVED, V1_OFF_PAGE_DATA, 1);
	tb_free(&b);
	v1(&b);
	rt_p8(&b, V1_PFN1 + 7, 0xF8);      /* XTAB with bit 59 */
	want_ws(&b, NULL, "PAGE-5", MIGSTREAM_E_RESERVED, V1_OFF_PAGE_DATA, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PAGE_5_pass)
{
	tbuf b;

	v1(&b);
	rt_p8(&b, V1_PFN0 + 6, 0x0F);      /* bits 48-51 belong to the pfn */
	want_pass(&b, NULL, "PAGE-5");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PAGE_6_break)
{
	static const uint8_t bad[4] = { 0x50, 0x60, 0x70, 0x80 };
	tbuf b;
	size_t i;

	for (i = 0; i < 4; i++) {
		v1(&b);
		rt_p8(&b, V1_PFN1 + 7, bad[i]);
		want_error(&b, NULL, "PAGE-6", MIGSTREAM_E_PAGE_TYPE, V1_OFF_PAGE_DATA, 1);
		tb_free(&b);
	}
	v1(&b);
	rt_p8(&b, V1_PFN1 + 7, 0x50);
	for (i = 0; i < N_OTHER_SRCS; i++)
		want_error_src(&b, other_srcs[i], NULL, "PAGE-6", MIGSTREAM_E_PAGE_TYPE,
		               V1_OFF_PAGE_DATA, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PAGE_6_pass)
{
	tbuf b;

	v1(&b);
	rt_p8(&b, V1_PFN1 + 7, 0xD0);      /* BROKEN: valid, no data */
	want_pass(&b, NULL, "PAGE-6");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PAGE_10_break)
{
	tbuf b;

	v1(&b);
	rt_p8(&b, V1_PFN0 + 7, 0x10);      /* L1TAB in an HVM image */
	want_warning(&b, NULL, "PAGE-10", V1_OFF_PAGE_DATA, 1);
	tb_free(&b);
	v1(&b);
	rt_p8(&b, V1_PFN0 + 7, 0xC0);      /* L4TAB|PINNED */
	want_warning(&b, NULL, "PAGE-10", V1_OFF_PAGE_DATA, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PAGE_10_pass)
{
	tbuf b;

	v1(&b);
	want_pass(&b, NULL, "PAGE-10");
	tb_free(&b);
	v2(&b);                         /* page tables in a PV image */
	want_pass(&b, NULL, "PAGE-10");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PAGE_11_pass)
{
	tbuf b;

	v1(&b);
	rt_p8(&b, V1_PFN1 + 7, 0xE0);      /* XALLOC in converter output */
	rt_p32(&b, 0x20, 0);
	want_pass(&b, NULL, "PAGE-11");
	tb_free(&b);
}
END_TEST

/* V1 with a PAGE_DATA of count entries: the data page + XTAB pfns 1.. */
static void v1_big_page_data(tbuf *b, uint32_t count)
{
	uint64_t *e = calloc(count, sizeof *e);
	tbuf r;
	uint32_t i;

	ck_assert_ptr_nonnull(e);
	e[0] = 0xFEFFC;
	for (i = 1; i < count; i++)
		e[i] = 0xF000000000000000ull | i;
	v1(b);
	tb_delete(b, V1_OFF_PAGE_DATA, 4128);
	tb_init(&r);
	tb_page_data(&r, count, e, 0);
	tb_insert(b, V1_OFF_PAGE_DATA, r.data, r.len);
	tb_free(&r);
	free(e);
}

START_TEST(test_rule_PAGE_12_break)
{
	tbuf b;

	v1_big_page_data(&b, 1025);
	want_warning(&b, NULL, "PAGE-12", V1_OFF_PAGE_DATA, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PAGE_12_pass)
{
	tbuf b;

	v1_big_page_data(&b, 1024);
	want_pass(&b, NULL, "PAGE-12");
	tb_free(&b);
}
END_TEST

/* ================================================================ PV */

/* Table rows (below): breaking PV-1, PV-4, PV-8, PV-9, PV-13; passing PV-1,
 * PV-2, PV-3, PV-4, PV-5, PV-6, PV-7, PV-8, PV-9, PV-10, PV-11, PV-12,
 * PV-13, PV-15, PV-16, PV-25, PV-26, PV-27, PV-28. */

START_TEST(test_rule_PV_2_break)
{
	static const uint8_t z[8] = { 0 };
	tbuf b;

	v2(&b);
	tb_insert(&b, V2_OFF_SDE, z, 8);
	rt_p32(&b, V2_OFF_PV_INFO + 4, 16);
	want_ws(&b, NULL, "PV-2", MIGSTREAM_E_BODY_LENGTH, V2_OFF_PV_INFO, 0);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_3_break)
{
	tbuf b;

	v2(&b);
	rt_p8(&b, 0x31, 3);                /* I3: (8, 3) */
	want_error(&b, NULL, "PV-3", MIGSTREAM_E_FIELD, V2_OFF_PV_INFO, 0);
	rt_p8(&b, 0x30, 4);                /* (4, 4) */
	rt_p8(&b, 0x31, 4);
	want_error(&b, NULL, "PV-3", MIGSTREAM_E_FIELD, V2_OFF_PV_INFO, 0);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_5_break)
{
	tbuf b;

	v2(&b);
	rt_copy(&b, V2_OFF_PV_INFO, 16, V2_OFF_SDE);
	want_error(&b, NULL, "PV-5", MIGSTREAM_E_SEQUENCE, V2_OFF_SDE, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_6_break)
{
	tbuf b;

	v2(&b);                         /* no X86_PV_INFO: P2M frames first */
	tb_delete(&b, V2_OFF_PV_INFO, 16);
	want_error(&b, NULL, "PV-6", MIGSTREAM_E_SEQUENCE, V2_OFF_P2M - 16, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_7_break)
{
	tbuf b;

	v2(&b);
	tb_delete(&b, V2_P2M_BODY + 8, 8);
	rt_p32(&b, V2_OFF_P2M + 4, 8);
	want_error(&b, NULL, "PV-7", MIGSTREAM_E_BODY_LENGTH, V2_OFF_P2M, 2);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_10_break)
{
	tbuf b;

	v2(&b);
	tb_delete(&b, V2_OFF_P2M, 24);
	want_error(&b, NULL, "PV-10", MIGSTREAM_E_SEQUENCE, V2_OFF_P2M, 2);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_11_break)
{
	tbuf b;

	v2(&b);
	rt_p64(&b, V2_P2M_BODY + 8, 1);    /* p2m frame is the L4 page */
	want_error(&b, NULL, "PV-11", MIGSTREAM_E_CONSISTENCY, V2_OFF_END, 7);
	rt_p64(&b, V2_P2M_BODY + 8, 3);    /* p2m frame above max_pfn */
	want_error(&b, NULL, "PV-11", MIGSTREAM_E_CONSISTENCY, V2_OFF_END, 7);
	tb_free(&b);
	/* A second X86_PV_P2M_FRAMES for pfn 1024 (frame 2): max_pfn 1024 needs
	 * frames 0..2, frame 1 is never supplied. */
	v2(&b);
	{
		static const uint64_t frame[1] = { 0 };
		tbuf r;

		tb_init(&r);
		tb_p2m_frames(&r, 1024, 1024, 1, frame);
		tb_insert(&b, V2_OFF_PAGE_DATA, r.data, r.len);
		tb_free(&r);
	}
	want_error(&b, NULL, "PV-11", MIGSTREAM_E_CONSISTENCY, V2_OFF_END + 24, 8);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_12_break)
{
	static const uint8_t body[4] = { 0 };
	tbuf b;

	v2(&b);
	rt_replace_rec(&b, V2_OFF_BASIC, V2_BASIC_SIZE, MIGSTREAM_REC_X86_PV_VCPU_BASIC, body, 4);
	want_error(&b, NULL, "PV-12", MIGSTREAM_E_BODY_LENGTH, V2_OFF_BASIC, 6);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_14_break)
{
	static const uint64_t one[] = { MIGSTREAM_OPT_VCPUS, 1, 0 };
	tbuf b;

	/* Known vCPU count: error. */
	v2(&b);
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_XSAVE, 1, NULL, 16);
	want_error(&b, one, "PV-14", MIGSTREAM_E_FIELD, V2_OFF_END, 7);
	tb_free(&b);
	/* Unknown: vcpu_id at the hypervisor ceiling is a warning. */
	v2(&b);
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_XSAVE, 8192, NULL, 16);
	want_warning(&b, NULL, "PV-14", V2_OFF_END, 7);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_14_pass)
{
	static const uint64_t two[] = { MIGSTREAM_OPT_VCPUS, 2, 0 };
	tbuf b;

	v2(&b);
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_XSAVE, 1, NULL, 16);
	want_pass(&b, two, "PV-14");
	want_pass(&b, NULL, "PV-14");
	tb_free(&b);
	v2(&b);
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_XSAVE, 8191, NULL, 16);
	want_pass(&b, NULL, "PV-14");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_15_break)
{
	tbuf b;

	v2(&b);                         /* context 5160 octets */
	tb_delete(&b, V2_OFF_END - 8, 8);
	rt_p32(&b, V2_OFF_BASIC + 4, 5176 - 8);
	want_error(&b, NULL, "PV-15", MIGSTREAM_E_BODY_LENGTH, V2_OFF_BASIC, 6);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_16_break)
{
	static const uint8_t body[8] = { 0 };
	tbuf b;

	v2(&b);
	rt_replace_rec(&b, V2_OFF_BASIC, V2_BASIC_SIZE, MIGSTREAM_REC_X86_PV_VCPU_BASIC, body, 8);
	want_error(&b, NULL, "PV-16", MIGSTREAM_E_BODY_LENGTH, V2_OFF_BASIC, 6);
	tb_free(&b);
}
END_TEST

/* An X86_PV_VCPU_EXTENDED context: embedded vcpu and size fields. */
static void ext_ctx(uint8_t *ctx, uint32_t len, uint32_t vcpu, uint32_t size)
{
	memset(ctx, 0, len);
	if (len >= 4)
		rt_le32(ctx, vcpu);
	if (len >= 8)
		rt_le32(ctx + 4, size);
}

START_TEST(test_rule_PV_17_break)
{
	uint8_t ctx[136];
	tbuf b;

	v2(&b);
	ext_ctx(ctx, sizeof ctx, 0, sizeof ctx);
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_EXTENDED, 0, ctx, sizeof ctx);
	want_error(&b, NULL, "PV-17", MIGSTREAM_E_BODY_LENGTH, V2_OFF_END, 7);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_17_pass)
{
	uint8_t ctx[128];
	tbuf b;

	v2(&b);
	ext_ctx(ctx, sizeof ctx, 0, sizeof ctx);
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_EXTENDED, 0, ctx, sizeof ctx);
	want_pass(&b, NULL, "PV-17");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_18_break)
{
	uint8_t ctx[32];
	tbuf b;

	v2(&b);
	ext_ctx(ctx, sizeof ctx, 0, 16);
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_EXTENDED, 0, ctx, sizeof ctx);
	want_error(&b, NULL, "PV-18", MIGSTREAM_E_FIELD, V2_OFF_END, 7);
	tb_free(&b);
	v2(&b);                         /* too short to hold the size: taken as 0 */
	ext_ctx(ctx, 4, 0, 0);
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_EXTENDED, 0, ctx, 4);
	want_error(&b, NULL, "PV-18", MIGSTREAM_E_FIELD, V2_OFF_END, 7);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_18_pass)
{
	uint8_t ctx[32];
	tbuf b;

	v2(&b);
	ext_ctx(ctx, sizeof ctx, 0, 32);
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_EXTENDED, 0, ctx, sizeof ctx);
	want_pass(&b, NULL, "PV-18");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_19_break)
{
	uint8_t ctx[40];
	tbuf b;

	v2(&b);                         /* embedded vcpu 1, record vcpu 0 */
	ext_ctx(ctx, sizeof ctx, 1, sizeof ctx);
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_EXTENDED, 0, ctx, sizeof ctx);
	want_warning(&b, NULL, "PV-19", V2_OFF_END, 7);
	tb_free(&b);
	v2(&b);                         /* embedded size 32, context 40 */
	ext_ctx(ctx, sizeof ctx, 0, 32);
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_EXTENDED, 0, ctx, sizeof ctx);
	want_warning(&b, NULL, "PV-19", V2_OFF_END, 7);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_19_pass)
{
	uint8_t ctx[40];
	tbuf b;

	v2(&b);
	ext_ctx(ctx, sizeof ctx, 0, sizeof ctx);
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_EXTENDED, 0, ctx, sizeof ctx);
	want_pass(&b, NULL, "PV-19");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_20_break)
{
	tbuf b;

	v2(&b);
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_XSAVE, 0, NULL, 8);
	want_error(&b, NULL, "PV-20", MIGSTREAM_E_BODY_LENGTH, V2_OFF_END, 7);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_20_pass)
{
	tbuf b;

	v2(&b);
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_XSAVE, 0, NULL, 16);
	want_pass(&b, NULL, "PV-20");
	tb_free(&b);
}
END_TEST

/* X86_PV_VCPU_MSRS contexts. */
static void msr_ctx(uint8_t *ctx, uint32_t idx, uint32_t rsvd)
{
	memset(ctx, 0, 16);
	rt_le32(ctx, idx);
	rt_le32(ctx + 4, rsvd);
}

START_TEST(test_rule_PV_21_break)
{
	uint8_t ctx[24];
	tbuf b;

	v2(&b);
	msr_ctx(ctx, 0x48, 0);
	memset(ctx + 16, 0, 8);
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_MSRS, 0, ctx, sizeof ctx);
	want_error(&b, NULL, "PV-21", MIGSTREAM_E_BODY_LENGTH, V2_OFF_END, 7);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_21_pass)
{
	uint8_t ctx[16];
	tbuf b;

	v2(&b);
	msr_ctx(ctx, 0x48, 0);
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_MSRS, 0, ctx, sizeof ctx);
	want_pass(&b, NULL, "PV-21");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_22_break)
{
	uint8_t ctx[16];
	tbuf b;

	v2(&b);
	msr_ctx(ctx, 0x48, 1);
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_MSRS, 0, ctx, sizeof ctx);
	want_error(&b, NULL, "PV-22", MIGSTREAM_E_FIELD, V2_OFF_END, 7);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_22_pass)
{
	uint8_t ctx[16];
	tbuf b;

	v2(&b);
	msr_ctx(ctx, 0x48, 0);
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_MSRS, 0, ctx, sizeof ctx);
	want_pass(&b, NULL, "PV-22");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_23_break)
{
	uint8_t ctx[16 * 8];
	tbuf b;
	unsigned i;

	v2(&b);                         /* unknown index */
	msr_ctx(ctx, 0x1234, 0);
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_MSRS, 0, ctx, 16);
	want_warning(&b, NULL, "PV-23", V2_OFF_END, 7);
	tb_free(&b);
	v2(&b);                         /* 8 entries */
	for (i = 0; i < 8; i++)
		msr_ctx(ctx + 16 * i, 0x48, 0);
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_MSRS, 0, ctx, sizeof ctx);
	want_warning(&b, NULL, "PV-23", V2_OFF_END, 7);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_23_pass)
{
	static const uint32_t idx[7] = {
		0x48, 0x140, 0xC0000103u, 0xC0011027u, 0xC0011019u, 0xC001101Au, 0xC001101Bu,
	};
	uint8_t ctx[16 * 7];
	tbuf b;
	unsigned i;

	v2(&b);
	for (i = 0; i < 7; i++)
		msr_ctx(ctx + 16 * i, idx[i], 0);
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_MSRS, 0, ctx, sizeof ctx);
	want_pass(&b, NULL, "PV-23");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_24_break)
{
	tbuf b;

	v2(&b);
	rt_copy(&b, V2_OFF_BASIC, V2_BASIC_SIZE, V2_OFF_END);
	want_warning(&b, NULL, "PV-24", V2_OFF_END, 7);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_24_pass)
{
	tbuf b;

	v2(&b);                         /* BASIC and XSAVE for vCPU 0: other types */
	ins_vcpu(&b, V2_OFF_END, MIGSTREAM_REC_X86_PV_VCPU_XSAVE, 0, NULL, 16);
	want_pass(&b, NULL, "PV-24");
	tb_free(&b);
	v2(&b);                         /* one BASIC in each checkpoint segment */
	rt_ins_rec(&b, V2_OFF_END, MIGSTREAM_REC_CHECKPOINT, NULL, 0);
	rt_copy(&b, V2_OFF_BASIC, V2_BASIC_SIZE, V2_OFF_END + 8);
	rt_ins_rec(&b, V2_OFF_END + 8 + V2_BASIC_SIZE, MIGSTREAM_REC_CHECKPOINT, NULL, 0);
	want_pass(&b, NULL, "PV-24");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_25_break)
{
	tbuf b;

	v2(&b);
	rt_p8(&b, V2_OFF_BASIC + 8, 1);    /* the only BASIC is vCPU 1's */
	want_error(&b, NULL, "PV-25", MIGSTREAM_E_CONSISTENCY, V2_OFF_END, 7);
	tb_free(&b);
	v2(&b);                         /* at a CHECKPOINT before any BASIC */
	rt_ins_rec(&b, V2_OFF_BASIC, MIGSTREAM_REC_CHECKPOINT, NULL, 0);
	want_error(&b, NULL, "PV-25", MIGSTREAM_E_CONSISTENCY, V2_OFF_BASIC, 6);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_26_break)
{
	tbuf b;

	v2(&b);
	rt_move(&b, V2_OFF_BASIC, V2_BASIC_SIZE, V2_OFF_PAGE_DATA);
	want_error(&b, NULL, "PV-26", MIGSTREAM_E_SEQUENCE, V2_OFF_PAGE_DATA, 3);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_27_break)
{
	tbuf b;

	v2(&b);
	tb_delete(&b, V2_OFF_SHARED + 8, 8);
	rt_p32(&b, V2_OFF_SHARED + 4, 4088);
	want_error(&b, NULL, "PV-27", MIGSTREAM_E_BODY_LENGTH, V2_OFF_SHARED, 5);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_28_break)
{
	tbuf b;

	v2(&b);
	tb_delete(&b, V2_OFF_SHARED, 4104);
	want_warning(&b, NULL, "PV-28", V2_OFF_END - 4104, 6);
	tb_free(&b);
}
END_TEST

/* Give pfn 2's page the start_info magic. */
static void v2_start_info_magic(tbuf *b)
{
	memcpy(b->data + V2_PAGE2, "xen-3.0-x86_64", 14);
}

START_TEST(test_rule_PV_29_break)
{
	tbuf b;
	size_t i;

	v2(&b);                         /* start_info pfn above max_pfn */
	rt_p64(&b, V2_RDX, 3);
	want_error(&b, NULL, "PV-29", MIGSTREAM_E_CONSISTENCY, V2_OFF_END, 7);
	rt_p64(&b, V2_RDX, 1);             /* start_info pfn is the L4 page */
	want_error(&b, NULL, "PV-29", MIGSTREAM_E_CONSISTENCY, V2_OFF_END, 7);
	tb_free(&b);
	v2(&b);                         /* store_mfn inside start_info above max_pfn */
	v2_start_info_magic(&b);
	rt_p64(&b, V2_PAGE2 + 56, 5);
	want_error(&b, NULL, "PV-29", MIGSTREAM_E_CONSISTENCY, V2_OFF_END, 7);
	for (i = 0; i < N_OTHER_SRCS; i++)
		want_error_src(&b, other_srcs[i], NULL, "PV-29", MIGSTREAM_E_CONSISTENCY,
		               V2_OFF_END, 7);
	tb_free(&b);
	v2(&b);                         /* console.domU.mfn above max_pfn */
	v2_start_info_magic(&b);
	rt_p64(&b, V2_PAGE2 + 72, 0x1000);
	want_error(&b, NULL, "PV-29", MIGSTREAM_E_CONSISTENCY, V2_OFF_END, 7);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_29_pass)
{
	tbuf b;
	size_t i;

	v2(&b);
	want_pass(&b, NULL, "PV-29");
	v2_start_info_magic(&b);        /* store 2, console 0: both received */
	rt_p64(&b, V2_PAGE2 + 56, 2);
	want_pass(&b, NULL, "PV-29");
	for (i = 0; i < N_OTHER_SRCS; i++)
		want_pass_src(&b, other_srcs[i], NULL, "PV-29");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_30_break)
{
	tbuf b;

	v2(&b);
	rt_p64(&b, V2_GDT_ENTS, 7169);
	want_error(&b, NULL, "PV-30", MIGSTREAM_E_CONSISTENCY, V2_OFF_END, 7);
	rt_p64(&b, V2_GDT_ENTS, 1);        /* gdt_frames[0] = pfn 0... */
	rt_p64(&b, V2_GDT_FRAMES, 1);      /* ...now the L4 page */
	want_error(&b, NULL, "PV-30", MIGSTREAM_E_CONSISTENCY, V2_OFF_END, 7);
	rt_p64(&b, V2_GDT_FRAMES, 3);      /* above max_pfn */
	want_error(&b, NULL, "PV-30", MIGSTREAM_E_CONSISTENCY, V2_OFF_END, 7);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_30_pass)
{
	tbuf b;

	v2(&b);
	want_pass(&b, NULL, "PV-30");
	rt_p64(&b, V2_GDT_ENTS, 513);      /* two frames, both NOTAB */
	rt_p64(&b, V2_GDT_FRAMES, 2);
	rt_p64(&b, V2_GDT_FRAMES + 8, 0);
	want_pass(&b, NULL, "PV-30");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_31_break)
{
	tbuf b;

	v2(&b);
	rt_p64(&b, V2_CR3, 0x2000);        /* pfn 2 is NOTAB */
	want_error(&b, NULL, "PV-31", MIGSTREAM_E_CONSISTENCY, V2_OFF_END, 7);
	rt_p64(&b, V2_CR3, 0x5000);        /* above max_pfn */
	want_error(&b, NULL, "PV-31", MIGSTREAM_E_CONSISTENCY, V2_OFF_END, 7);
	tb_free(&b);
	v2(&b);                         /* user cr1 valid bit set, pfn 2 */
	rt_p64(&b, V2_CR1, 0x2001);
	want_error(&b, NULL, "PV-31", MIGSTREAM_E_CONSISTENCY, V2_OFF_END, 7);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_31_pass)
{
	tbuf b;

	v2(&b);
	want_pass(&b, NULL, "PV-31");
	rt_p64(&b, V2_CR1, 0x1001);        /* user cr1 -> the L4 page */
	want_pass(&b, NULL, "PV-31");
	rt_p64(&b, V2_CR1, 0x2000);        /* bit 0 clear: not checked */
	want_pass(&b, NULL, "PV-31");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_32_break)
{
	tbuf b;
	size_t i;

	v2(&b);
	rt_p64(&b, V2_PAGE1 + 8 * 7, 0x5001);      /* present, pfn 5 > max_pfn */
	want_error(&b, NULL, "PV-32", MIGSTREAM_E_CONSISTENCY, V2_OFF_PAGE_DATA, 3);
	/* Reported when the record is finished: PAGE_DATA itself was delivered. */
	for (i = 0; i < 2; i++) {
		t_result *res = rt_run(&b, i ? T_SRC_PIPE : T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, NULL);

		ck_assert_msg(res->records == 4 && res->types[3] == MIGSTREAM_REC_PAGE_DATA,
		              "%llu records delivered before PV-32; %s",
		              (unsigned long long)res->records, rt_describe(res));
		free(res);
	}
	for (i = 0; i < N_OTHER_SRCS; i++)
		want_error_src(&b, other_srcs[i], NULL, "PV-32", MIGSTREAM_E_CONSISTENCY,
		               V2_OFF_PAGE_DATA, 3);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_PV_32_pass)
{
	tbuf b;
	size_t i;

	v2(&b);
	rt_p64(&b, V2_PAGE1 + 8 * 7, 0x2001);      /* present, pfn 2 */
	rt_p64(&b, V2_PAGE1 + 8 * 8, 0x5000);      /* not present: not checked */
	want_pass(&b, NULL, "PV-32");
	for (i = 0; i < N_OTHER_SRCS; i++)
		want_pass_src(&b, other_srcs[i], NULL, "PV-32");
	tb_free(&b);
}
END_TEST

/* ================================================================ HVM */

/* Table rows (below): breaking HVM-5, HVM-6, HVM-7, HVM-8, HVM-11, HVM-13,
 * HVM-14; passing HVM-1, HVM-4, HVM-5, HVM-6, HVM-8, HVM-10, HVM-11,
 * HVM-12, HVM-13, HVM-14, HVM-17. */

START_TEST(test_rule_HVM_1_break)
{
	tbuf b;

	v1(&b);
	rt_replace_rec(&b, V1_OFF_HVM_CTX, 48, MIGSTREAM_REC_HVM_CONTEXT, NULL, 0);
	want_error(&b, NULL, "HVM-1", MIGSTREAM_E_BODY_LENGTH, V1_OFF_HVM_CTX, 3);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_HVM_2_break)
{
	tbuf b;

	v1(&b);
	tb_delete(&b, V1_OFF_HVM_CTX, 48);
	want_error(&b, NULL, "HVM-2", MIGSTREAM_E_SEQUENCE, V1_OFF_END - 48, 4);
	tb_free(&b);
	/* Checkpointed: before the first CHECKPOINT. */
	v1(&b);
	rt_move(&b, V1_OFF_HVM_CTX, 48, V1_OFF_END - 48);
	rt_ins_rec(&b, V1_OFF_HVM_CTX, MIGSTREAM_REC_CHECKPOINT, NULL, 0);
	want_error(&b, NULL, "HVM-2", MIGSTREAM_E_SEQUENCE, V1_OFF_HVM_CTX, 3);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_HVM_2_pass)
{
	tbuf b;

	v1(&b);
	want_pass(&b, NULL, "HVM-2");
	tb_free(&b);
	v1_checkpoint_at(&b, V1_OFF_END);
	want_pass(&b, NULL, "HVM-2");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_HVM_3_break)
{
	tbuf b;

	v1(&b);
	rt_copy(&b, V1_OFF_HVM_CTX, 48, V1_OFF_HVM_PARAMS);
	want_warning(&b, NULL, "HVM-3", V1_OFF_HVM_PARAMS, 4);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_HVM_3_pass)
{
	tbuf b;

	v1(&b);
	want_pass(&b, NULL, "HVM-3");
	tb_free(&b);
	/* One per checkpoint segment is fine. */
	v1_checkpoint_at(&b, V1_OFF_END);
	rt_copy(&b, V1_OFF_HVM_CTX, 48, V1_OFF_END + 8);
	rt_ins_rec(&b, V1_OFF_END + 8 + 48, MIGSTREAM_REC_CHECKPOINT, NULL, 0);
	want_pass(&b, NULL, "HVM-3");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_HVM_4_break)
{
	tbuf b;

	v1(&b);                         /* body 4 (count only) + 4 padding */
	tb_delete(&b, V1_PARAMS_BODY + 8, 16);
	rt_p32(&b, V1_OFF_HVM_PARAMS + 4, 4);
	want_error(&b, NULL, "HVM-4", MIGSTREAM_E_BODY_LENGTH, V1_OFF_HVM_PARAMS, 4);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_HVM_7_pass)
{
	static const uint64_t p[4] = { 1, 0xfeffc, 38, 0 };
	tbuf b;

	v1_params(&b, 2, p);
	want_pass(&b, NULL, "HVM-7");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_HVM_9_break)
{
	static const uint64_t p[4] = { 1, 0xfeffc, 1, 0xfeffc };
	tbuf b;

	v1_params(&b, 2, p);
	want_warning(&b, NULL, "HVM-9", V1_OFF_HVM_PARAMS, 4);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_HVM_9_pass)
{
	static const uint64_t p[4] = { 1, 0xfeffc, 3, 0 };
	tbuf b;

	v1_params(&b, 2, p);
	want_pass(&b, NULL, "HVM-9");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_HVM_10_break)
{
	static const uint64_t p[4] = { 1, 0xfeffc, 18, 5 };
	tbuf b;

	v1(&b);
	rt_p64(&b, V1_PARAMS_BODY + 8, 2);
	want_warning(&b, NULL, "HVM-10", V1_OFF_HVM_PARAMS, 4);
	tb_free(&b);
	v1_params(&b, 2, p);
	want_warning(&b, NULL, "HVM-10", V1_OFF_HVM_PARAMS, 4);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_HVM_12_break)
{
	tbuf b;

	v1(&b);
	rt_p8(&b, V1_CTX_BODY + 8, 0x87);  /* magic */
	want_error(&b, NULL, "HVM-12", MIGSTREAM_E_FIELD, V1_OFF_HVM_CTX, 3);
	tb_free(&b);
	v1(&b);
	rt_p8(&b, V1_CTX_BODY + 12, 2);    /* version */
	want_error(&b, NULL, "HVM-12", MIGSTREAM_E_FIELD, V1_OFF_HVM_CTX, 3);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_HVM_15_break)
{
	tbuf b;

	v1_ctx_entry(&b, 22, 0, 0);
	want_warning(&b, NULL, "HVM-15", V1_OFF_HVM_CTX, 3);
	tb_free(&b);
	v1_ctx_entry(&b, 21, 0, 0);
	want_warning(&b, NULL, "HVM-15", V1_OFF_HVM_CTX, 3);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_HVM_15_pass)
{
	tbuf b;

	v1_ctx_entry(&b, 20, 0, 0);
	want_pass(&b, NULL, "HVM-15");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_HVM_16_break)
{
	tbuf b;

	v1_ctx_entry(&b, 3, 0, 16);     /* typecode 3 is 8 octets */
	want_warning(&b, NULL, "HVM-16", V1_OFF_HVM_CTX, 3);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_HVM_16_pass)
{
	tbuf b;

	v1_ctx_entry(&b, 3, 0, 8);
	want_pass(&b, NULL, "HVM-16");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_HVM_17_break)
{
	static const uint8_t extra[8] = { 0 };
	tbuf b;

	v1(&b);
	rt_p8(&b, V1_CTX_END_DESC + 2, 1); /* END instance 1 */
	want_warning(&b, NULL, "HVM-17", V1_OFF_HVM_CTX, 3);
	tb_free(&b);
	v1(&b);                         /* 8 octets after END */
	tb_insert(&b, V1_CTX_END_DESC + 8, extra, 8);
	rt_p32(&b, V1_OFF_HVM_CTX + 4, 48);
	want_warning(&b, NULL, "HVM-17", V1_OFF_HVM_CTX, 3);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_HVM_18_break)
{
	static const uint64_t one[] = { MIGSTREAM_OPT_VCPUS, 1, 0 };
	tbuf b;

	v1_ctx_entry(&b, 2, 1, 0);      /* CPU instance 1, one vCPU */
	want_error(&b, one, "HVM-18", MIGSTREAM_E_CONSISTENCY, V1_OFF_HVM_CTX, 3);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_HVM_18_pass)
{
	static const uint64_t one[] = { MIGSTREAM_OPT_VCPUS, 1, 0 };
	static const uint64_t two[] = { MIGSTREAM_OPT_VCPUS, 2, 0 };
	tbuf b;

	v1_ctx_entry(&b, 2, 0, 0);
	want_pass(&b, one, "HVM-18");
	tb_free(&b);
	v1_ctx_entry(&b, 2, 1, 0);
	want_pass(&b, two, "HVM-18");
	want_pass(&b, NULL, "HVM-18");  /* count unknown: not checked */
	tb_free(&b);
}
END_TEST

/* ================================================================ TSC */

/* Table rows (below): breaking TSC-2, TSC-3, TSC-4; passing TSC-1, TSC-2,
 * TSC-6. */

START_TEST(test_rule_TSC_1_break)
{
	tbuf b;

	v1(&b);
	tb_delete(&b, V1_OFF_TSC + 24, 8);
	rt_p32(&b, V1_OFF_TSC + 4, 16);
	want_error(&b, NULL, "TSC-1", MIGSTREAM_E_BODY_LENGTH, V1_OFF_TSC, 2);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_TSC_3_pass)
{
	tbuf b;

	v1(&b);
	rt_p8(&b, V1_OFF_TSC + 8, 2);
	want_pass(&b, NULL, "TSC-3");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_TSC_4_pass)
{
	tbuf b;

	v1(&b);
	rt_p8(&b, V1_OFF_TSC + 8, 1);
	want_pass(&b, NULL, "TSC-4");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_TSC_5_break)
{
	tbuf b;

	v1(&b);
	rt_copy(&b, V1_OFF_TSC, 32, V1_OFF_HVM_CTX);
	want_warning(&b, NULL, "TSC-5", V1_OFF_HVM_CTX, 3);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_TSC_5_pass)
{
	tbuf b;

	v1(&b);
	want_pass(&b, NULL, "TSC-5");
	tb_free(&b);
	/* One in each checkpoint segment. */
	v1_checkpoint_at(&b, V1_OFF_END);
	rt_copy(&b, V1_OFF_TSC, 32, V1_OFF_END + 8);
	rt_ins_rec(&b, V1_OFF_END + 8 + 32, MIGSTREAM_REC_CHECKPOINT, NULL, 0);
	want_pass(&b, NULL, "TSC-5");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_TSC_6_break)
{
	tbuf b;

	v1(&b);
	tb_delete(&b, V1_OFF_TSC, 32);
	want_info(&b, NULL, "TSC-6", V1_OFF_END - 32, 4, 1);
	tb_free(&b);
}
END_TEST

/* ================================================================ POLICY */

START_TEST(test_rule_POLICY_1_break)
{
	static const uint8_t body[16] = { 0 };
	tbuf b;

	v1(&b);
	rt_ins_rec(&b, V1_OFF_SDE, MIGSTREAM_REC_X86_CPUID_POLICY, body, 16);
	want_error(&b, NULL, "POLICY-1", MIGSTREAM_E_BODY_LENGTH, V1_OFF_SDE, 0);
	tb_free(&b);
	v1(&b);
	rt_ins_rec(&b, V1_OFF_SDE, MIGSTREAM_REC_X86_CPUID_POLICY, NULL, 0);
	want_error(&b, NULL, "POLICY-1", MIGSTREAM_E_BODY_LENGTH, V1_OFF_SDE, 0);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_POLICY_1_pass)
{
	uint32_t leaf[2][2] = { { 0, 0xFFFFFFFFu }, { 1, 0xFFFFFFFFu } };
	tbuf b;

	v1(&b);
	ins_cpuid(&b, V1_OFF_SDE, (const uint32_t (*)[2])leaf, 2);
	want_pass(&b, NULL, "POLICY-1");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_POLICY_2_break)
{
	static const uint8_t body[24] = { 0 };
	tbuf b;

	v1(&b);
	rt_ins_rec(&b, V1_OFF_SDE, MIGSTREAM_REC_X86_MSR_POLICY, body, 24);
	want_error(&b, NULL, "POLICY-2", MIGSTREAM_E_BODY_LENGTH, V1_OFF_SDE, 0);
	tb_free(&b);
	v1(&b);
	rt_ins_rec(&b, V1_OFF_SDE, MIGSTREAM_REC_X86_MSR_POLICY, NULL, 0);
	want_error(&b, NULL, "POLICY-2", MIGSTREAM_E_BODY_LENGTH, V1_OFF_SDE, 0);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_POLICY_2_pass)
{
	tbuf b;

	v1(&b);
	ins_msr(&b, V1_OFF_SDE, 0xCE, 0);
	want_pass(&b, NULL, "POLICY-2");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_POLICY_3_break)
{
	tbuf b;

	v1(&b);                         /* I4 */
	ins_msr(&b, V1_OFF_SDE, 0x10A, 1);
	want_error(&b, NULL, "POLICY-3", MIGSTREAM_E_FIELD, V1_OFF_SDE, 0);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_POLICY_3_pass)
{
	tbuf b;

	v1(&b);
	ins_msr(&b, V1_OFF_SDE, 0x10A, 0);
	want_pass(&b, NULL, "POLICY-3");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_POLICY_4_break)
{
	uint32_t leaves[130][2];
	uint8_t body[48];
	tbuf b;

	ck_assert_uint_ge(valid_leaves(leaves, 130), 121);
	v1(&b);
	ins_cpuid(&b, V1_OFF_SDE, (const uint32_t (*)[2])leaves, 121);
	want_warning(&b, NULL, "POLICY-4", V1_OFF_SDE, 0);
	tb_free(&b);
	/* Three MSR entries; the third repeats 0xce (POLICY-7 as well). */
	memset(body, 0, sizeof body);
	rt_le32(body, 0xCE);
	rt_le32(body + 16, 0x10A);
	rt_le32(body + 32, 0xCE);
	rt_le64(body + 40, 1);
	v1(&b);
	rt_ins_rec(&b, V1_OFF_SDE, MIGSTREAM_REC_X86_MSR_POLICY, body, sizeof body);
	{
		t_result *res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, NULL);

		check_finding(res, "POLICY-4", MIGSTREAM_SEV_WARNING, V1_OFF_SDE, 0);
		rt_check_accepted(res);
		free(res);
	}
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_POLICY_4_pass)
{
	uint32_t leaves[130][2];
	tbuf b;

	ck_assert_uint_ge(valid_leaves(leaves, 130), 120);
	v1(&b);
	ins_cpuid(&b, V1_OFF_SDE, (const uint32_t (*)[2])leaves, 120);
	want_pass(&b, NULL, "POLICY-4");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_POLICY_5_break)
{
	uint32_t leaf[1][2] = { { 0x50000000u, 0xFFFFFFFFu } };
	uint32_t sub[1][2] = { { 7, 3 } };
	tbuf b;

	v1(&b);
	ins_cpuid(&b, V1_OFF_SDE, (const uint32_t (*)[2])leaf, 1);
	want_warning(&b, NULL, "POLICY-5", V1_OFF_SDE, 0);
	tb_free(&b);
	v1(&b);
	ins_cpuid(&b, V1_OFF_SDE, (const uint32_t (*)[2])sub, 1);
	want_warning(&b, NULL, "POLICY-5", V1_OFF_SDE, 0);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_POLICY_5_pass)
{
	uint32_t leaves[130][2];
	size_t n = valid_leaves(leaves, 130);
	tbuf b;

	/* Every accepted combination, 62 at a time (POLICY-4 stays quiet). */
	v1(&b);
	ins_cpuid(&b, V1_OFF_SDE, (const uint32_t (*)[2])leaves, 62);
	ins_cpuid(&b, V1_OFF_SDE + 8 + 24 * 62, (const uint32_t (*)[2])(leaves + 62),
	          (uint32_t)(n - 62));
	{
		t_result *res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, NULL);

		rt_check_absent(res, "POLICY-5");
		rt_check_accepted(res);
		free(res);
	}
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_POLICY_6_break)
{
	tbuf b;

	v1(&b);
	ins_msr(&b, V1_OFF_SDE, 0x123, 0);
	want_warning(&b, NULL, "POLICY-6", V1_OFF_SDE, 0);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_POLICY_6_pass)
{
	uint8_t body[32];
	tbuf b;

	memset(body, 0, sizeof body);
	rt_le32(body, 0xCE);
	rt_le32(body + 16, 0x10A);
	v1(&b);
	rt_ins_rec(&b, V1_OFF_SDE, MIGSTREAM_REC_X86_MSR_POLICY, body, sizeof body);
	want_pass(&b, NULL, "POLICY-6");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_POLICY_7_break)
{
	uint32_t leaf[2][2] = { { 0, 0xFFFFFFFFu }, { 0, 0xFFFFFFFFu } };
	uint8_t body[32];
	tbuf b;

	v1(&b);
	ins_cpuid(&b, V1_OFF_SDE, (const uint32_t (*)[2])leaf, 2);
	want_warning(&b, NULL, "POLICY-7", V1_OFF_SDE, 0);
	tb_free(&b);
	memset(body, 0, sizeof body);
	rt_le32(body, 0xCE);
	rt_le32(body + 16, 0xCE);
	v1(&b);
	rt_ins_rec(&b, V1_OFF_SDE, MIGSTREAM_REC_X86_MSR_POLICY, body, sizeof body);
	want_warning(&b, NULL, "POLICY-7", V1_OFF_SDE, 0);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_POLICY_7_pass)
{
	uint32_t leaf[2][2] = { { 4, 0 }, { 4, 1 } };
	tbuf b;

	v1(&b);
	ins_cpuid(&b, V1_OFF_SDE, (const uint32_t (*)[2])leaf, 2);
	want_pass(&b, NULL, "POLICY-7");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_POLICY_8_break)
{
	tbuf b;

	v1(&b);
	want_info(&b, NULL, "POLICY-8", V1_OFF_END, 5, 1);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_POLICY_8_pass)
{
	tbuf b;

	v1(&b);
	ins_msr(&b, V1_OFF_SDE, 0xCE, 0);
	want_pass(&b, NULL, "POLICY-8");
	tb_free(&b);
	v1_version2(&b);                /* version 2: no policy records exist */
	want_pass(&b, NULL, "POLICY-8");
	tb_free(&b);
}
END_TEST

/* ================================================================ CKPT (libxc side) */

START_TEST(test_rule_CKPT_1_break)
{
	static const uint64_t plain[] = { MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_PLAIN, 0 };
	tbuf b;

	v1_checkpoint_at(&b, V1_OFF_END);
	want_error(&b, plain, "CKPT-1", MIGSTREAM_E_SEQUENCE, V1_OFF_END, 5);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_CKPT_1_pass)
{
	static const uint64_t remus[] = { MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_REMUS, 0 };
	tbuf b;

	v1_checkpoint_at(&b, V1_OFF_END);
	want_pass(&b, NULL, "CKPT-1");
	want_pass(&b, remus, "CKPT-1");
	tb_free(&b);
}
END_TEST

/* V1, a CHECKPOINT, then a partial segment (one X86_TSC_INFO) and EOF. */
static void v1_partial_segment(tbuf *b)
{
	v1_checkpoint_at(b, V1_OFF_END);
	b->len = V1_OFF_END + 8;
	rt_copy(b, V1_OFF_TSC, 32, V1_OFF_END + 8);
}

START_TEST(test_rule_CKPT_5_break)
{
	static const uint64_t chan[] = { MIGSTREAM_OPT_CHANNEL, 1, 0 };
	t_result *res;
	tbuf b;
	size_t i;

	v1_partial_segment(&b);
	/* Channel, EOF at a record boundary: failover, warning. */
	res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, chan);
	check_finding(res, "CKPT-5", MIGSTREAM_SEV_WARNING, V1_OFF_END + 40, NOREC);
	rt_check_accepted(res);
	free(res);
	res = rt_run(&b, T_SRC_PIPE, MIGSTREAM_MODE_STRICT, chan);
	check_finding(res, "CKPT-5", MIGSTREAM_SEV_WARNING, V1_OFF_END + 40, NOREC);
	rt_check_accepted(res);
	free(res);
	/* File or buffer: the same EOF is a truncation naming CKPT-5, whose
	 * message names the last complete checkpoint. */
	want_error(&b, NULL, "CKPT-5", MIGSTREAM_E_TRUNCATED, V1_OFF_END + 40, NOREC);
	res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, NULL);
	ck_assert_msg(strstr(res->errmsg, "checkpoint") != NULL, "%s", rt_describe(res));
	free(res);
	for (i = 0; i < N_OTHER_SRCS; i++)
		want_error_src(&b, other_srcs[i], NULL, "CKPT-5", MIGSTREAM_E_TRUNCATED,
		               V1_OFF_END + 40, NOREC);
	/* File, EOF inside the partial segment's record (record 6). */
	b.len = V1_OFF_END + 8 + 12;
	want_error(&b, NULL, "CKPT-5", MIGSTREAM_E_TRUNCATED, V1_OFF_END + 20, 6);
	tb_free(&b);
}
END_TEST

/* rules.md CKPT-5: on a channel, EOF inside a record after a complete
 * checkpoint is a failover too ("at a record boundary or inside a record"). */
START_TEST(test_rule_CKPT_5_break_channel_inside_record)
{
	static const uint64_t chan[] = { MIGSTREAM_OPT_CHANNEL, 1, 0 };
	t_result *res;
	tbuf b;

	v1_partial_segment(&b);
	b.len = V1_OFF_END + 8 + 12;
	res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, chan);
	check_finding(res, "CKPT-5", MIGSTREAM_SEV_WARNING, V1_OFF_END + 20, 6);
	rt_check_accepted(res);
	free(res);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_CKPT_5_pass)
{
	static const uint64_t chan[] = { MIGSTREAM_OPT_CHANNEL, 1, 0 };
	tbuf b;

	v1_checkpoint_at(&b, V1_OFF_END);
	want_pass(&b, chan, "CKPT-5");
	want_pass(&b, NULL, "CKPT-5");
	want_pass_src(&b, T_SRC_PIPE, chan, "CKPT-5");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_CKPT_6_break)
{
	static const uint64_t remus[] = { MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_REMUS, 0 };
	static const uint64_t colo[] = { MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_COLO, 0 };
	tbuf b;

	v1(&b);
	b.len = V1_OFF_END;
	want_error(&b, remus, "CKPT-6", MIGSTREAM_E_TRUNCATED, V1_OFF_END, NOREC);
	want_error(&b, colo, "CKPT-6", MIGSTREAM_E_TRUNCATED, V1_OFF_END, NOREC);
	want_error_src(&b, T_SRC_PIPE, remus, "CKPT-6", MIGSTREAM_E_TRUNCATED, V1_OFF_END, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_CKPT_6_pass)
{
	static const uint64_t remus[] = { MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_REMUS, 0 };
	tbuf b;

	v1_checkpoint_at(&b, V1_OFF_END);
	want_pass(&b, remus, "CKPT-6");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_CKPT_7_break)
{
	tbuf b;

	v1_checkpoint_at(&b, V1_OFF_HVM_PARAMS);        /* HVM_PARAMS after it */
	want_warning(&b, NULL, "CKPT-7", V1_OFF_END + 8, 6);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_CKPT_7_pass)
{
	tbuf b;

	v1_checkpoint_at(&b, V1_OFF_END);
	want_pass(&b, NULL, "CKPT-7");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_CKPT_8_break)
{
	t_result *res;
	tbuf b;

	v1_checkpoint_at(&b, V1_OFF_END);
	rt_ins_rec(&b, V1_OFF_END + 8, 0x80000001u, "hello", 5);
	want_warning(&b, NULL, "CKPT-8", V1_OFF_END + 8, 6);
	res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, NULL);
	rt_check_absent(res, "REC-5");
	free(res);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_CKPT_8_pass)
{
	tbuf b;

	v1_checkpoint_at(&b, V1_OFF_END);
	rt_ins_rec(&b, V1_OFF_END, 0x80000001u, "hello", 5);
	want_pass(&b, NULL, "CKPT-8");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_CKPT_11_break)
{
	static const uint64_t back[] = { MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_COLO_BACK, 0 };
	uint8_t pfns[12] = { 0 };
	tbuf b;

	back_channel(&b, pfns, 12);
	want_error(&b, back, "CKPT-11", MIGSTREAM_E_BODY_LENGTH, 0x30, 0);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_CKPT_11_pass)
{
	static const uint64_t back[] = { MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_COLO_BACK, 0 };
	uint8_t pfns[16] = { 0 };
	tbuf b;

	back_channel(&b, pfns, 16);
	want_pass(&b, back, "CKPT-11");
	tb_free(&b);
	back_channel(&b, NULL, 0);      /* an empty list is valid (k = 0) */
	want_pass(&b, back, "CKPT-11");
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_CKPT_12_break)
{
	static const uint64_t back[] = {
		MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_COLO_BACK, MIGSTREAM_OPT_P2M_SIZE, 0x100000, 0,
	};
	uint8_t pfns[16];
	tbuf b;

	rt_le64(pfns, 5);
	rt_le64(pfns + 8, 0x100000);
	back_channel(&b, pfns, 16);
	want_error(&b, back, "CKPT-12", MIGSTREAM_E_FIELD, 0x30, 0);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_CKPT_12_pass)
{
	static const uint64_t back[] = {
		MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_COLO_BACK, MIGSTREAM_OPT_P2M_SIZE, 0x100000, 0,
	};
	uint8_t pfns[16];
	tbuf b;

	rt_le64(pfns, 5);
	rt_le64(pfns + 8, 0xFFFFF);
	back_channel(&b, pfns, 16);
	want_pass(&b, back, "CKPT-12");
	tb_free(&b);
}
END_TEST

/* ================================================================ COMPAT */

/* Table rows (below): passing COMPAT-1, COMPAT-2, COMPAT-3. */

START_TEST(test_rule_COMPAT_1_break)
{
	t_result *res;
	tbuf b;
	int m;

	/* Empty HVM_PARAMS from Xen 4.20: a warning, accepted in every mode. */
	v1_params(&b, 0, NULL);
	want_warning(&b, NULL, "COMPAT-1", V1_OFF_HVM_PARAMS, 4);
	/* From Xen 4.7 (a named producer): info. */
	rt_p32(&b, 0x24, 7);
	res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, NULL);
	check_finding(res, "COMPAT-1", MIGSTREAM_SEV_INFO, V1_OFF_HVM_PARAMS, 4);
	rt_check_accepted(res);
	free(res);
	tb_free(&b);
	/* Empty EXTENDED, XSAVE and MSRS contexts. */
	for (m = 0; m < 3; m++) {
		static const uint32_t types[3] = {
			MIGSTREAM_REC_X86_PV_VCPU_EXTENDED, MIGSTREAM_REC_X86_PV_VCPU_XSAVE,
			MIGSTREAM_REC_X86_PV_VCPU_MSRS,
		};

		v2(&b);
		ins_vcpu(&b, V2_OFF_END, types[m], 0, NULL, 0);
		want_warning(&b, NULL, "COMPAT-1", V2_OFF_END, 7);
		tb_free(&b);
	}
}
END_TEST

/* rules.md 1.1: in strict mode a compat finding is reported as a warning
 * even for a named producer ("accepted, reported as a warning"). */
START_TEST(test_rule_COMPAT_1_break_strict_named_producer)
{
	t_result *res;
	tbuf b;

	v1_params(&b, 0, NULL);
	rt_p32(&b, 0x24, 7);               /* Xen 4.7 */
	res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_STRICT, NULL);
	check_finding(res, "COMPAT-1", MIGSTREAM_SEV_WARNING, V1_OFF_HVM_PARAMS, 4);
	rt_check_accepted(res);
	free(res);
	tb_free(&b);
}
END_TEST

/* COMPAT-2 (info): version-2 images are fully supported: accepted with
 * STATIC_DATA_END inferred (ORDER-7), and the fact is reported at info level. */
START_TEST(test_rule_COMPAT_2_break)
{
	t_result *res;
	tbuf b;

	v1_version2(&b);
	res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_STRICT, NULL);
	rt_check_accepted(res);
	ck_assert_msg(t_count(&res->diags, MIGSTREAM_SEV_WARNING) == 0, "%s", rt_describe(res));
	ck_assert_msg(t_find(&res->diags, "ORDER-7", MIGSTREAM_SEV_INFO) != NULL, "%s",
	              rt_describe(res));
	free(res);
	want_info(&b, NULL, "COMPAT-2", 12, NOREC, 1);
	tb_free(&b);
}
END_TEST

/* COMPAT-3 (info): a converted legacy image (version 2, xen_major 0) with
 * XALLOC pages, two HVM_PARAMS before HVM_CONTEXT and no CPU policy: none
 * of it above info level. */
static void v1_converted(tbuf *b)
{
	v1_version2(b);
	rt_p32(b, 0x20, 0);                /* xen_major 0 */
	rt_p32(b, 0x24, 1);                /* converter version 1 */
	/* After deleting STATIC_DATA_END, every V1 offset moved down by 8. */
	rt_p8(b, V1_PFN1 - 8 + 7, 0xE0);   /* XALLOC */
	rt_copy(b, V1_OFF_HVM_PARAMS - 8, 32, V1_OFF_HVM_CTX - 8);
	rt_copy(b, V1_OFF_HVM_PARAMS - 8 + 32, 32, V1_OFF_HVM_CTX - 8);
	tb_delete(b, V1_OFF_HVM_PARAMS - 8 + 64, 32);
}

START_TEST(test_rule_COMPAT_3_break)
{
	t_result *res;
	tbuf b;

	v1_converted(&b);
	res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_STRICT, NULL);
	rt_check_accepted(res);
	ck_assert_msg(t_count(&res->diags, MIGSTREAM_SEV_WARNING) == 0, "%s", rt_describe(res));
	ck_assert_msg(t_find(&res->diags, "DHDR-6", MIGSTREAM_SEV_INFO) != NULL, "%s",
	              rt_describe(res));
	ck_assert_msg(t_find(&res->diags, "COMPAT-3", MIGSTREAM_SEV_INFO) != NULL,
	              "no COMPAT-3 info for a converted image; %s", rt_describe(res));
	free(res);
	tb_free(&b);
}
END_TEST

/* ================================================================ LEGACY */

/* Table rows (below): passing LEGACY-1, LEGACY-2. */

/* A legacy stream's first octets: p2m_size, then a batch count of -1. */
static void legacy_stream(tbuf *b, int bits32)
{
	tb_init(b);
	tb_le32(b, 0x00100000u);        /* p2m_size */
	tb_le32(b, bits32 ? 0xFFFFFFFFu : 0);
	tb_le32(b, 0xFFFFFFFFu);
	tb_zero(b, 52);
}

START_TEST(test_rule_LEGACY_1_break)
{
	tbuf b;
	size_t i;

	legacy_stream(&b, 0);
	want_error(&b, NULL, "LEGACY-1", MIGSTREAM_E_LEGACY, 0, NOREC);
	for (i = 0; i < N_OTHER_SRCS; i++)
		want_error_src(&b, other_srcs[i], NULL, "LEGACY-1", MIGSTREAM_E_LEGACY, 0, NOREC);
	tb_free(&b);
	legacy_stream(&b, 1);           /* a 32-bit toolstack */
	want_error(&b, NULL, "LEGACY-1", MIGSTREAM_E_LEGACY, 0, NOREC);
	tb_free(&b);
	v1(&b);                         /* one octet of the marker off: a bad v2 marker */
	rt_p8(&b, 7, 0xFE);
	want_error(&b, NULL, "IHDR-2", MIGSTREAM_E_BAD_MAGIC, 0, NOREC);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LEGACY_2_break)
{
	t_result *res;
	tbuf b;

	legacy_stream(&b, 0);
	want_info(&b, NULL, "LEGACY-2", 0, NOREC, 0);
	res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, NULL);
	ck_assert_msg(strstr(t_find(&res->diags, "LEGACY-2", -1)->message, "64-bit") != NULL,
	              "%s", t_find(&res->diags, "LEGACY-2", -1)->message);
	free(res);
	tb_free(&b);
	legacy_stream(&b, 1);
	want_info(&b, NULL, "LEGACY-2", 0, NOREC, 0);
	res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, NULL);
	ck_assert_msg(strstr(t_find(&res->diags, "LEGACY-2", -1)->message, "32-bit") != NULL,
	              "%s", t_find(&res->diags, "LEGACY-2", -1)->message);
	free(res);
	tb_free(&b);
}
END_TEST

/* An xl save-file header (little-endian) without config. */
static void xl_header(tbuf *b, uint32_t mandatory_flags)
{
	static const uint8_t magic[32] = "Xen saved domain, xl format\n \0 \r";

	tb_init(b);
	tb_bytes(b, magic, sizeof magic);
	tb_le32(b, 0x01020304u);        /* byteorder */
	tb_le32(b, mandatory_flags);
	tb_le32(b, 0);                  /* optional_flags */
	tb_le32(b, 0);                  /* optional_data_len */
}

/*
 * LEGACY-3: a legacy stream inside an xl file (STREAMv2 clear) is reported
 * once, by XL-13, not by LEGACY-1.  XL-13 comes with the xl layer; until
 * then the library refuses xl files as unsupported, and must not call the
 * file a bare legacy stream.
 */
START_TEST(test_rule_LEGACY_3_break)
{
	t_result *res;
	tbuf b, legacy;

	xl_header(&b, 0x1);             /* JSON only: STREAMv2 clear */
	legacy_stream(&legacy, 0);
	tb_bytes(&b, legacy.data, legacy.len);
	tb_free(&legacy);
	res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, NULL);
	/* Today: MIGSTREAM_E_UNSUPPORTED; with the xl layer: error XL-13. */
	ck_assert_msg(res->rc == MIGSTREAM_E_UNSUPPORTED ||
	              (res->rc < 0 && strcmp(res->err_rule, "XL-13") == 0), "%s", rt_describe(res));
	rt_check_absent(res, "LEGACY-1");
	rt_check_absent(res, "LEGACY-2");
	free(res);
	tb_free(&b);
}
END_TEST

START_TEST(test_rule_LEGACY_3_pass)
{
	t_result *res;
	tbuf b, v;

	xl_header(&b, 0x2);             /* STREAMv2: a libxl stream follows */
	tb_bytes(&b, "LibxlFmt", 8);
	tb_be32(&b, 2);
	tb_be32(&b, 0);
	tb_le32(&b, MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT);
	tb_le32(&b, 0);
	v1(&v);
	tb_bytes(&b, v.data, v.len);
	tb_free(&v);
	tb_le64(&b, 0);                 /* libxl END */
	res = rt_run(&b, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, NULL);
	ck_assert_msg(res->rc == MIGSTREAM_E_UNSUPPORTED || res->rc == MIGSTREAM_EOF, "%s",
	              rt_describe(res));
	rt_check_absent(res, "LEGACY-1");
	rt_check_absent(res, "LEGACY-3");
	free(res);
	tb_free(&b);
}
END_TEST

/* ================================================================ tables */

/*
 * Rule tests of the same shape, one row per rule, run as loop tests in
 * their family's TCase (rows of one family are consecutive).  rules.sh
 * counts a PASS_ROW as that rule's pass test and a BREAK_ROW as its break
 * test, and rules_suite() fails unless every row is run.
 */

/* Pass: the base stream as it stands (V1, V2 or V1 as a version-2 image)
 * is accepted and nothing is reported under the rule. */
struct pass_row {
	const char *rule;
	void (*base)(tbuf *b);
};
#define PASS_ROW(rule, base) { rule, base }

static const struct pass_row pass_rows[] = {
	PASS_ROW("IHDR-1", v1),
	PASS_ROW("IHDR-3", v1),
	PASS_ROW("IHDR-5", v1),
	PASS_ROW("IHDR-6", v1),
	PASS_ROW("IHDR-7", v1),
	PASS_ROW("IHDR-8", v1),

	PASS_ROW("DHDR-1", v1),
	PASS_ROW("DHDR-3", v1),
	PASS_ROW("DHDR-4", v1),
	PASS_ROW("DHDR-6", v1),

	PASS_ROW("REC-5", v1),
	PASS_ROW("REC-7", v1),
	PASS_ROW("REC-9", v1),
	PASS_ROW("REC-10", v1_version2),

	PASS_ROW("ORDER-2", v1),
	PASS_ROW("ORDER-3", v1),
	PASS_ROW("ORDER-5", v1),
	PASS_ROW("ORDER-7", v1),
	PASS_ROW("ORDER-10", v2),

	PASS_ROW("PAGE-1", v1),
	PASS_ROW("PAGE-2", v1),
	PASS_ROW("PAGE-3", v1),
	PASS_ROW("PAGE-4", v1),
	PASS_ROW("PAGE-7", v1),
	PASS_ROW("PAGE-8", v2),
	PASS_ROW("PAGE-9", v1),

	PASS_ROW("PV-1", v2),
	PASS_ROW("PV-2", v2),
	PASS_ROW("PV-3", v2),
	PASS_ROW("PV-4", v2),
	PASS_ROW("PV-5", v2),
	PASS_ROW("PV-6", v2),
	PASS_ROW("PV-7", v2),
	PASS_ROW("PV-8", v2),
	PASS_ROW("PV-9", v2),
	PASS_ROW("PV-10", v2),
	PASS_ROW("PV-11", v2),
	PASS_ROW("PV-12", v2),
	PASS_ROW("PV-13", v2),
	PASS_ROW("PV-15", v2),
	PASS_ROW("PV-16", v2),
	PASS_ROW("PV-25", v2),
	PASS_ROW("PV-26", v2),
	PASS_ROW("PV-27", v2),
	PASS_ROW("PV-28", v2),

	PASS_ROW("HVM-1", v1),
	PASS_ROW("HVM-4", v1),
	PASS_ROW("HVM-5", v1),
	PASS_ROW("HVM-6", v1),
	PASS_ROW("HVM-8", v1),
	PASS_ROW("HVM-10", v1),
	/* 0xfeffc was received */
	PASS_ROW("HVM-11", v1),
	PASS_ROW("HVM-12", v1),
	PASS_ROW("HVM-13", v1),
	PASS_ROW("HVM-14", v1),
	PASS_ROW("HVM-17", v1),

	PASS_ROW("TSC-1", v1),
	PASS_ROW("TSC-2", v1),
	PASS_ROW("TSC-6", v1),

	PASS_ROW("COMPAT-1", v1),
	PASS_ROW("COMPAT-2", v1),
	PASS_ROW("COMPAT-3", v1),

	PASS_ROW("LEGACY-1", v1),
	PASS_ROW("LEGACY-2", v1),
};
#define N_PASS_ROWS (sizeof pass_rows / sizeof pass_rows[0])

START_TEST(test_rule_pass_row)
{
	const struct pass_row *row = &pass_rows[_i];
	tbuf b;

	row->base(&b);
	want_pass(&b, NULL, row->rule);
	tb_free(&b);
}
END_TEST

/* Break: the base stream with one little-endian field of width octets at
 * offset at set to value breaks the rule; the finding has the severity
 * want, the status code (error, warning/S; else 0), the offset and the
 * record ordinal of the row (info findings: the stream is accepted). */
enum want { WANT_ERROR, WANT_WS, WANT_WARNING, WANT_INFO };

struct break_row {
	const char *rule;
	void (*base)(tbuf *b);
	size_t at;
	unsigned width;
	uint64_t value;
	enum want want;
	int code;
	uint64_t off, idx;
};
#define BREAK_ROW(rule, base, at, width, value, want, code, off, idx) \
	{ rule, base, at, width, value, WANT_##want, code, off, idx }

static const struct break_row break_rows[] = {
	/* "XENG" */
	BREAK_ROW("IHDR-3", v1, 0x0B, 1, 'G',
	          ERROR, MIGSTREAM_E_BAD_MAGIC, 8, NOREC),

	BREAK_ROW("DHDR-3", v1, 0x1C, 1, 13,
	          ERROR, MIGSTREAM_E_HEADER, 28, NOREC),
	BREAK_ROW("DHDR-4", v1, 0x1E, 1, 0x01,
	          WS, MIGSTREAM_E_RESERVED, 30, NOREC),
	/* xen_major 0: legacy converter */
	BREAK_ROW("DHDR-6", v1, 0x20, 4, 0,
	          INFO, 0, 32, NOREC),

	BREAK_ROW("REC-10", v1, 0x0F, 1, 2,
	          ERROR, MIGSTREAM_E_UNKNOWN_MANDATORY, V1_OFF_SDE, 0),

	/* 8 + 8000 > 4120 */
	BREAK_ROW("PAGE-3", v1, V1_PD_BODY, 4, 1000,
	          ERROR, MIGSTREAM_E_BODY_LENGTH, V1_OFF_PAGE_DATA, 1),
	BREAK_ROW("PAGE-4", v1, V1_PD_BODY + 4, 1, 0x01,
	          WS, MIGSTREAM_E_RESERVED, V1_OFF_PAGE_DATA, 1),
	/* XTAB -> NOTAB: a second page is missing */
	BREAK_ROW("PAGE-7", v1, V1_PFN1 + 7, 1, 0x00,
	          ERROR, MIGSTREAM_E_BODY_LENGTH, V1_OFF_PAGE_DATA, 1),
	/* max_pfn is 2 */
	BREAK_ROW("PAGE-8", v2, V2_PFN2_ENTRY, 1, 3,
	          ERROR, MIGSTREAM_E_FIELD, V2_OFF_PAGE_DATA, 3),
	/* XTAB for pfn 0xfeffc again */
	BREAK_ROW("PAGE-9", v1, V1_PFN1, 8, 0xF0000000000FEFFCull,
	          WARNING, 0, V1_OFF_PAGE_DATA, 1),
	/* XALLOC, producer Xen 4.20 */
	BREAK_ROW("PAGE-11", v1, V1_PFN1 + 7, 1, 0xE0,
	          WARNING, 0, V1_OFF_PAGE_DATA, 1),

	/* body 4 + 4 octets of (zero) padding */
	BREAK_ROW("PV-1", v2, V2_OFF_PV_INFO + 4, 4, 4,
	          ERROR, MIGSTREAM_E_BODY_LENGTH, V2_OFF_PV_INFO, 0),
	BREAK_ROW("PV-4", v2, 0x37, 1, 0x01,
	          WS, MIGSTREAM_E_RESERVED, V2_OFF_PV_INFO, 0),
	/* start 3 > end 2 */
	BREAK_ROW("PV-8", v2, V2_P2M_BODY, 4, 3,
	          ERROR, MIGSTREAM_E_FIELD, V2_OFF_P2M, 2),
	/* I5 */
	BREAK_ROW("PV-9", v2, V2_P2M_BODY + 4, 4, 1023,
	          ERROR, MIGSTREAM_E_BODY_LENGTH, V2_OFF_P2M, 2),
	BREAK_ROW("PV-13", v2, V2_OFF_BASIC + 12, 1, 0x01,
	          WS, MIGSTREAM_E_RESERVED, V2_OFF_BASIC, 6),

	BREAK_ROW("HVM-5", v1, V1_PARAMS_BODY, 4, 2,
	          ERROR, MIGSTREAM_E_BODY_LENGTH, V1_OFF_HVM_PARAMS, 4),
	BREAK_ROW("HVM-6", v1, V1_PARAMS_BODY + 4, 1, 0x01,
	          WS, MIGSTREAM_E_RESERVED, V1_OFF_HVM_PARAMS, 4),
	BREAK_ROW("HVM-7", v1, V1_PARAMS_BODY + 8, 8, 39,
	          WARNING, 0, V1_OFF_HVM_PARAMS, 4),
	BREAK_ROW("HVM-8", v1, V1_PARAMS_BODY + 8, 8, 4,
	          INFO, 0, V1_OFF_HVM_PARAMS, 4),
	BREAK_ROW("HVM-11", v1, V1_PARAMS_BODY + 16, 8, 0x12345,
	          WARNING, 0, V1_OFF_HVM_PARAMS, 4),
	/* END's payload runs past the blob */
	BREAK_ROW("HVM-13", v1, V1_CTX_END_DESC + 4, 1, 8,
	          ERROR, MIGSTREAM_E_FIELD, V1_OFF_HVM_CTX, 3),
	/* END descriptor becomes typecode 3 */
	BREAK_ROW("HVM-14", v1, V1_CTX_END_DESC, 1, 3,
	          ERROR, MIGSTREAM_E_FIELD, V1_OFF_HVM_CTX, 3),

	BREAK_ROW("TSC-2", v1, V1_OFF_TSC + 8 + 20, 1, 0x01,
	          WS, MIGSTREAM_E_RESERVED, V1_OFF_TSC, 2),
	BREAK_ROW("TSC-3", v1, V1_OFF_TSC + 8, 1, 3,
	          WARNING, 0, V1_OFF_TSC, 2),
	BREAK_ROW("TSC-4", v1, V1_OFF_TSC + 8, 1, 4,
	          ERROR, MIGSTREAM_E_FIELD, V1_OFF_TSC, 2),
};
#define N_BREAK_ROWS (sizeof break_rows / sizeof break_rows[0])

START_TEST(test_rule_break_row)
{
	const struct break_row *row = &break_rows[_i];
	tbuf b;

	row->base(&b);
	switch (row->width) {
	case 1:
		rt_p8(&b, row->at, (uint8_t)row->value);
		break;
	case 4:
		rt_p32(&b, row->at, (uint32_t)row->value);
		break;
	default:
		ck_assert_uint_eq(row->width, 8);
		rt_p64(&b, row->at, row->value);
		break;
	}
	switch (row->want) {
	case WANT_ERROR:
		want_error(&b, NULL, row->rule, row->code, row->off, row->idx);
		break;
	case WANT_WS:
		want_ws(&b, NULL, row->rule, row->code, row->off, row->idx);
		break;
	case WANT_WARNING:
		want_warning(&b, NULL, row->rule, row->off, row->idx);
		break;
	case WANT_INFO:
		want_info(&b, NULL, row->rule, row->off, row->idx, 1);
		break;
	}
	tb_free(&b);
}
END_TEST

/* The TCase of a rule family, with its table rows as loop tests; *rows
 * counts the rows added. */
static TCase *family(Suite *s, const char *name, size_t *rows)
{
	TCase *tc = tcase_create(name);
	int lo, hi;

	tcase_set_timeout(tc, 120);
	for (lo = 0; lo < (int)N_PASS_ROWS && !rt_in_family(pass_rows[lo].rule, name); lo++)
		;
	for (hi = lo; hi < (int)N_PASS_ROWS && rt_in_family(pass_rows[hi].rule, name); hi++)
		;
	if (hi > lo)
		tcase_add_loop_test(tc, test_rule_pass_row, lo, hi);
	*rows += (size_t)(hi - lo);
	for (lo = 0; lo < (int)N_BREAK_ROWS && !rt_in_family(break_rows[lo].rule, name); lo++)
		;
	for (hi = lo; hi < (int)N_BREAK_ROWS && rt_in_family(break_rows[hi].rule, name); hi++)
		;
	if (hi > lo)
		tcase_add_loop_test(tc, test_rule_break_row, lo, hi);
	*rows += (size_t)(hi - lo);
	suite_add_tcase(s, tc);
	return tc;
}

/* ================================================================ suite */

static Suite *rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc;
	size_t rows = 0;

	tc = family(s, "IHDR", &rows);
	tcase_add_test(tc, test_rule_IHDR_1_break);
	tcase_add_test(tc, test_rule_IHDR_2_break);
	tcase_add_test(tc, test_rule_IHDR_2_pass);
	tcase_add_test(tc, test_rule_IHDR_4_break);
	tcase_add_test(tc, test_rule_IHDR_4_pass);
	tcase_add_test(tc, test_rule_IHDR_5_break);
	tcase_add_test(tc, test_rule_IHDR_6_break);
	tcase_add_test(tc, test_rule_IHDR_7_break);
	tcase_add_test(tc, test_rule_IHDR_8_break);

	tc = family(s, "DHDR", &rows);
	tcase_add_test(tc, test_rule_DHDR_1_break);
	tcase_add_test(tc, test_rule_DHDR_2_break);
	tcase_add_test(tc, test_rule_DHDR_2_pass);
	tcase_add_test(tc, test_rule_DHDR_5_break);
	tcase_add_test(tc, test_rule_DHDR_5_pass);
	tcase_add_test(tc, test_rule_DHDR_7_break);
	tcase_add_test(tc, test_rule_DHDR_7_pass);

	tc = family(s, "REC", &rows);
	tcase_add_test(tc, test_rule_REC_1_break);
	tcase_add_test(tc, test_rule_REC_1_pass);
	tcase_add_test(tc, test_rule_REC_2_break);
	tcase_add_test(tc, test_rule_REC_2_pass);
	tcase_add_test(tc, test_rule_REC_3_break);
	tcase_add_test(tc, test_rule_REC_3_pass);
	tcase_add_test(tc, test_rule_REC_4_break);
	tcase_add_test(tc, test_rule_REC_4_pass);
	tcase_add_test(tc, test_rule_REC_5_break);
	tcase_add_test(tc, test_rule_REC_6_break);
	tcase_add_test(tc, test_rule_REC_6_pass);
	tcase_add_test(tc, test_rule_REC_7_break);
	tcase_add_test(tc, test_rule_REC_8_break);
	tcase_add_test(tc, test_rule_REC_8_pass);
	tcase_add_test(tc, test_rule_REC_9_break);
	tcase_add_test(tc, test_rule_REC_11_break);
	tcase_add_test(tc, test_rule_REC_11_pass);

	tc = family(s, "ORDER", &rows);
	tcase_add_test(tc, test_rule_ORDER_1_break);
	tcase_add_test(tc, test_rule_ORDER_1_pass);
	tcase_add_test(tc, test_rule_ORDER_2_break);
	tcase_add_test(tc, test_rule_ORDER_3_break);
	tcase_add_test(tc, test_rule_ORDER_4_break);
	tcase_add_test(tc, test_rule_ORDER_4_pass);
	tcase_add_test(tc, test_rule_ORDER_5_break);
	tcase_add_test(tc, test_rule_ORDER_6_break);
	tcase_add_test(tc, test_rule_ORDER_6_pass);
	tcase_add_test(tc, test_rule_ORDER_7_break);
	tcase_add_test(tc, test_rule_ORDER_8_break);
	tcase_add_test(tc, test_rule_ORDER_8_pass);
	tcase_add_test(tc, test_rule_ORDER_9_break);
	tcase_add_test(tc, test_rule_ORDER_9_pass);
	tcase_add_test(tc, test_rule_ORDER_10_break);
	tcase_add_test(tc, test_rule_ORDER_11_break);
	tcase_add_test(tc, test_rule_ORDER_11_pass);
	tcase_add_test(tc, test_rule_ORDER_12_break);
	tcase_add_test(tc, test_rule_ORDER_12_pass);

	tc = family(s, "PAGE", &rows);
	tcase_add_test(tc, test_rule_PAGE_1_break);
	tcase_add_test(tc, test_rule_PAGE_2_break);
	tcase_add_test(tc, test_rule_PAGE_5_break);
	tcase_add_test(tc, test_rule_PAGE_5_pass);
	tcase_add_test(tc, test_rule_PAGE_6_break);
	tcase_add_test(tc, test_rule_PAGE_6_pass);
	tcase_add_test(tc, test_rule_PAGE_10_break);
	tcase_add_test(tc, test_rule_PAGE_10_pass);
	tcase_add_test(tc, test_rule_PAGE_11_pass);
	tcase_add_test(tc, test_rule_PAGE_12_break);
	tcase_add_test(tc, test_rule_PAGE_12_pass);

	tc = family(s, "PV", &rows);
	tcase_add_test(tc, test_rule_PV_2_break);
	tcase_add_test(tc, test_rule_PV_3_break);
	tcase_add_test(tc, test_rule_PV_5_break);
	tcase_add_test(tc, test_rule_PV_6_break);
	tcase_add_test(tc, test_rule_PV_7_break);
	tcase_add_test(tc, test_rule_PV_10_break);
	tcase_add_test(tc, test_rule_PV_11_break);
	tcase_add_test(tc, test_rule_PV_12_break);
	tcase_add_test(tc, test_rule_PV_14_break);
	tcase_add_test(tc, test_rule_PV_14_pass);
	tcase_add_test(tc, test_rule_PV_15_break);
	tcase_add_test(tc, test_rule_PV_16_break);
	tcase_add_test(tc, test_rule_PV_17_break);
	tcase_add_test(tc, test_rule_PV_17_pass);
	tcase_add_test(tc, test_rule_PV_18_break);
	tcase_add_test(tc, test_rule_PV_18_pass);
	tcase_add_test(tc, test_rule_PV_19_break);
	tcase_add_test(tc, test_rule_PV_19_pass);
	tcase_add_test(tc, test_rule_PV_20_break);
	tcase_add_test(tc, test_rule_PV_20_pass);
	tcase_add_test(tc, test_rule_PV_21_break);
	tcase_add_test(tc, test_rule_PV_21_pass);
	tcase_add_test(tc, test_rule_PV_22_break);
	tcase_add_test(tc, test_rule_PV_22_pass);
	tcase_add_test(tc, test_rule_PV_23_break);
	tcase_add_test(tc, test_rule_PV_23_pass);
	tcase_add_test(tc, test_rule_PV_24_break);
	tcase_add_test(tc, test_rule_PV_24_pass);
	tcase_add_test(tc, test_rule_PV_25_break);
	tcase_add_test(tc, test_rule_PV_26_break);
	tcase_add_test(tc, test_rule_PV_27_break);
	tcase_add_test(tc, test_rule_PV_28_break);
	tcase_add_test(tc, test_rule_PV_29_break);
	tcase_add_test(tc, test_rule_PV_29_pass);
	tcase_add_test(tc, test_rule_PV_30_break);
	tcase_add_test(tc, test_rule_PV_30_pass);
	tcase_add_test(tc, test_rule_PV_31_break);
	tcase_add_test(tc, test_rule_PV_31_pass);
	tcase_add_test(tc, test_rule_PV_32_break);
	tcase_add_test(tc, test_rule_PV_32_pass);

	tc = family(s, "HVM", &rows);
	tcase_add_test(tc, test_rule_HVM_1_break);
	tcase_add_test(tc, test_rule_HVM_2_break);
	tcase_add_test(tc, test_rule_HVM_2_pass);
	tcase_add_test(tc, test_rule_HVM_3_break);
	tcase_add_test(tc, test_rule_HVM_3_pass);
	tcase_add_test(tc, test_rule_HVM_4_break);
	tcase_add_test(tc, test_rule_HVM_7_pass);
	tcase_add_test(tc, test_rule_HVM_9_break);
	tcase_add_test(tc, test_rule_HVM_9_pass);
	tcase_add_test(tc, test_rule_HVM_10_break);
	tcase_add_test(tc, test_rule_HVM_12_break);
	tcase_add_test(tc, test_rule_HVM_15_break);
	tcase_add_test(tc, test_rule_HVM_15_pass);
	tcase_add_test(tc, test_rule_HVM_16_break);
	tcase_add_test(tc, test_rule_HVM_16_pass);
	tcase_add_test(tc, test_rule_HVM_17_break);
	tcase_add_test(tc, test_rule_HVM_18_break);
	tcase_add_test(tc, test_rule_HVM_18_pass);

	tc = family(s, "TSC", &rows);
	tcase_add_test(tc, test_rule_TSC_1_break);
	tcase_add_test(tc, test_rule_TSC_3_pass);
	tcase_add_test(tc, test_rule_TSC_4_pass);
	tcase_add_test(tc, test_rule_TSC_5_break);
	tcase_add_test(tc, test_rule_TSC_5_pass);
	tcase_add_test(tc, test_rule_TSC_6_break);

	tc = family(s, "POLICY", &rows);
	tcase_add_test(tc, test_rule_POLICY_1_break);
	tcase_add_test(tc, test_rule_POLICY_1_pass);
	tcase_add_test(tc, test_rule_POLICY_2_break);
	tcase_add_test(tc, test_rule_POLICY_2_pass);
	tcase_add_test(tc, test_rule_POLICY_3_break);
	tcase_add_test(tc, test_rule_POLICY_3_pass);
	tcase_add_test(tc, test_rule_POLICY_4_break);
	tcase_add_test(tc, test_rule_POLICY_4_pass);
	tcase_add_test(tc, test_rule_POLICY_5_break);
	tcase_add_test(tc, test_rule_POLICY_5_pass);
	tcase_add_test(tc, test_rule_POLICY_6_break);
	tcase_add_test(tc, test_rule_POLICY_6_pass);
	tcase_add_test(tc, test_rule_POLICY_7_break);
	tcase_add_test(tc, test_rule_POLICY_7_pass);
	tcase_add_test(tc, test_rule_POLICY_8_break);
	tcase_add_test(tc, test_rule_POLICY_8_pass);

	tc = family(s, "CKPT", &rows);
	tcase_add_test(tc, test_rule_CKPT_1_break);
	tcase_add_test(tc, test_rule_CKPT_1_pass);
	tcase_add_test(tc, test_rule_CKPT_5_break);
	tcase_add_test(tc, test_rule_CKPT_5_break_channel_inside_record);
	tcase_add_test(tc, test_rule_CKPT_5_pass);
	tcase_add_test(tc, test_rule_CKPT_6_break);
	tcase_add_test(tc, test_rule_CKPT_6_pass);
	tcase_add_test(tc, test_rule_CKPT_7_break);
	tcase_add_test(tc, test_rule_CKPT_7_pass);
	tcase_add_test(tc, test_rule_CKPT_8_break);
	tcase_add_test(tc, test_rule_CKPT_8_pass);
	tcase_add_test(tc, test_rule_CKPT_11_break);
	tcase_add_test(tc, test_rule_CKPT_11_pass);
	tcase_add_test(tc, test_rule_CKPT_12_break);
	tcase_add_test(tc, test_rule_CKPT_12_pass);

	tc = family(s, "COMPAT", &rows);
	tcase_add_test(tc, test_rule_COMPAT_1_break);
	tcase_add_test(tc, test_rule_COMPAT_1_break_strict_named_producer);
	tcase_add_test(tc, test_rule_COMPAT_2_break);
	tcase_add_test(tc, test_rule_COMPAT_3_break);

	tc = family(s, "LEGACY", &rows);
	tcase_add_test(tc, test_rule_LEGACY_1_break);
	tcase_add_test(tc, test_rule_LEGACY_2_break);
	tcase_add_test(tc, test_rule_LEGACY_3_break);
	tcase_add_test(tc, test_rule_LEGACY_3_pass);

	if (rows != N_PASS_ROWS + N_BREAK_ROWS) {
		fprintf(stderr, "check_rules: %zu of the %zu table rows are in a family TCase\n",
		        rows, N_PASS_ROWS + N_BREAK_ROWS);
		exit(1);
	}
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rules_suite());
	int failures;

	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
