/*
 * check_pages.c: the deep checks that read page contents (PV-29's
 * start_info page, PV-32's page tables) give the same findings whatever
 * the source: memory and regular files read back the one start_info page
 * they need, pipes and callbacks see every page pass.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Test library only (lib/pages.c): index at most n PAGE_DATA records. */
void migstream__test_page_index_max(size_t n);

/* Offsets in vectors.md V2 (PV, 64-bit, 21744 octets). */
#define V2_OFF_PAGE_DATA 0x58u
#define V2_PAGE1         0x1080u   /* contents of pfn 1 (L4, pinned) */
#define V2_PAGE2         0x2080u   /* contents of pfn 2 (start_info) */
#define V2_OFF_TSC       0x3080u
#define V2_OFF_END       0x54E8u
#define SI_STORE         56u       /* start_info.store_mfn (64-bit) */

static void put64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* start_info contents: the magic (or none) and store_mfn. */
static void start_info(uint8_t *page, int magic, uint64_t store)
{
	memset(page, 0, 4096);
	if (magic)
		memcpy(page, "xen-3.0-x86_64", 14);
	put64(page + SI_STORE, store);
}

/* V2 with pfn 2's page as given, then a second PAGE_DATA before
 * X86_TSC_INFO carrying pfn 2 again `copies` times (the last copy last). */
static size_t two_records(tbuf *b, int magic1, uint64_t store1, int magic2, uint64_t store2,
                          unsigned copies)
{
	size_t len = 8 + 8 + 8 * (size_t)copies + 4096 * (size_t)copies, i;
	uint8_t *rec = calloc(1, len);

	ck_assert_ptr_nonnull(rec);
	tb_init(b);
	tb_vector_v2(b);
	start_info(b->data + V2_PAGE2, magic1, store1);
	rec[0] = 0x01;                                  /* PAGE_DATA, little-endian */
	put64(rec + 4, len - 8);                        /* body_length (4 octets) */
	rec[8] = (uint8_t)copies;                       /* count; reserved 0 */
	memset(rec + 12, 0, 4);
	for (i = 0; i < copies; i++)
		put64(rec + 16 + 8 * i, 2);                 /* NOTAB pfn 2 */
	for (i = 0; i < copies; i++) {
		/* Earlier copies carry the other contents: the last one wins. */
		uint8_t *pg = rec + 16 + 8 * copies + 4096 * i;
		if (i + 1 == copies)
			start_info(pg, magic2, store2);
		else
			start_info(pg, magic1, store1);
	}
	tb_insert(b, V2_OFF_TSC, rec, len);
	free(rec);
	return len;
}

static t_result *run(const tbuf *b, int src)
{
	t_result *res = calloc(1, sizeof *res);

	ck_assert_ptr_nonnull(res);
	t_read_all(res, b->data, b->len, src, MIGSTREAM_MODE_RESTORE, NULL);
	return res;
}

/* Every source reports what memory reports: the outcome, and the same
 * findings (rule, severity, offset, record) in the same order. */
static t_result *same_everywhere(const tbuf *b)
{
	t_result *mem = run(b, T_SRC_MEMORY);

	for (int src = 1; src < T_SRC_COUNT; src++) {
		t_result *res = run(b, src);

		ck_assert_msg(res->rc == mem->rc, "%s: rc %d, memory %d", t_src_name(src), res->rc, mem->rc);
		ck_assert_str_eq(res->err_rule, mem->err_rule);
		ck_assert_uint_eq(res->diags.n, mem->diags.n);
		for (size_t i = 0; i < mem->diags.n; i++) {
			const t_diag *a = &res->diags.d[i], *m = &mem->diags.d[i];
			ck_assert_msg(strcmp(a->rule, m->rule) == 0 && a->severity == m->severity &&
			              a->offset == m->offset && a->record_index == m->record_index,
			              "%s: finding %zu is %s at 0x%llx, memory has %s at 0x%llx", t_src_name(src),
			              i, a->rule, (unsigned long long)a->offset, m->rule,
			              (unsigned long long)m->offset);
		}
		free(res);
	}
	return mem;
}

static void want(const tbuf *b, const char *rule, uint64_t off)
{
	t_result *res = same_everywhere(b);

	if (rule) {
		ck_assert_msg(res->rc == MIGSTREAM_E_CONSISTENCY, "rc %d (%s)", res->rc, res->errmsg);
		ck_assert_str_eq(res->err_rule, rule);
		ck_assert_uint_eq(res->err.offset, off);
	} else {
		ck_assert_msg(res->rc == MIGSTREAM_EOF, "rc %d (%s)", res->rc, res->errmsg);
		ck_assert_ptr_null(t_find(&res->diags, "PV-29", -1));
		ck_assert_ptr_null(t_find(&res->diags, "PV-32", -1));
	}
	free(res);
}

START_TEST(test_pages_pv29_one_record)
{
	tbuf b;

	tb_init(&b);
	tb_vector_v2(&b);
	want(&b, NULL, 0);                              /* no magic: nothing to check */
	start_info(b.data + V2_PAGE2, 1, 2);
	want(&b, NULL, 0);                              /* store_mfn received */
	start_info(b.data + V2_PAGE2, 1, 5);
	want(&b, "PV-29", V2_OFF_END);                  /* store_mfn above max_pfn */
	tb_free(&b);
}
END_TEST

