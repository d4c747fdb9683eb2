/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * fuzz_common.c: walking every accessor, the allocation bound, the input
 * cursor.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* Visible to the optimiser, so reads of handed-out memory are kept. */
volatile uint32_t fz_sink;

void fz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* Read every octet (ASan and valgrind see an over-read). */
static void touch(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t h = 0;

	if (p == NULL) {
		if (n)
			fz_fail("NULL pointer with length %zu", n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		h = h * 31 + b[i];
	fz_sink += h;
}

static void touch_str(const char *s)
{
	if (s == NULL)
		fz_fail("NULL string");
	touch(s, strlen(s) + 1);
}

/* Indexed getters are tried on [0, count], capped, and on UINT32_MAX. */
#define WALK_MAX 4096u

static void walk_indexed(const migstream_record *rec, uint32_t count)
{
	uint32_t lim = count < WALK_MAX ? count + 1 : WALK_MAX;
	uint32_t idx[2] = { UINT32_MAX, count };

	for (uint32_t k = 0; k < lim + 2; k++) {
		uint32_t i = k < lim ? k : idx[k - lim];
		uint64_t a, b;
		uint32_t t;
		migstream_msr_entry msr;
		migstream_cpuid_leaf leaf;
		int rc;

		rc = migstream_record_get_pfn(rec, i, &a, &t);
		if (rc == 0)
			touch_str(migstream_page_type_name(t));
		migstream_record_get_p2m_frame(rec, i, &a);
		migstream_record_get_vcpu_msr(rec, i, &msr, sizeof msr);
		migstream_record_get_vcpu_msr(rec, i, &msr, 4);
		migstream_record_get_hvm_param(rec, i, &a, &b);
		migstream_record_get_dirty_pfn(rec, i, &a);
		migstream_record_get_cpuid_leaf(rec, i, &leaf, sizeof leaf);
		migstream_record_get_cpuid_leaf(rec, i, &leaf, 6);
		migstream_record_get_msr_entry(rec, i, &msr, sizeof msr);
		if (rc == 0 && i < count) {
			/* Only PAGE_DATA has pfn entries. */
			const void *page = NULL;
			if (migstream_record_get_page(rec, i, &a, &t, &page) == 0)
				touch(page, page ? MIGSTREAM_PAGE_SIZE : 0);
		}
	}
}

static void walk_pages_read(migstream_reader *r, const migstream_record *rec)
{
	static uint8_t bufs[4][MIGSTREAM_PAGE_SIZE];
	void *const pages[4] = { bufs[0], bufs[1], bufs[2], bufs[3] };
	uint32_t n = 0;

	if (migstream_record_data_page_count(rec, &n) != 0)
		return;
	/* Read some pages, then ask for more than remain. */
	uint32_t k = n < 3 ? n : 3;
	if (migstream_reader_read_pages(r, pages, k) == 0)
		for (uint32_t i = 0; i < k; i++)
			touch(bufs[i], sizeof bufs[i]);
	migstream_reader_read_pages(r, pages, 4);
}

void fz_walk_record(migstream_reader *r, const migstream_record *rec, unsigned flags)
{
	uint32_t u, v, layer, type, count = 0;
	size_t len, pos;
	const void *p;
	const char *key, *value;
	migstream_x86_pv_info pv;
	migstream_tsc_info tsc;

	if (rec == NULL)
		return;
	layer = migstream_record_layer(rec);
	type = migstream_record_type(rec);
	touch_str(migstream_record_type_name(layer, type));
	fz_sink += migstream_record_length(rec);
	fz_sink += (uint32_t)migstream_record_offset(rec);
	fz_sink += (uint32_t)migstream_record_index(rec);
	p = migstream_record_body(rec, &len);
	touch(p, len);
	if (len > migstream_record_length(rec))
		fz_fail("record_body gives %zu octets, record_length %u", len,
		        migstream_record_length(rec));

	if (flags & 1)
		walk_pages_read(r, rec);
	if (migstream_record_count(rec, &count) != 0)
		count = 0;
	migstream_record_data_page_count(rec, &u);
	migstream_record_get_page_data_reserved(rec, &u);
	walk_indexed(rec, count);

	migstream_record_get_x86_pv_info(rec, &pv, sizeof pv);
	migstream_record_get_x86_pv_info(rec, &pv, 1);
	migstream_record_get_p2m_range(rec, &u, &v);
	p = NULL;
	len = 0;
	if (migstream_record_get_vcpu(rec, &u, &v, &p, &len) == 0)
		touch(p, len);
	migstream_record_get_vcpu(rec, NULL, NULL, NULL, NULL);
	if (migstream_record_get_blob(rec, &p, &len) == 0)
		touch(p, len);
	migstream_record_get_tsc_info(rec, &tsc, sizeof tsc);
	migstream_record_get_tsc_info(rec, &tsc, 5);
	migstream_record_get_hvm_params_reserved(rec, &u);
	migstream_record_get_emulator(rec, &u, &v);
	if (migstream_record_get_emulator_context(rec, &p, &len) == 0)
		touch(p, len);
	migstream_record_get_checkpoint_state(rec, &u);
	pos = 0;
	for (int i = 0; i < 100000; i++) {
		if (migstream_record_next_xenstore_pair(rec, &pos, &key, &value) != 0)
			break;
		touch_str(key);
		touch_str(value);
	}
}

void fz_walk_reader(migstream_reader *r)
{
	uint32_t fmt;
	const void *p;
	size_t len;
	migstream_image_header ih;
	migstream_domain_header dh;
	migstream_xl_header xh;
	migstream_libxl_header lh;
	migstream_diag d;

	migstream_reader_format(r, &fmt);
	migstream_reader_get_image_header(r, &ih, sizeof ih);
	migstream_reader_get_domain_header(r, &dh, sizeof dh);
	migstream_reader_get_xl_header(r, &xh, sizeof xh);
	migstream_reader_get_libxl_header(r, &lh, sizeof lh);
	if (migstream_reader_get_xl_optional_data(r, &p, &len) == 0)
		touch(p, len);
	if (migstream_reader_get_xl_config(r, &p, &len) == 0)
		touch(p, len);
	if (migstream_reader_trailing(r, &p, &len) == 0)
		touch(p, len);
	fz_sink += (uint32_t)migstream_reader_offset(r);
	fz_sink += (uint32_t)migstream_reader_count(r, MIGSTREAM_SEV_ERROR);
	fz_sink += (uint32_t)migstream_reader_anomalies(r);
	touch_str(migstream_reader_errmsg(r));
	if (migstream_reader_error(r, &d, sizeof d) == 0) {
		touch_str(migstream_error_name(d.code));
		if (d.rule)
			touch_str(d.rule);
		if (d.message)
			touch_str(d.message);
	}
}

int fz_read_all(migstream_reader *r, unsigned flags)
{
	const migstream_record *rec;
	int rc = 0;

	for (unsigned long n = 0; n < 100000; n++) {
		rec = NULL;
		rc = migstream_reader_next(r, &rec);
		if (rc == 0 && rec == NULL)
			fz_fail("next() returned 0 without a record");
		if (rc != 0 && rec != NULL)
			fz_fail("next() returned %d with a record", rc);
		fz_walk_reader(r);
		if (rc != 0) {
			if (rc == MIGSTREAM_EOF || migstream_error_is_fatal(rc))
				break;
			continue;
		}
		fz_walk_record(r, rec, flags ^ (unsigned)(n & 1));
	}
	/* A dead or finished handle stays so. */
	if (rc == MIGSTREAM_EOF || migstream_error_is_fatal(rc)) {
		int again = migstream_reader_next(r, &rec);
		if (again != rc && !(rc == MIGSTREAM_EOF && again == MIGSTREAM_EOF))
			fz_fail("next() after %d returned %d", rc, again);
	}
	return rc;
}

void fz_check_alloc(uint64_t cap, size_t slack, const char *what)
{
	size_t max = migstream__test_alloc_max();

	if ((uint64_t)max > cap + slack)
		fz_fail("%s: an allocation of %zu octets, above the cap %llu + %zu", what, max,
		        (unsigned long long)cap, slack);
}

uint8_t fz_u8(fz_cursor *c)
{
	if (c->n == 0)
		return 0;
	c->n--;
	return *c->p++;
}

uint32_t fz_u32(fz_cursor *c)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)fz_u8(c) << (8 * i);
	return v;
}

uint64_t fz_u64(fz_cursor *c)
{
	uint64_t lo = fz_u32(c);

	return lo | (uint64_t)fz_u32(c) << 32;
}

const uint8_t *fz_bytes(fz_cursor *c, size_t n, size_t *got)
{
	const uint8_t *p = c->p;

	if (n > c->n)
		n = c->n;
	c->p += n;
	c->n -= n;
	*got = n;
	return p;
}