/* The start_info page in two PAGE_DATA records: the last copy with the
 * magic is the one PV-29 reads. */
START_TEST(test_pages_pv29_last_wins)
{
	tbuf b;
	size_t extra;

	extra = two_records(&b, 1, 5, 1, 2, 1);         /* bad, then good: good wins */
	want(&b, NULL, 0);
	tb_free(&b);
	extra = two_records(&b, 1, 2, 1, 5, 1);         /* good, then bad */
	want(&b, "PV-29", V2_OFF_END + extra);
	tb_free(&b);
	extra = two_records(&b, 1, 5, 0, 2, 1);         /* bad, then no magic: the bad one stays */
	want(&b, "PV-29", V2_OFF_END + extra);
	tb_free(&b);
	extra = two_records(&b, 0, 5, 1, 2, 1);         /* no magic, then good */
	want(&b, NULL, 0);
	tb_free(&b);
	extra = two_records(&b, 1, 2, 1, 5, 3);         /* three copies in one record: the last */
	want(&b, "PV-29", V2_OFF_END + extra);
	tb_free(&b);
	extra = two_records(&b, 1, 5, 1, 2, 3);
	want(&b, NULL, 0);
	tb_free(&b);
}
END_TEST

/* A stream with more PAGE_DATA records than the index holds: files and
 * memory check the later ones as pipes do, and a start_info page seen
 * passing then wins over the index. */
START_TEST(test_pages_index_full)
{
	tbuf b;
	size_t extra;

	migstream__test_page_index_max(1);
	extra = two_records(&b, 1, 5, 1, 2, 1);         /* indexed bad, passing good */
	want(&b, NULL, 0);
	tb_free(&b);
	extra = two_records(&b, 1, 2, 1, 5, 1);         /* indexed good, passing bad */
	want(&b, "PV-29", V2_OFF_END + extra);
	tb_free(&b);
	extra = two_records(&b, 1, 5, 0, 2, 1);         /* indexed bad, passing without magic */
	want(&b, "PV-29", V2_OFF_END + extra);
	tb_free(&b);
	extra = two_records(&b, 0, 5, 1, 2, 1);
	want(&b, NULL, 0);
	tb_free(&b);
	extra = two_records(&b, 1, 2, 1, 5, 3);
	want(&b, "PV-29", V2_OFF_END + extra);
	tb_free(&b);
	migstream__test_page_index_max(0);
}
END_TEST

START_TEST(test_pages_pv32)
{
	tbuf b;

	tb_init(&b);
	tb_vector_v2(&b);
	put64(b.data + V2_PAGE1 + 8 * 7, (UINT64_C(2) << 12) | 1);   /* present, pfn 2 */
	want(&b, NULL, 0);
	put64(b.data + V2_PAGE1 + 8 * 9, (UINT64_C(0x1000) << 12) | 1); /* present, above max_pfn */
	want(&b, "PV-32", V2_OFF_PAGE_DATA);
	start_info(b.data + V2_PAGE2, 1, 5);            /* and a bad start_info after it */
	want(&b, "PV-32", V2_OFF_PAGE_DATA);
	tb_free(&b);
}
END_TEST

/* A PAGE_DATA record cut short by the end of the input: a regular file
 * reports what memory reports (REC-1 at the end, before the record's
 * contents are looked at), not the pfn-array findings a pipe, which cannot
 * know where the input ends, reports before it reaches the end. */
START_TEST(test_pages_cut_record_file_as_memory)
{
	static uint64_t pfns[1500];
	tbuf b;
	t_result *mem, *file;

	for (size_t i = 0; i < 1500; i++)
		pfns[i] = i;
	tb_init(&b);
	tb_image_header(&b, 3, 0);
	tb_domain_header(&b, MIGSTREAM_DOMAIN_X86_HVM, 4, 20);
	size_t rec = b.len;
	tb_page_data(&b, 1500, pfns, 0x5a);
	tb_empty(&b, MIGSTREAM_REC_END);
	b.len = rec + 8 + 8 + 8 * 1500 + 4096 * 700 + 123;

	mem = run(&b, T_SRC_MEMORY);
	file = run(&b, T_SRC_FILE);
	ck_assert_int_eq(mem->rc, MIGSTREAM_E_TRUNCATED);
	ck_assert_int_eq(file->rc, mem->rc);
	ck_assert_str_eq(mem->err_rule, "REC-1");
	ck_assert_str_eq(file->err_rule, "REC-1");
	ck_assert_uint_eq(file->err.offset, b.len);
	ck_assert_uint_eq(file->diags.n, mem->diags.n);
	ck_assert_ptr_null(t_find(&file->diags, "PAGE-12", -1));
	free(mem);
	free(file);
	tb_free(&b);
}
END_TEST

static Suite *pages_suite(void)
{
	Suite *s = suite_create("pages");
	TCase *tc = tcase_create("deep");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pages_pv29_one_record);
	tcase_add_test(tc, test_pages_pv29_last_wins);
	tcase_add_test(tc, test_pages_index_full);
	tcase_add_test(tc, test_pages_pv32);
	tcase_add_test(tc, test_pages_cut_record_file_as_memory);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pages_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
