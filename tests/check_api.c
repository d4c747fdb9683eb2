/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * check_api: the API contract outside the formats themselves: versions,
 * status codes and their strings, option bounds, misuse of the lifecycle,
 * accessor type and index checks, and the name functions.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <check.h>
#include <migstream.h>

#include "testutil.h"

/* ------------------------------------------------------------ version */

START_TEST(test_api_version_macros_match_runtime)
{
	char expect[64];

	ck_assert_uint_eq(migstream_version_number(), MIGSTREAM_VERSION_NUMBER);
	ck_assert_str_eq(migstream_version_string(), MIGSTREAM_VERSION_STRING);
	ck_assert_uint_eq(MIGSTREAM_VERSION_NUMBER, MIGSTREAM_VERSION_MAJOR * 10000 +
	                  MIGSTREAM_VERSION_MINOR * 100 + MIGSTREAM_VERSION_MICRO);
	snprintf(expect, sizeof expect, "%d.%d.%d", MIGSTREAM_VERSION_MAJOR,
	         MIGSTREAM_VERSION_MINOR, MIGSTREAM_VERSION_MICRO);
	ck_assert_str_eq(migstream_version_string(), expect);
}
END_TEST

/* ------------------------------------------------------------ error codes */

#define CODE(c) { c, #c }
static const struct {
	int code;
	const char *name;
} codes[] = {
	CODE(MIGSTREAM_OK),
	CODE(MIGSTREAM_EOF),
	CODE(MIGSTREAM_E_INVAL),
	CODE(MIGSTREAM_E_STATE),
	CODE(MIGSTREAM_E_NOMEM),
	CODE(MIGSTREAM_E_IO),
	CODE(MIGSTREAM_E_AGAIN),
	CODE(MIGSTREAM_E_UNSUPPORTED),
	CODE(MIGSTREAM_E_TRUNCATED),
	CODE(MIGSTREAM_E_BAD_MAGIC),
	CODE(MIGSTREAM_E_VERSION),
	CODE(MIGSTREAM_E_HEADER),
	CODE(MIGSTREAM_E_TOO_LONG),
	CODE(MIGSTREAM_E_UNKNOWN_MANDATORY),
	CODE(MIGSTREAM_E_SEQUENCE),
	CODE(MIGSTREAM_E_TRAILING),
	CODE(MIGSTREAM_E_LEGACY),
	CODE(MIGSTREAM_E_RESERVED),
	CODE(MIGSTREAM_E_NOT_STREAM),
	CODE(MIGSTREAM_E_BODY_LENGTH),
	CODE(MIGSTREAM_E_PAGE_TYPE),
	CODE(MIGSTREAM_E_FIELD),
	CODE(MIGSTREAM_E_CONSISTENCY),
	CODE(MIGSTREAM_E_WRONG_TYPE),
	CODE(MIGSTREAM_E_RANGE),
};
#define NCODES (sizeof codes / sizeof codes[0])

/* Values in the ranges and gaps that no code uses (yet). */
static const int unknown_codes[] = {
	2, 3, 100, -7, -19, -31, -39, -46, -59, -60, -1000, INT_MAX, INT_MIN,
};
#define NUNKNOWN (sizeof unknown_codes / sizeof unknown_codes[0])

START_TEST(test_api_error_strings_defined)
{
	size_t i, j;

	for (i = 0; i < NCODES; i++) {
		const char *msg = migstream_strerror(codes[i].code);
		const char *name = migstream_error_name(codes[i].code);

		ck_assert_msg(msg != NULL && *msg, "strerror(%s) empty", codes[i].name);
		ck_assert_msg(name != NULL, "error_name(%s) NULL", codes[i].name);
		ck_assert_str_eq(name, codes[i].name);
		for (j = 0; j < i; j++) {
			ck_assert_msg(strcmp(msg, migstream_strerror(codes[j].code)) != 0,
			              "%s and %s share the message \"%s\"", codes[i].name,
			              codes[j].name, msg);
			ck_assert_str_ne(name, migstream_error_name(codes[j].code));
		}
	}
}
END_TEST

START_TEST(test_api_error_strings_unknown)
{
	size_t i, j;

	for (i = 0; i < NUNKNOWN; i++) {
		int c = unknown_codes[i];
		const char *msg = migstream_strerror(c);
		const char *name = migstream_error_name(c);

		ck_assert_msg(msg != NULL && *msg, "strerror(%d) empty", c);
		ck_assert_msg(name != NULL && *name, "error_name(%d) empty", c);
		for (j = 0; j < NCODES; j++) {
			ck_assert_msg(strcmp(msg, migstream_strerror(codes[j].code)) != 0,
			              "strerror(%d) is that of %s", c, codes[j].name);
			ck_assert_msg(strcmp(name, codes[j].name) != 0,
			              "error_name(%d) is %s", c, codes[j].name);
		}
	}
}
END_TEST

START_TEST(test_api_error_is_fatal)
{
	static const int fatal[] = {
		MIGSTREAM_E_TRUNCATED, MIGSTREAM_E_BAD_MAGIC, MIGSTREAM_E_TOO_LONG,
		MIGSTREAM_E_IO, MIGSTREAM_E_NOMEM,
	};
	static const int record_level[] = {
		MIGSTREAM_E_BODY_LENGTH, MIGSTREAM_E_PAGE_TYPE, MIGSTREAM_E_FIELD,
		MIGSTREAM_E_CONSISTENCY, MIGSTREAM_E_WRONG_TYPE, MIGSTREAM_E_RANGE,
	};
	size_t i;

	ck_assert_int_eq(migstream_error_is_fatal(MIGSTREAM_OK), 0);
	ck_assert_int_eq(migstream_error_is_fatal(MIGSTREAM_EOF), 0);
	for (i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
		ck_assert_msg(migstream_error_is_fatal(fatal[i]),
		              "%s is not fatal", migstream_error_name(fatal[i]));
	for (i = 0; i < sizeof record_level / sizeof record_level[0]; i++)
		ck_assert_msg(!migstream_error_is_fatal(record_level[i]),
		              "%s is fatal", migstream_error_name(record_level[i]));
}
END_TEST

START_TEST(test_api_severity_names)
{
	ck_assert_str_eq(migstream_severity_name(MIGSTREAM_SEV_ERROR), "error");
	ck_assert_str_eq(migstream_severity_name(MIGSTREAM_SEV_WARNING), "warning");
	ck_assert_str_eq(migstream_severity_name(MIGSTREAM_SEV_INFO), "info");
	ck_assert_ptr_nonnull(migstream_severity_name(3));
	ck_assert_ptr_nonnull(migstream_severity_name(UINT32_MAX));
}
END_TEST

/* ------------------------------------------------------------ options */

#define FIRST_OPT MIGSTREAM_OPT_MODE
#define LAST_OPT  MIGSTREAM_OPT_FEED_IN_PLACE

START_TEST(test_api_option_bounds_documented)
{
	uint64_t lo, hi;

	ck_assert_int_eq(migstream_option_bounds(MIGSTREAM_OPT_MODE, &lo, &hi), 0);
	ck_assert_uint_eq(lo, MIGSTREAM_MODE_RESTORE);
	ck_assert_uint_eq(hi, MIGSTREAM_MODE_LAX);
	ck_assert_int_eq(migstream_option_bounds(MIGSTREAM_OPT_MAX_RECORD_LEN, &lo, &hi), 0);
	ck_assert_uint_eq(lo, 8);
	ck_assert_uint_eq(hi, MIGSTREAM_MAX_RECORD_LEN);
	ck_assert_int_eq(migstream_option_bounds(MIGSTREAM_OPT_DEEP, &lo, &hi), 0);
	ck_assert_uint_eq(lo, 0);
	ck_assert_uint_eq(hi, 1);
	ck_assert_int_eq(migstream_option_bounds(MIGSTREAM_OPT_CHANNEL, &lo, &hi), 0);
	ck_assert_uint_eq(lo, 0);
	ck_assert_uint_eq(hi, 1);
	ck_assert_int_eq(migstream_option_bounds(MIGSTREAM_OPT_CLOSE_FD, &lo, &hi), 0);
	ck_assert_uint_eq(lo, 0);
	ck_assert_uint_eq(hi, 1);
	ck_assert_int_eq(migstream_option_bounds(MIGSTREAM_OPT_STREAM_KIND, &lo, &hi), 0);
	ck_assert_uint_eq(lo, MIGSTREAM_KIND_AUTO);
	ck_assert_uint_eq(hi, MIGSTREAM_KIND_COLO_BACK);
	ck_assert_int_eq(migstream_option_bounds(MIGSTREAM_OPT_GUEST_TYPE, &lo, &hi), 0);
	ck_assert_uint_eq(lo, MIGSTREAM_GUEST_UNKNOWN);
	ck_assert_uint_eq(hi, MIGSTREAM_GUEST_PVH);
}
END_TEST

START_TEST(test_api_option_defaults)
{
	migstream_reader *r = migstream_reader_new();
	uint64_t v;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(migstream_reader_get_option(r, MIGSTREAM_OPT_MODE, &v), 0);
	ck_assert_uint_eq(v, MIGSTREAM_MODE_RESTORE);
	ck_assert_int_eq(migstream_reader_get_option(r, MIGSTREAM_OPT_MAX_RECORD_LEN, &v), 0);
	ck_assert_uint_eq(v, MIGSTREAM_MAX_RECORD_LEN);
	ck_assert_int_eq(migstream_reader_get_option(r, MIGSTREAM_OPT_DEEP, &v), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(migstream_reader_get_option(r, MIGSTREAM_OPT_FORMAT, &v), 0);
	ck_assert_uint_eq(v, MIGSTREAM_FORMAT_AUTO);
	ck_assert_int_eq(migstream_reader_get_option(r, MIGSTREAM_OPT_CHANNEL, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(migstream_reader_get_option(r, MIGSTREAM_OPT_STREAM_KIND, &v), 0);
	ck_assert_uint_eq(v, MIGSTREAM_KIND_AUTO);
	ck_assert_int_eq(migstream_reader_get_option(r, MIGSTREAM_OPT_CLOSE_FD, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(migstream_reader_get_option(r, MIGSTREAM_OPT_MAX_PFN_MAP, &v), 0);
	ck_assert_uint_eq(v, 0x04000000);
	migstream_reader_free(r);
}
END_TEST

/* Every key: bounds are ordered, both ends are accepted and read back,
 * one step outside is refused with E_INVAL and leaves the value alone. */
START_TEST(test_api_option_set_in_and_out_of_bounds)
{
	int key;

	for (key = FIRST_OPT; key <= LAST_OPT; key++) {
		migstream_reader *r = migstream_reader_new();
		uint64_t lo, hi, v;

		ck_assert_ptr_nonnull(r);
		ck_assert_msg(migstream_option_bounds(key, &lo, &hi) == 0, "bounds of key %d", key);
		ck_assert_msg(lo <= hi, "key %d: min %llu > max %llu", key,
		              (unsigned long long)lo, (unsigned long long)hi);

		ck_assert_msg(migstream_reader_set_option(r, key, lo) == 0, "key %d = min", key);
		ck_assert_int_eq(migstream_reader_get_option(r, key, &v), 0);
		ck_assert_uint_eq(v, lo);
		ck_assert_msg(migstream_reader_set_option(r, key, hi) == 0, "key %d = max", key);
		ck_assert_int_eq(migstream_reader_get_option(r, key, &v), 0);
		ck_assert_uint_eq(v, hi);

		if (hi < UINT64_MAX) {
			ck_assert_msg(migstream_reader_set_option(r, key, hi + 1) == MIGSTREAM_E_INVAL,
			              "key %d = max + 1 accepted", key);
			ck_assert_int_eq(migstream_reader_get_option(r, key, &v), 0);
			ck_assert_uint_eq(v, hi);
		}
		if (lo > 0) {
			ck_assert_msg(migstream_reader_set_option(r, key, lo - 1) == MIGSTREAM_E_INVAL,
			              "key %d = min - 1 accepted", key);
		}
		/* A refused value is not a misuse: the handle stays usable. */
		ck_assert_msg(migstream_reader_set_option(r, key, lo) == 0,
		              "key %d unusable after a refused value", key);
		migstream_reader_free(r);
	}
}
END_TEST

START_TEST(test_api_option_max_record_len_cap)
{
	migstream_reader *r = migstream_reader_new();
	uint64_t v;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MAX_RECORD_LEN,
	                                             0x08000001u), MIGSTREAM_E_INVAL);
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MAX_RECORD_LEN,
	                                             UINT64_MAX), MIGSTREAM_E_INVAL);
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MAX_RECORD_LEN,
	                                             0x08000000u), 0);
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MAX_RECORD_LEN, 4096), 0);
	ck_assert_int_eq(migstream_reader_get_option(r, MIGSTREAM_OPT_MAX_RECORD_LEN, &v), 0);
	ck_assert_uint_eq(v, 4096);
	migstream_reader_free(r);
}
END_TEST

START_TEST(test_api_option_unknown_key)
{
	static const int keys[] = { 0, -1, LAST_OPT + 1, 1000, INT_MIN, INT_MAX };
	migstream_reader *r = migstream_reader_new();
	uint64_t lo, hi, v;
	size_t i;

	ck_assert_ptr_nonnull(r);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		ck_assert_int_eq(migstream_option_bounds(keys[i], &lo, &hi), MIGSTREAM_E_INVAL);
		ck_assert_int_eq(migstream_reader_set_option(r, keys[i], 0), MIGSTREAM_E_INVAL);
		ck_assert_int_eq(migstream_reader_get_option(r, keys[i], &v), MIGSTREAM_E_INVAL);
	}
	migstream_reader_free(r);
}
END_TEST

/* ------------------------------------------------------------ misuse */

/* A tiny valid stream for the lifecycle tests. */
static tbuf v1;

static void setup_v1(void)
{
	tb_init(&v1);
	tb_vector_v1(&v1);
	ck_assert_uint_eq(v1.len, V1_SIZE);
}

static void teardown_v1(void)
{
	tb_free(&v1);
}

START_TEST(test_api_misuse_before_open)
{
	migstream_reader *r = migstream_reader_new();
	const migstream_record *rec = (const migstream_record *)&rec;
	migstream_image_header ih;
	migstream_domain_header dh;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(migstream_reader_next(r, &rec), MIGSTREAM_E_STATE);
	ck_assert_ptr_null(rec);
	migstream_reader_free(r);

	r = migstream_reader_new();
	ck_assert_int_eq(migstream_reader_read_headers(r), MIGSTREAM_E_STATE);
	migstream_reader_free(r);

	r = migstream_reader_new();
	ck_assert_int_eq(migstream_reader_get_image_header(r, &ih, sizeof ih),
	                 MIGSTREAM_E_STATE);
	migstream_reader_free(r);

	r = migstream_reader_new();
	ck_assert_int_eq(migstream_reader_get_domain_header(r, &dh, sizeof dh),
	                 MIGSTREAM_E_STATE);
	migstream_reader_free(r);
}
END_TEST

START_TEST(test_api_misuse_set_option_after_open)
{
	migstream_reader *r = migstream_reader_new();

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(migstream_reader_open_memory(r, v1.data, v1.len), 0);
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MODE,
	                                             MIGSTREAM_MODE_STRICT), MIGSTREAM_E_STATE);
	migstream_reader_free(r);
}
END_TEST

START_TEST(test_api_misuse_open_twice)
{
	migstream_reader *r = migstream_reader_new();

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(migstream_reader_open_memory(r, v1.data, v1.len), 0);
	ck_assert_int_eq(migstream_reader_open_memory(r, v1.data, v1.len), MIGSTREAM_E_STATE);
	migstream_reader_free(r);

	r = migstream_reader_new();
	ck_assert_int_eq(migstream_reader_open_memory(r, v1.data, v1.len), 0);
	ck_assert_int_eq(migstream_reader_open_fd(r, 0), MIGSTREAM_E_STATE);
	migstream_reader_free(r);
}
END_TEST

START_TEST(test_api_misuse_close_twice)
{
	migstream_reader *r = migstream_reader_new();
	const migstream_record *rec;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(migstream_reader_open_memory(r, v1.data, v1.len), 0);
	ck_assert_int_eq(migstream_reader_next(r, &rec), 0);
	ck_assert_int_eq(migstream_reader_close(r), 0);
	ck_assert_int_eq(migstream_reader_close(r), MIGSTREAM_E_STATE);
	migstream_reader_free(r);
}
END_TEST

START_TEST(test_api_misuse_next_after_close)
{
	migstream_reader *r = migstream_reader_new();
	const migstream_record *rec;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(migstream_reader_open_memory(r, v1.data, v1.len), 0);
	ck_assert_int_eq(migstream_reader_close(r), 0);
	ck_assert_int_eq(migstream_reader_next(r, &rec), MIGSTREAM_E_STATE);
	migstream_reader_free(r);
}
END_TEST

START_TEST(test_api_free_null)
{
	migstream_reader_free(NULL);
}
END_TEST

START_TEST(test_api_errmsg_never_null)
{
	migstream_reader *r = migstream_reader_new();
	const migstream_record *rec;

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(migstream_reader_errmsg(r));
	ck_assert_int_eq(migstream_reader_next(r, &rec), MIGSTREAM_E_STATE);
	ck_assert_ptr_nonnull(migstream_reader_errmsg(r));
	migstream_reader_free(r);
}
END_TEST

/* ------------------------------------------------------------ error contract */

/* Every code, with whether it is fatal: a misuse (E_INVAL, E_STATE) and a
 * would-block (E_AGAIN) leave the handle's stream state intact. */
static const struct {
	int code;
	int fatal;
} fatality[] = {
	{ MIGSTREAM_OK, 0 }, { MIGSTREAM_EOF, 0 },
	{ MIGSTREAM_E_INVAL, 0 }, { MIGSTREAM_E_STATE, 0 }, { MIGSTREAM_E_NOMEM, 1 },
	{ MIGSTREAM_E_IO, 1 }, { MIGSTREAM_E_AGAIN, 0 }, { MIGSTREAM_E_UNSUPPORTED, 1 },
	{ MIGSTREAM_E_TRUNCATED, 1 }, { MIGSTREAM_E_BAD_MAGIC, 1 }, { MIGSTREAM_E_VERSION, 1 },
	{ MIGSTREAM_E_HEADER, 1 }, { MIGSTREAM_E_TOO_LONG, 1 },
	{ MIGSTREAM_E_UNKNOWN_MANDATORY, 0 }, { MIGSTREAM_E_SEQUENCE, 0 },
	{ MIGSTREAM_E_TRAILING, 1 }, { MIGSTREAM_E_LEGACY, 1 }, { MIGSTREAM_E_RESERVED, 0 },
	{ MIGSTREAM_E_NOT_STREAM, 1 },
	{ MIGSTREAM_E_BODY_LENGTH, 0 }, { MIGSTREAM_E_PAGE_TYPE, 0 }, { MIGSTREAM_E_FIELD, 0 },
	{ MIGSTREAM_E_CONSISTENCY, 0 }, { MIGSTREAM_E_WRONG_TYPE, 0 }, { MIGSTREAM_E_RANGE, 0 },
};

START_TEST(test_api_error_is_fatal_every_code)
{
	size_t i, j;

	ck_assert_uint_eq(sizeof fatality / sizeof fatality[0], NCODES);
	for (i = 0; i < NCODES; i++) {
		for (j = 0; j < NCODES && fatality[j].code != codes[i].code; j++)
			;
		ck_assert_msg(j < NCODES, "%s has no expected fatality", codes[i].name);
		ck_assert_msg(!migstream_error_is_fatal(codes[i].code) == !fatality[j].fatal,
		              "%s: migstream_error_is_fatal() gives %d", codes[i].name,
		              migstream_error_is_fatal(codes[i].code));
	}
	/* Codes no version defines yet count as fatal: a caller built today
	 * stops on a failure it does not know. */
	for (i = 0; i < NUNKNOWN; i++)
		if (unknown_codes[i] < 0)
			ck_assert(migstream_error_is_fatal(unknown_codes[i]));
}
END_TEST

/* Records of v1 read by a clean reader. */
static unsigned v1_records(void)
{
	migstream_reader *r = migstream_reader_new();
	const migstream_record *rec;
	unsigned n = 0;
	int rc;

	ck_assert_int_eq(migstream_reader_open_memory(r, v1.data, v1.len), 0);
	while ((rc = migstream_reader_next(r, &rec)) == 0)
		n++;
	ck_assert_int_eq(rc, MIGSTREAM_EOF);
	migstream_reader_free(r);
	return n;
}

START_TEST(test_api_misuse_then_read_on)
{
	migstream_reader *r = migstream_reader_new();
	const migstream_record *rec;
	void *page = NULL;
	unsigned n = 0, want = v1_records();
	int rc;

	ck_assert_int_eq(migstream_reader_open_memory(r, v1.data, v1.len), 0);
	ck_assert_int_eq(migstream_reader_next(r, &rec), 0);
	n++;
	/* Misuses between records: each fails, none is fatal... */
	rc = migstream_reader_next(r, NULL);
	ck_assert_int_eq(rc, MIGSTREAM_E_INVAL);
	ck_assert(!migstream_error_is_fatal(rc));
	rc = migstream_reader_set_option(r, MIGSTREAM_OPT_MODE, MIGSTREAM_MODE_STRICT);
	ck_assert_int_eq(rc, MIGSTREAM_E_STATE);
	ck_assert(!migstream_error_is_fatal(rc));
	ck_assert_int_eq(migstream_reader_open_memory(r, v1.data, v1.len), MIGSTREAM_E_STATE);
	ck_assert_int_eq(migstream_reader_read_pages(r, &page, 1), MIGSTREAM_E_STATE);
	/* ...and the reader still reads the rest of the stream. */
	while ((rc = migstream_reader_next(r, &rec)) == 0)
		n++;
	ck_assert_int_eq(rc, MIGSTREAM_EOF);
	ck_assert_uint_eq(n, want);
	ck_assert_uint_eq(migstream_reader_count(r, MIGSTREAM_SEV_ERROR), 0);
	ck_assert_uint_eq(migstream_reader_offset(r), v1.len);
	migstream_reader_free(r);
}
END_TEST

START_TEST(test_api_reader_after_failed_open)
{
	migstream_reader *r = migstream_reader_new();
	const migstream_record *rec;
	uint64_t v;
	unsigned n = 0;
	int rc;

	ck_assert_int_eq(migstream_reader_open_path(r, "/nonexistent/libmigstream/x.img"),
	                 MIGSTREAM_E_IO);
	ck_assert_ptr_nonnull(strstr(migstream_reader_errmsg(r), "/nonexistent/libmigstream/x.img"));
	ck_assert_int_eq(migstream_reader_open_fd(r, -1), MIGSTREAM_E_INVAL);
	ck_assert_int_eq(migstream_reader_open_io(r, NULL, 0, NULL), MIGSTREAM_E_INVAL);
	ck_assert_int_eq(migstream_reader_open_memory(r, NULL, 8), MIGSTREAM_E_INVAL);
	/* Still new: nothing to close or read, options still settable... */
	ck_assert_int_eq(migstream_reader_close(r), MIGSTREAM_E_STATE);
	ck_assert_int_eq(migstream_reader_next(r, &rec), MIGSTREAM_E_STATE);
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MODE, MIGSTREAM_MODE_STRICT), 0);
	/* ...and another open reads the stream with them. */
	ck_assert_int_eq(migstream_reader_open_memory(r, v1.data, v1.len), 0);
	ck_assert_int_eq(migstream_reader_get_option(r, MIGSTREAM_OPT_MODE, &v), 0);
	ck_assert_uint_eq(v, MIGSTREAM_MODE_STRICT);
	while ((rc = migstream_reader_next(r, &rec)) == 0)
		n++;
	ck_assert_int_eq(rc, MIGSTREAM_EOF);
	ck_assert_uint_eq(n, v1_records());
	ck_assert_int_eq(migstream_reader_close(r), 0);
	migstream_reader_free(r);

	/* Free right after a failed open. */
	r = migstream_reader_new();
	ck_assert_int_eq(migstream_reader_open_path(r, "/nonexistent/libmigstream/x.img"),
	                 MIGSTREAM_E_IO);
	migstream_reader_free(r);
}
END_TEST

START_TEST(test_api_writer_after_failed_open)
{
	char dir[] = "/tmp/check_api.XXXXXX", path[64];
	migstream_writer *w = migstream_writer_new();
	const void *data;
	size_t len;
	struct stat st;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/keep", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("user data", f);
	fclose(f);

	/* Refused: the file exists and MIGSTREAM_OPT_TRUNCATE is off. */
	ck_assert_int_eq(migstream_writer_open_path(w, path), MIGSTREAM_E_IO);
	ck_assert_ptr_nonnull(strstr(migstream_writer_errmsg(w), "MIGSTREAM_OPT_TRUNCATE"));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 9);
	ck_assert_int_eq(migstream_writer_open_fd(w, -1), MIGSTREAM_E_INVAL);
	ck_assert_int_eq(migstream_writer_open_io(w, NULL, 0, NULL), MIGSTREAM_E_INVAL);
	/* Still new: nothing to close or write, options still settable... */
	ck_assert_int_eq(migstream_writer_close(w), MIGSTREAM_E_STATE);
	ck_assert_int_eq(migstream_writer_put_end(w), MIGSTREAM_E_STATE);
	ck_assert_int_eq(migstream_writer_set_option(w, MIGSTREAM_OPT_TRUNCATE, 1), 0);
	ck_assert_int_eq(migstream_writer_set_option(w, MIGSTREAM_OPT_ATOMIC, 1), 0);
	/* ...and another open works. */
	ck_assert_int_eq(migstream_writer_open_memory(w), 0);
	ck_assert_int_eq(migstream_writer_get_memory(w, &data, &len), 0);
	ck_assert_uint_eq(len, 0);
	migstream_writer_free(w);

	/* Free right after a failed open; the file is untouched. */
	w = migstream_writer_new();
	ck_assert_int_eq(migstream_writer_open_path(w, path), MIGSTREAM_E_IO);
	migstream_writer_free(w);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 9);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* The diagnostic handler copies what it keeps (t_collect does): the
 * diagnostic itself lives on the library's stack, its message in a buffer
 * of the handle that the next finding reuses. */
static const char *first_message, *last_message;

static void copy_diag(void *ctx, const migstream_diag *d)
{
	if (!first_message)
		first_message = d->message;
	last_message = d->message;
	t_collect(ctx, d);
}

START_TEST(test_api_diag_copy_in_callback)
{
	migstream_reader *r = migstream_reader_new();
	const migstream_record *rec;
	migstream_diag err;
	char line[1024];
	t_diags ds;
	tbuf b;
	int rc;

	/* v1 with a non-zero reserved header field (a tolerated warning),
	 * cut inside its END (a fatal error); v1 has its own ORDER-11 finding
	 * in between: three findings, all messages formatted in the same
	 * buffer of the reader. */
	tb_init(&b);
	tb_bytes(&b, v1.data, v1.len - 4);
	b.data[0x12] = 0x5a;
	memset(&ds, 0, sizeof ds);
	ck_assert_int_eq(migstream_reader_set_diag_handler(r, copy_diag, &ds), 0);
	ck_assert_int_eq(migstream_reader_open_memory(r, b.data, b.len), 0);
	while ((rc = migstream_reader_next(r, &rec)) == 0)
		;
	ck_assert_int_eq(rc, MIGSTREAM_E_TRUNCATED);
	ck_assert_uint_eq(ds.n, 3);

	ck_assert_uint_eq(ds.d[0].severity, MIGSTREAM_SEV_WARNING);
	ck_assert_int_eq(ds.d[0].code, 0);
	ck_assert_str_eq(ds.d[0].rule, "IHDR-8");
	ck_assert_uint_eq(ds.d[0].record_index, MIGSTREAM_NO_RECORD);
	ck_assert_ptr_nonnull(strstr(ds.d[0].message, "image header"));

	/* The error copied in the callback is the reader's last error... */
	ck_assert_int_eq(migstream_reader_error(r, &err, sizeof err), 0);
	ck_assert_uint_eq(ds.d[2].severity, MIGSTREAM_SEV_ERROR);
	ck_assert_int_eq(ds.d[2].code, MIGSTREAM_E_TRUNCATED);
	ck_assert_int_eq(err.code, ds.d[2].code);
	ck_assert_str_eq(err.rule, ds.d[2].rule);
	ck_assert_str_eq(err.message, ds.d[2].message);
	ck_assert_uint_eq(err.offset, ds.d[2].offset);
	ck_assert_uint_eq(err.record_index, ds.d[2].record_index);
	snprintf(line, sizeof line, "%s: %s", ds.d[2].rule, ds.d[2].message);
	ck_assert_str_eq(migstream_reader_errmsg(r), line);
	/* ...and the earlier copies are still their own findings, although
	 * every message was handed over in the same buffer. */
	ck_assert_ptr_eq(first_message, last_message);
	ck_assert_ptr_nonnull(strstr(ds.d[0].message, "reserved octets"));
	ck_assert_str_eq(ds.d[1].rule, "ORDER-11");
	ck_assert_ptr_nonnull(strstr(ds.d[1].message, "HVM_PARAMS"));
	migstream_reader_free(r);
	tb_free(&b);
}
END_TEST

/* A misuse: negative, and errmsg names the function. */
#define MISUSE(errmsg, h, fn, args) do { \
	int rc_ = fn args; \
	ck_assert_msg(rc_ < 0, #fn " returned %d", rc_); \
	ck_assert_msg(strstr(errmsg(h), #fn ": ") != NULL, #fn ": errmsg \"%s\"", errmsg(h)); \
} while (0)
#define RMISUSE(fn, args) MISUSE(migstream_reader_errmsg, r, fn, args)
#define WMISUSE(fn, args) MISUSE(migstream_writer_errmsg, w, fn, args)

START_TEST(test_api_misuse_errmsg_reader)
{
	migstream_reader *r = migstream_reader_new();
	const migstream_record *rec;
	migstream_read_io io = { 0 };
	migstream_image_header ih;
	migstream_domain_header dh;
	migstream_xl_header xh;
	migstream_libxl_header lh;
	const void *data;
	size_t len;
	uint32_t fmt;
	void *page = NULL;

	/* New. */
	RMISUSE(migstream_reader_set_option, (r, 999, 0));
	RMISUSE(migstream_reader_set_option, (r, MIGSTREAM_OPT_MODE, 99));
	RMISUSE(migstream_reader_open_fd, (r, -1));
	RMISUSE(migstream_reader_open_path, (r, NULL));
	RMISUSE(migstream_reader_open_memory, (r, NULL, 1));
	RMISUSE(migstream_reader_open_io, (r, &io, sizeof io, NULL));
	RMISUSE(migstream_reader_close, (r));
	RMISUSE(migstream_reader_read_headers, (r));
	RMISUSE(migstream_reader_format, (r, &fmt));
	RMISUSE(migstream_reader_next, (r, &rec));
	RMISUSE(migstream_reader_read_pages, (r, &page, 1));
	RMISUSE(migstream_reader_trailing, (r, &data, &len));
	/* Open, before anything is read. */
	ck_assert_int_eq(migstream_reader_open_memory(r, v1.data, v1.len), 0);
	RMISUSE(migstream_reader_set_option, (r, MIGSTREAM_OPT_MODE, 0));
	RMISUSE(migstream_reader_open_memory, (r, v1.data, v1.len));
	RMISUSE(migstream_reader_format, (r, NULL));
	RMISUSE(migstream_reader_get_image_header, (r, &ih, sizeof ih));
	RMISUSE(migstream_reader_get_domain_header, (r, &dh, sizeof dh));
	/* Reading: v1 is a bare image, with no xl or libxl header. */
	ck_assert_int_eq(migstream_reader_next(r, &rec), 0);
	RMISUSE(migstream_reader_next, (r, NULL));
	RMISUSE(migstream_reader_get_image_header, (r, NULL, sizeof ih));
	RMISUSE(migstream_reader_get_domain_header, (r, NULL, sizeof dh));
	RMISUSE(migstream_reader_get_xl_header, (r, &xh, sizeof xh));
	RMISUSE(migstream_reader_get_xl_optional_data, (r, &data, &len));
	RMISUSE(migstream_reader_get_xl_optional_data, (r, NULL, &len));
	RMISUSE(migstream_reader_get_xl_config, (r, &data, &len));
	RMISUSE(migstream_reader_get_xl_config, (r, &data, NULL));
	RMISUSE(migstream_reader_get_libxl_header, (r, &lh, sizeof lh));
	RMISUSE(migstream_reader_read_pages, (r, NULL, 1));
	RMISUSE(migstream_reader_trailing, (r, NULL, &len));
	RMISUSE(migstream_reader_trailing, (r, &data, &len));
	/* Closed. */
	ck_assert_int_eq(migstream_reader_close(r), 0);
	RMISUSE(migstream_reader_close, (r));
	RMISUSE(migstream_reader_next, (r, &rec));
	RMISUSE(migstream_reader_read_headers, (r));
	migstream_reader_free(r);

	/* No handle at all: errmsg still says so. */
	ck_assert_int_eq(migstream_reader_next(NULL, &rec), MIGSTREAM_E_INVAL);
	ck_assert_str_eq(migstream_reader_errmsg(NULL), "invalid reader handle");
}
END_TEST

START_TEST(test_api_misuse_errmsg_reader_dead)
{
	migstream_reader *r = migstream_reader_new();
	const migstream_record *rec;
	char cause[1024];
	int rc;

	/* A truncated stream kills the reader... */
	ck_assert_int_eq(migstream_reader_open_memory(r, v1.data, v1.len - 4), 0);
	while ((rc = migstream_reader_next(r, &rec)) == 0)
		;
	ck_assert_int_eq(rc, MIGSTREAM_E_TRUNCATED);
	snprintf(cause, sizeof cause, "%s", migstream_reader_errmsg(r));
	/* ...every later call returns the same code with the same message... */
	ck_assert_int_eq(migstream_reader_next(r, &rec), MIGSTREAM_E_TRUNCATED);
	ck_assert_str_eq(migstream_reader_errmsg(r), cause);
	/* ...and after a misuse overwrote the message, it names the failure. */
	RMISUSE(migstream_reader_set_option, (r, MIGSTREAM_OPT_MODE, 0));
	RMISUSE(migstream_reader_next, (r, &rec));
	ck_assert_int_eq(migstream_reader_next(r, &rec), MIGSTREAM_E_TRUNCATED);
	ck_assert_ptr_nonnull(strstr(migstream_reader_errmsg(r), "MIGSTREAM_E_TRUNCATED"));
	ck_assert_int_eq(migstream_reader_read_headers(r), MIGSTREAM_E_TRUNCATED);
	ck_assert_ptr_nonnull(strstr(migstream_reader_errmsg(r), "MIGSTREAM_E_TRUNCATED"));
	migstream_reader_free(r);
}
END_TEST

START_TEST(test_api_misuse_errmsg_writer)
{
	migstream_writer *w = migstream_writer_new();
	migstream_write_io io = { 0 };
	migstream_image_header ih = { 0 };
	migstream_domain_header dh = { 0 };
	migstream_x86_pv_info pv = { 0 };
	migstream_tsc_info tsc = { 0 };
	migstream_xl_header xh = { 0 };
	migstream_libxl_header lh = { 0 };
	const void *data;
	size_t len;
	uint64_t v = 0;
	uint32_t t = 0;

	/* New: every output call says the writer is not open. */
	WMISUSE(migstream_writer_set_option, (w, 999, 0));
	WMISUSE(migstream_writer_open_fd, (w, -1));
	WMISUSE(migstream_writer_open_path, (w, NULL));
	WMISUSE(migstream_writer_open_io, (w, &io, sizeof io, NULL));
	WMISUSE(migstream_writer_get_memory, (w, &data, &len));
	WMISUSE(migstream_writer_close, (w));
	WMISUSE(migstream_writer_put_image_header, (w, &ih, sizeof ih));
	WMISUSE(migstream_writer_put_domain_header, (w, &dh, sizeof dh));
	WMISUSE(migstream_writer_put_record, (w, MIGSTREAM_REC_VERIFY, NULL, 0));
	WMISUSE(migstream_writer_put_record_iov, (w, MIGSTREAM_REC_VERIFY, NULL, 0));
	WMISUSE(migstream_writer_put_raw, (w, "", 0));
	WMISUSE(migstream_writer_put_page_data, (w, 1, &v, &t, NULL));
	WMISUSE(migstream_writer_put_x86_pv_info, (w, &pv, sizeof pv));
	WMISUSE(migstream_writer_put_p2m_frames, (w, 0, 0, &v, 1));
	WMISUSE(migstream_writer_put_vcpu, (w, MIGSTREAM_REC_X86_PV_VCPU_BASIC, 0, "", 0));
	WMISUSE(migstream_writer_put_shared_info, (w, NULL, 0));
	WMISUSE(migstream_writer_put_tsc_info, (w, &tsc, sizeof tsc));
	WMISUSE(migstream_writer_put_hvm_context, (w, "", 0));
	WMISUSE(migstream_writer_put_hvm_params, (w, 1, &v, &v));
	WMISUSE(migstream_writer_put_toolstack, (w, "", 0));
	WMISUSE(migstream_writer_put_verify, (w));
	WMISUSE(migstream_writer_put_checkpoint, (w));
	WMISUSE(migstream_writer_put_dirty_pfn_list, (w, &v, 1));
	WMISUSE(migstream_writer_put_static_data_end, (w));
	WMISUSE(migstream_writer_put_cpuid_policy, (w, NULL, 0, sizeof(migstream_cpuid_leaf)));
	WMISUSE(migstream_writer_put_msr_policy, (w, NULL, 0, sizeof(migstream_msr_entry)));
	WMISUSE(migstream_writer_put_end, (w));
	WMISUSE(migstream_writer_put_xl_header, (w, &xh, sizeof xh, NULL, 0));
	WMISUSE(migstream_writer_put_libxl_header, (w, &lh, sizeof lh));
	WMISUSE(migstream_writer_put_libxc_context, (w));
	WMISUSE(migstream_writer_put_emulator_xenstore_data, (w, 0, 0, "", 0));
	WMISUSE(migstream_writer_put_emulator_context, (w, 0, 0, "", 0));
	WMISUSE(migstream_writer_put_checkpoint_end, (w));
	WMISUSE(migstream_writer_put_checkpoint_state, (w, 0));
	/* Open: options frozen, a second open refused, bad arguments named. */
	ck_assert_int_eq(migstream_writer_open_memory(w), 0);
	WMISUSE(migstream_writer_set_option, (w, MIGSTREAM_OPT_TRUNCATE, 1));
	WMISUSE(migstream_writer_open_memory, (w));
	WMISUSE(migstream_writer_get_memory, (w, NULL, &len));
	WMISUSE(migstream_writer_put_image_header, (w, NULL, sizeof ih));
	WMISUSE(migstream_writer_put_raw, (w, "x", 1));
	WMISUSE(migstream_writer_put_domain_header, (w, &dh, sizeof dh));
	/* Closed. */
	ck_assert_int_lt(migstream_writer_close(w), 0);   /* no END: incomplete */
	WMISUSE(migstream_writer_close, (w));
	WMISUSE(migstream_writer_put_end, (w));
	migstream_writer_free(w);

	ck_assert_int_eq(migstream_writer_close(NULL), MIGSTREAM_E_INVAL);
	ck_assert_str_eq(migstream_writer_errmsg(NULL), "invalid writer handle");
}
END_TEST

static int64_t writev_eio(void *ctx, const struct iovec *iov, int iovcnt)
{
	(void)ctx;
	(void)iov;
	(void)iovcnt;
	return -EIO;
}

START_TEST(test_api_misuse_errmsg_writer_dead)
{
	migstream_writer *w = migstream_writer_new();
	migstream_write_io io = { .writev = writev_eio };
	migstream_image_header ih = { 0 };
	char cause[1024];

	ih.version = 3;
	ck_assert_int_eq(migstream_writer_open_io(w, &io, sizeof io, NULL), 0);
	ck_assert_int_eq(migstream_writer_put_image_header(w, &ih, sizeof ih), MIGSTREAM_E_IO);
	snprintf(cause, sizeof cause, "%s", migstream_writer_errmsg(w));
	ck_assert_ptr_nonnull(strstr(cause, "write failed"));
	/* Every later call returns the failure, with its message... */
	ck_assert_int_eq(migstream_writer_put_end(w), MIGSTREAM_E_IO);
	ck_assert_str_eq(migstream_writer_errmsg(w), cause);
	/* ...and once a misuse overwrote that, a message naming it. */
	WMISUSE(migstream_writer_set_option, (w, MIGSTREAM_OPT_TRUNCATE, 1));
	WMISUSE(migstream_writer_put_end, (w));
	ck_assert_ptr_nonnull(strstr(migstream_writer_errmsg(w), "MIGSTREAM_E_IO"));
	ck_assert_int_eq(migstream_writer_close(w), MIGSTREAM_E_IO);
	ck_assert_str_ne(migstream_writer_errmsg(w), "");
	migstream_writer_free(w);
}
END_TEST

/* ------------------------------------------------------------ accessors */

/* Read `data` from memory and call check(rec) on every record; the reader
 * must end with MIGSTREAM_EOF. */
static void for_each_record(const tbuf *b, void (*check)(const migstream_record *))
{
	migstream_reader *r = migstream_reader_new();
	const migstream_record *rec;
	int rc;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(migstream_reader_open_memory(r, b->data, b->len), 0);
	while ((rc = migstream_reader_next(r, &rec)) == 0)
		check(rec);
	ck_assert_msg(rc == MIGSTREAM_EOF, "next: %s: %s", migstream_error_name(rc),
	              migstream_reader_errmsg(r));
	ck_assert_int_eq(migstream_reader_next(r, &rec), MIGSTREAM_EOF);
	migstream_reader_free(r);
}

/* Accessors that must refuse a record of the wrong type. */
static void assert_wrong_type(const migstream_record *rec, uint32_t type)
{
	migstream_tsc_info tsc;
	migstream_x86_pv_info pv;
	migstream_cpuid_leaf leaf;
	migstream_msr_entry msr;
	uint64_t u64a, u64b;
	uint32_t u32a, u32b;
	const void *p;
	size_t len;
	const char *name = migstream_record_type_name(MIGSTREAM_LAYER_LIBXC, type);

#define WRONG(call) ck_assert_msg((call) == MIGSTREAM_E_WRONG_TYPE, \
		"%s: %s accepted", name, #call)
	if (type != MIGSTREAM_REC_PAGE_DATA) {
		WRONG(migstream_record_data_page_count(rec, &u32a));
		WRONG(migstream_record_get_pfn(rec, 0, &u64a, &u32a));
		WRONG(migstream_record_get_page(rec, 0, &u64a, &u32a, &p));
		WRONG(migstream_record_get_page_data_reserved(rec, &u32a));
	}
	if (type != MIGSTREAM_REC_X86_TSC_INFO)
		WRONG(migstream_record_get_tsc_info(rec, &tsc, sizeof tsc));
	if (type != MIGSTREAM_REC_X86_PV_INFO)
		WRONG(migstream_record_get_x86_pv_info(rec, &pv, sizeof pv));
	if (type != MIGSTREAM_REC_X86_PV_P2M_FRAMES) {
		WRONG(migstream_record_get_p2m_range(rec, &u32a, &u32b));
		WRONG(migstream_record_get_p2m_frame(rec, 0, &u64a));
	}
	if (type != MIGSTREAM_REC_HVM_PARAMS) {
		WRONG(migstream_record_get_hvm_param(rec, 0, &u64a, &u64b));
		WRONG(migstream_record_get_hvm_params_reserved(rec, &u32a));
	}
	if (type != MIGSTREAM_REC_X86_PV_VCPU_BASIC && type != MIGSTREAM_REC_X86_PV_VCPU_EXTENDED &&
	    type != MIGSTREAM_REC_X86_PV_VCPU_XSAVE && type != MIGSTREAM_REC_X86_PV_VCPU_MSRS)
		WRONG(migstream_record_get_vcpu(rec, &u32a, &u32b, &p, &len));
	if (type != MIGSTREAM_REC_X86_PV_VCPU_MSRS)
		WRONG(migstream_record_get_vcpu_msr(rec, 0, &msr, sizeof msr));
	if (type != MIGSTREAM_REC_SHARED_INFO && type != MIGSTREAM_REC_HVM_CONTEXT &&
	    type != MIGSTREAM_REC_TOOLSTACK && !(type & MIGSTREAM_REC_OPTIONAL))
		WRONG(migstream_record_get_blob(rec, &p, &len));
	if (type != MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST)
		WRONG(migstream_record_get_dirty_pfn(rec, 0, &u64a));
	if (type != MIGSTREAM_REC_X86_CPUID_POLICY)
		WRONG(migstream_record_get_cpuid_leaf(rec, 0, &leaf, sizeof leaf));
	if (type != MIGSTREAM_REC_X86_MSR_POLICY)
		WRONG(migstream_record_get_msr_entry(rec, 0, &msr, sizeof msr));
	switch (type) {
	case MIGSTREAM_REC_PAGE_DATA:
	case MIGSTREAM_REC_X86_PV_P2M_FRAMES:
	case MIGSTREAM_REC_HVM_PARAMS:
	case MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST:
	case MIGSTREAM_REC_X86_CPUID_POLICY:
	case MIGSTREAM_REC_X86_MSR_POLICY:
	case MIGSTREAM_REC_X86_PV_VCPU_MSRS:
		break;
	default:
		WRONG(migstream_record_count(rec, &u32a));
		break;
	}
#undef WRONG
}

static unsigned v1_seen;

/* V1 (vectors.md): SDE, PAGE_DATA (pfn 0xfeffc NOTAB + pfn 1 XTAB), TSC,
 * HVM_CONTEXT (40), HVM_PARAMS (1), END. */
static void check_v1_record(const migstream_record *rec)
{
	uint32_t type = migstream_record_type(rec);
	uint32_t n, t, reserved;
	uint64_t pfn, idx, val;
	const void *page, *p;
	size_t len, i;

	ck_assert_uint_eq(migstream_record_layer(rec), MIGSTREAM_LAYER_LIBXC);
	assert_wrong_type(rec, type);
	switch (type) {
	case MIGSTREAM_REC_PAGE_DATA:
		ck_assert_uint_eq(migstream_record_offset(rec), V1_OFF_PAGE_DATA);
		ck_assert_int_eq(migstream_record_count(rec, &n), 0);
		ck_assert_uint_eq(n, 2);
		ck_assert_int_eq(migstream_record_data_page_count(rec, &n), 0);
		ck_assert_uint_eq(n, 1);
		ck_assert_int_eq(migstream_record_get_page_data_reserved(rec, &reserved), 0);
		ck_assert_uint_eq(reserved, 0);
		ck_assert_int_eq(migstream_record_get_pfn(rec, 0, &pfn, &t), 0);
		ck_assert_uint_eq(pfn, 0xfeffc);
		ck_assert_uint_eq(t, MIGSTREAM_PAGE_NOTAB);
		ck_assert_int_eq(migstream_record_get_pfn(rec, 1, &pfn, &t), 0);
		ck_assert_uint_eq(pfn, 1);
		ck_assert_uint_eq(t, MIGSTREAM_PAGE_XTAB);
		ck_assert_int_eq(migstream_record_get_pfn(rec, 2, &pfn, &t), MIGSTREAM_E_RANGE);
		ck_assert_int_eq(migstream_record_get_pfn(rec, UINT32_MAX, &pfn, &t),
		                 MIGSTREAM_E_RANGE);
		ck_assert_int_eq(migstream_record_get_page(rec, 0, &pfn, &t, &page), 0);
		ck_assert_ptr_nonnull(page);
		for (i = 0; i < MIGSTREAM_PAGE_SIZE; i++)
			ck_assert_uint_eq(((const uint8_t *)page)[i], 0);
		ck_assert_int_eq(migstream_record_get_page(rec, 1, &pfn, &t, &page), 0);
		ck_assert_ptr_null(page);
		ck_assert_int_eq(migstream_record_get_page(rec, 0, NULL, NULL, NULL), 0);
		ck_assert_int_eq(migstream_record_get_page(rec, 2, &pfn, &t, &page),
		                 MIGSTREAM_E_RANGE);
		break;
	case MIGSTREAM_REC_X86_TSC_INFO: {
		migstream_tsc_info tsc, small;
		const unsigned char *sp = (const unsigned char *)&small;

		ck_assert_int_eq(migstream_record_get_tsc_info(rec, &tsc, sizeof tsc), 0);
		ck_assert_uint_eq(tsc.mode, 0);
		ck_assert_uint_eq(tsc.khz, 2000000);
		ck_assert_uint_eq(tsc.nsec, 312500000);
		ck_assert_uint_eq(tsc.incarnation, 1);
		ck_assert_uint_eq(tsc.reserved, 0);
		/* An older, smaller struct: only its octets are written. */
		memset(&small, 0xa5, sizeof small);
		ck_assert_int_eq(migstream_record_get_tsc_info(rec, &small, 8), 0);
		for (i = 8; i < sizeof small; i++)
			ck_assert_uint_eq(sp[i], 0xa5);
		ck_assert_int_eq(memcmp(&small, &tsc, 8), 0);
		break;
	}
	case MIGSTREAM_REC_HVM_CONTEXT:
		ck_assert_int_eq(migstream_record_get_blob(rec, &p, &len), 0);
		ck_assert_uint_eq(len, 40);
		ck_assert_ptr_nonnull(p);
		break;
	case MIGSTREAM_REC_HVM_PARAMS:
		ck_assert_int_eq(migstream_record_count(rec, &n), 0);
		ck_assert_uint_eq(n, 1);
		ck_assert_int_eq(migstream_record_get_hvm_params_reserved(rec, &reserved), 0);
		ck_assert_uint_eq(reserved, 0);
		ck_assert_int_eq(migstream_record_get_hvm_param(rec, 0, &idx, &val), 0);
		ck_assert_uint_eq(idx, 1);
		ck_assert_uint_eq(val, 0xfeffc);
		ck_assert_int_eq(migstream_record_get_hvm_param(rec, 1, &idx, &val),
		                 MIGSTREAM_E_RANGE);
		break;
	case MIGSTREAM_REC_STATIC_DATA_END:
	case MIGSTREAM_REC_END:
		ck_assert_uint_eq(migstream_record_length(rec), 0);
		break;
	default:
		ck_abort_msg("unexpected record type 0x%x in V1", (unsigned)type);
	}
	v1_seen++;
}

START_TEST(test_api_accessors_v1)
{
	v1_seen = 0;
	for_each_record(&v1, check_v1_record);
	ck_assert_uint_eq(v1_seen, 6);
}
END_TEST

static unsigned v2_seen;

/* V2 (vectors.md): PV_INFO, SDE, P2M_FRAMES (0..2, 1 frame), PAGE_DATA (3),
 * TSC, SHARED_INFO, VCPU_BASIC (vcpu 0, 5168), END. */
static void check_v2_record(const migstream_record *rec)
{
	uint32_t type = migstream_record_type(rec);
	uint32_t n, a, b;
	uint64_t pfn;
	const void *p;
	size_t len;

	assert_wrong_type(rec, type);
	switch (type) {
	case MIGSTREAM_REC_X86_PV_INFO: {
		migstream_x86_pv_info pv;

		ck_assert_int_eq(migstream_record_get_x86_pv_info(rec, &pv, sizeof pv), 0);
		ck_assert_uint_eq(pv.guest_width, 8);
		ck_assert_uint_eq(pv.pt_levels, 4);
		break;
	}
	case MIGSTREAM_REC_X86_PV_P2M_FRAMES:
		ck_assert_int_eq(migstream_record_get_p2m_range(rec, &a, &b), 0);
		ck_assert_uint_eq(a, 0);
		ck_assert_uint_eq(b, 2);
		ck_assert_int_eq(migstream_record_count(rec, &n), 0);
		ck_assert_uint_eq(n, 1);
		ck_assert_int_eq(migstream_record_get_p2m_frame(rec, 0, &pfn), 0);
		ck_assert_uint_eq(pfn, 0);
		ck_assert_int_eq(migstream_record_get_p2m_frame(rec, 1, &pfn), MIGSTREAM_E_RANGE);
		break;
	case MIGSTREAM_REC_PAGE_DATA:
		ck_assert_int_eq(migstream_record_count(rec, &n), 0);
		ck_assert_uint_eq(n, 3);
		ck_assert_int_eq(migstream_record_get_pfn(rec, 1, &pfn, &a), 0);
		ck_assert_uint_eq(pfn, 1);
		ck_assert_uint_eq(a, MIGSTREAM_PAGE_L4TAB | MIGSTREAM_PAGE_PINNED);
		ck_assert_int_eq(migstream_record_get_page(rec, 3, NULL, NULL, &p),
		                 MIGSTREAM_E_RANGE);
		break;
	case MIGSTREAM_REC_SHARED_INFO:
		ck_assert_int_eq(migstream_record_get_blob(rec, &p, &len), 0);
		ck_assert_uint_eq(len, 4096);
		break;
	case MIGSTREAM_REC_X86_PV_VCPU_BASIC:
		ck_assert_int_eq(migstream_record_get_vcpu(rec, &a, &b, &p, &len), 0);
		ck_assert_uint_eq(a, 0);
		ck_assert_uint_eq(b, 0);
		ck_assert_uint_eq(len, 5168);
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(migstream_record_get_vcpu(rec, NULL, NULL, NULL, NULL), 0);
		ck_assert_int_eq(migstream_record_get_vcpu_msr(rec, 0, &(migstream_msr_entry){0},
		                                               sizeof(migstream_msr_entry)),
		                 MIGSTREAM_E_WRONG_TYPE);
		break;
	case MIGSTREAM_REC_STATIC_DATA_END:
	case MIGSTREAM_REC_X86_TSC_INFO:
	case MIGSTREAM_REC_END:
		break;
	default:
		ck_abort_msg("unexpected record type 0x%x in V2", (unsigned)type);
	}
	v2_seen++;
}

START_TEST(test_api_accessors_v2)
{
	tbuf v2;

	tb_init(&v2);
	tb_vector_v2(&v2);
	ck_assert_uint_eq(v2.len, V2_SIZE);
	v2_seen = 0;
	for_each_record(&v2, check_v2_record);
	ck_assert_uint_eq(v2_seen, 8);
	tb_free(&v2);
}
END_TEST

/* ------------------------------------------------------------ names */

START_TEST(test_api_record_type_names)
{
	static const struct {
		uint32_t type;
		const char *name;
	} libxc[] = {
		{ MIGSTREAM_REC_END, "END" },
		{ MIGSTREAM_REC_PAGE_DATA, "PAGE_DATA" },
		{ MIGSTREAM_REC_X86_PV_INFO, "X86_PV_INFO" },
		{ MIGSTREAM_REC_X86_PV_P2M_FRAMES, "X86_PV_P2M_FRAMES" },
		{ MIGSTREAM_REC_X86_PV_VCPU_BASIC, "X86_PV_VCPU_BASIC" },
		{ MIGSTREAM_REC_X86_PV_VCPU_EXTENDED, "X86_PV_VCPU_EXTENDED" },
		{ MIGSTREAM_REC_X86_PV_VCPU_XSAVE, "X86_PV_VCPU_XSAVE" },
		{ MIGSTREAM_REC_SHARED_INFO, "SHARED_INFO" },
		{ MIGSTREAM_REC_X86_TSC_INFO, "X86_TSC_INFO" },
		{ MIGSTREAM_REC_HVM_CONTEXT, "HVM_CONTEXT" },
		{ MIGSTREAM_REC_HVM_PARAMS, "HVM_PARAMS" },
		{ MIGSTREAM_REC_TOOLSTACK, "TOOLSTACK" },
		{ MIGSTREAM_REC_X86_PV_VCPU_MSRS, "X86_PV_VCPU_MSRS" },
		{ MIGSTREAM_REC_VERIFY, "VERIFY" },
		{ MIGSTREAM_REC_CHECKPOINT, "CHECKPOINT" },
		{ MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST, "CHECKPOINT_DIRTY_PFN_LIST" },
		{ MIGSTREAM_REC_STATIC_DATA_END, "STATIC_DATA_END" },
		{ MIGSTREAM_REC_X86_CPUID_POLICY, "X86_CPUID_POLICY" },
		{ MIGSTREAM_REC_X86_MSR_POLICY, "X86_MSR_POLICY" },
	}, libxl[] = {
		{ MIGSTREAM_LIBXL_REC_END, "END" },
		{ MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT, "LIBXC_CONTEXT" },
		{ MIGSTREAM_LIBXL_REC_EMULATOR_XENSTORE_DATA, "EMULATOR_XENSTORE_DATA" },
		{ MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT, "EMULATOR_CONTEXT" },
		{ MIGSTREAM_LIBXL_REC_CHECKPOINT_END, "CHECKPOINT_END" },
		{ MIGSTREAM_LIBXL_REC_CHECKPOINT_STATE, "CHECKPOINT_STATE" },
	};
	size_t i;

	for (i = 0; i < sizeof libxc / sizeof libxc[0]; i++)
		ck_assert_str_eq(migstream_record_type_name(MIGSTREAM_LAYER_LIBXC, libxc[i].type),
		                 libxc[i].name);
	for (i = 0; i < sizeof libxl / sizeof libxl[0]; i++)
		ck_assert_str_eq(migstream_record_type_name(MIGSTREAM_LAYER_LIBXL, libxl[i].type),
		                 libxl[i].name);
	ck_assert_str_eq(migstream_record_type_name(MIGSTREAM_LAYER_LIBXC, 0x13), "UNKNOWN");
	ck_assert_str_eq(migstream_record_type_name(MIGSTREAM_LAYER_LIBXC, 0x7fffffff),
	                 "UNKNOWN");
	ck_assert_str_eq(migstream_record_type_name(MIGSTREAM_LAYER_LIBXL, 6), "UNKNOWN");
	ck_assert_str_eq(migstream_record_type_name(MIGSTREAM_LAYER_LIBXC, 0x80000000u),
	                 "OPTIONAL");
	ck_assert_str_eq(migstream_record_type_name(MIGSTREAM_LAYER_LIBXL, 0xffffffffu),
	                 "OPTIONAL");
	/* Unknown layers still get a string. */
	ck_assert_ptr_nonnull(migstream_record_type_name(MIGSTREAM_LAYER_NONE, 1));
	ck_assert_ptr_nonnull(migstream_record_type_name(99, 1));
}
END_TEST

START_TEST(test_api_page_type_names)
{
	static const struct {
		uint32_t type;
		const char *name;
		int data;
	} known[] = {
		{ MIGSTREAM_PAGE_NOTAB, "NOTAB", 1 },
		{ MIGSTREAM_PAGE_L1TAB, "L1TAB", 1 },
		{ MIGSTREAM_PAGE_L2TAB, "L2TAB", 1 },
		{ MIGSTREAM_PAGE_L3TAB, "L3TAB", 1 },
		{ MIGSTREAM_PAGE_L4TAB, "L4TAB", 1 },
		{ MIGSTREAM_PAGE_L1TAB | MIGSTREAM_PAGE_PINNED, "L1TAB|PINNED", 1 },
		{ MIGSTREAM_PAGE_L2TAB | MIGSTREAM_PAGE_PINNED, "L2TAB|PINNED", 1 },
		{ MIGSTREAM_PAGE_L3TAB | MIGSTREAM_PAGE_PINNED, "L3TAB|PINNED", 1 },
		{ MIGSTREAM_PAGE_L4TAB | MIGSTREAM_PAGE_PINNED, "L4TAB|PINNED", 1 },
		{ MIGSTREAM_PAGE_BROKEN, "BROKEN", 0 },
		{ MIGSTREAM_PAGE_XALLOC, "XALLOC", 0 },
		{ MIGSTREAM_PAGE_XTAB, "XTAB", 0 },
	};
	static const uint32_t invalid[] = { 0x5, 0x6, 0x7, 0x8, 0x10, UINT32_MAX };
	size_t i;

	for (i = 0; i < sizeof known / sizeof known[0]; i++) {
		ck_assert_str_eq(migstream_page_type_name(known[i].type), known[i].name);
		ck_assert_msg(!migstream_page_type_has_data(known[i].type) == !known[i].data,
		              "has_data(%s)", known[i].name);
	}
	for (i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
		ck_assert_str_eq(migstream_page_type_name(invalid[i]), "INVALID");
		ck_assert_int_eq(migstream_page_type_has_data(invalid[i]), 0);
	}
}
END_TEST

/* ------------------------------------------------------------ suite */

/* ---------------------------------------------------------------- rules */

START_TEST(test_api_rule_lookup_fields)
{
	migstream_rule r;

	ck_assert_uint_eq(migstream_rule_count(), 180);
	memset(&r, 0, sizeof r);
	ck_assert_int_eq(migstream_rule_lookup("PV-9", &r, sizeof r), 0);
	ck_assert_str_eq(r.id, "PV-9");
	ck_assert_uint_eq(r.severity, MIGSTREAM_RULE_ERROR);
	ck_assert_str_eq(r.severity_name, "error");
	ck_assert_uint_eq(r.layer, MIGSTREAM_LAYER_LIBXC);
	ck_assert_int_eq(r.code, MIGSTREAM_E_BODY_LENGTH);
	ck_assert_uint_eq(r.deep, 0);
	ck_assert_str_eq(r.concerns, "X86_PV_P2M_FRAMES");
	ck_assert_ptr_nonnull(strstr(r.summary, "frames"));
	ck_assert_uint_gt(strlen(r.explanation), 80);
	ck_assert_str_eq(r.xen_docs, "libxc: X86_PV_P2M_FRAMES");

	/* Case does not matter; a deep warning with no status code. */
	ck_assert_int_eq(migstream_rule_lookup("hvm-11", &r, sizeof r), 0);
	ck_assert_str_eq(r.id, "HVM-11");
	ck_assert_uint_eq(r.severity, MIGSTREAM_RULE_WARNING);
	ck_assert_int_eq(r.code, 0);
	ck_assert_uint_eq(r.deep, 1);
	/* warning/S rejects in strict mode, with its code. */
	ck_assert_int_eq(migstream_rule_lookup("REC-3", &r, sizeof r), 0);
	ck_assert_uint_eq(r.severity, MIGSTREAM_RULE_WARNING_S);
	ck_assert_str_eq(r.severity_name, "warning/S");
	ck_assert_int_eq(r.code, MIGSTREAM_E_RESERVED);
	ck_assert_int_eq(migstream_rule_lookup("LEGACY-1", NULL, 0), 0);
}
END_TEST

START_TEST(test_api_rule_lookup_unknown)
{
	migstream_rule r;

	ck_assert_int_eq(migstream_rule_lookup("PV-33", &r, sizeof r), MIGSTREAM_E_RANGE);
	ck_assert_int_eq(migstream_rule_lookup("PV-9x", &r, sizeof r), MIGSTREAM_E_RANGE);
	ck_assert_int_eq(migstream_rule_lookup("PV-", &r, sizeof r), MIGSTREAM_E_RANGE);
	ck_assert_int_eq(migstream_rule_lookup("", &r, sizeof r), MIGSTREAM_E_RANGE);
	ck_assert_int_eq(migstream_rule_lookup(NULL, &r, sizeof r), MIGSTREAM_E_INVAL);
	ck_assert_int_eq(migstream_rule_get(0, NULL, sizeof r), MIGSTREAM_E_INVAL);
	ck_assert_int_eq(migstream_rule_get(migstream_rule_count(), &r, sizeof r),
	                 MIGSTREAM_E_RANGE);
	ck_assert_int_eq(migstream_rule_get(SIZE_MAX, &r, sizeof r), MIGSTREAM_E_RANGE);
}
END_TEST

/* Every rule once, in order, with unique IDs and complete fields. */
START_TEST(test_api_rule_iterate)
{
	size_t n = migstream_rule_count();
	migstream_rule r, l;

	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(migstream_rule_get(i, &r, sizeof r), 0);
		ck_assert_uint_le(r.severity, MIGSTREAM_RULE_INFO);
		ck_assert_uint_le(r.layer, MIGSTREAM_LAYER_LIBXC);
		ck_assert_int_eq(r.code != 0, r.severity <= MIGSTREAM_RULE_WARNING_S);
		ck_assert(r.summary[0] && r.explanation[0] && r.concerns[0]);
		ck_assert_int_eq(migstream_rule_lookup(r.id, &l, sizeof l), 0);
		ck_assert_ptr_eq(l.id, r.id);     /* found at its own place: unique */
	}
	ck_assert_int_eq(migstream_rule_get(0, &r, sizeof r), 0);
	ck_assert_str_eq(r.id, "IHDR-1");
	ck_assert_int_eq(migstream_rule_get(n - 1, &r, sizeof r), 0);
	ck_assert_str_eq(r.id, "LEGACY-3");
}
END_TEST

/* A caller built against a shorter struct gets its prefix, nothing more. */
START_TEST(test_api_rule_size_passed)
{
	unsigned char buf[sizeof(migstream_rule) + 16];
	size_t part = offsetof(migstream_rule, layer);
	migstream_rule r;

	memset(buf, 0xA5, sizeof buf);
	ck_assert_int_eq(migstream_rule_get(0, (migstream_rule *)(void *)buf, part), 0);
	memcpy(&r, buf, part);
	ck_assert_str_eq(r.id, "IHDR-1");
	for (size_t i = part; i < sizeof buf; i++)
		ck_assert_uint_eq(buf[i], 0xA5);
	ck_assert_int_eq(migstream_rule_get(0, (migstream_rule *)(void *)buf, 0), 0);
}
END_TEST

static void rule_resolves(void *ctx, const migstream_diag *d)
{
	int *n = ctx;

	if (d->rule[0]) {
		ck_assert_msg(migstream_rule_lookup(d->rule, NULL, 0) == 0, "%s not in the catalogue",
		              d->rule);
		(*n)++;
	}
}

/* The rule of every finding and of the error resolves through the catalogue. */
START_TEST(test_api_rule_of_findings_resolves)
{
	migstream_reader *r = migstream_reader_new();
	const migstream_record *rec;
	migstream_diag d;
	migstream_rule rule;
	int n = 0, rc;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MODE, MIGSTREAM_MODE_LAX), 0);
	ck_assert_int_eq(migstream_reader_set_diag_handler(r, rule_resolves, &n), 0);
	ck_assert_int_eq(migstream_reader_open_memory(r, v1.data, v1.len - 4), 0);
	while ((rc = migstream_reader_next(r, &rec)) == 0)
		;
	ck_assert_int_lt(rc, 0);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(migstream_reader_error(r, &d, sizeof d), 0);
	ck_assert_int_eq(migstream_rule_lookup(d.rule, &rule, sizeof rule), 0);
	ck_assert_uint_eq(rule.severity, MIGSTREAM_RULE_ERROR);
	migstream_reader_free(r);
}
END_TEST

/* ------------------------------------------------------------ header spans */

/* One expected span: which, offset, length; length UINT64_MAX = absent. */
struct span {
	int which;
	uint64_t offset, length;
};
#define NO_SPAN UINT64_MAX

/* After the reader has read what reads to (headers, then n records), every
 * header span is as expected, from every kind of source. */
static void check_spans(const tbuf *b, int records, const struct span want[5])
{
	for (int src = 0; src < T_SRC_COUNT; src++) {
		migstream_reader *r = migstream_reader_new();
		const migstream_record *rec;
		t_source *ts;

		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MODE,
		                                             MIGSTREAM_MODE_LAX), 0);
		ts = t_open_source(r, src, b->data, b->len);
		ck_assert_ptr_nonnull(ts);
		ck_assert_int_eq(migstream_reader_read_headers(r), 0);
		for (int i = 0; i < records; i++)
			ck_assert_int_eq(migstream_reader_next(r, &rec), 0);
		for (int i = 0; i < 5; i++) {
			uint64_t off = 1, len = 1;
			int rc = migstream_reader_get_header_span(r, want[i].which, &off, &len);
			if (want[i].length == NO_SPAN) {
				ck_assert_msg(rc == MIGSTREAM_E_STATE, "%s: header %d: rc %d",
				              t_src_name(src), want[i].which, rc);
				ck_assert_ptr_nonnull(strstr(migstream_reader_errmsg(r),
				                             "migstream_reader_get_header_span: "));
				ck_assert_uint_eq(off, 1);
				ck_assert_uint_eq(len, 1);
				continue;
			}
			ck_assert_msg(rc == 0, "%s: header %d: %s", t_src_name(src), want[i].which,
			              migstream_reader_errmsg(r));
			ck_assert_uint_eq(off, want[i].offset);
			ck_assert_uint_eq(len, want[i].length);
		}
		t_close_source(ts);
		migstream_reader_free(r);
	}
}

START_TEST(test_api_header_span_xl)
{
	tbuf b;
	/* V4: xl header, optional data (config_len and the config with its
	 * NUL), the libxl header, LIBXC_CONTEXT, then the image. */
	const uint64_t opt = 4 + sizeof V4_CONFIG;
	const struct span before[5] = {
		{ MIGSTREAM_HEADER_XL, 0, 48 },
		{ MIGSTREAM_HEADER_XL_OPTIONAL, 48, opt },
		{ MIGSTREAM_HEADER_LIBXL, V4_OFF_LIBXL, 16 },
		{ MIGSTREAM_HEADER_IMAGE, 0, NO_SPAN },
		{ MIGSTREAM_HEADER_DOMAIN, 0, NO_SPAN },
	};
	const struct span after[5] = {
		{ MIGSTREAM_HEADER_XL, 0, 48 },
		{ MIGSTREAM_HEADER_XL_OPTIONAL, 48, opt },
		{ MIGSTREAM_HEADER_LIBXL, V4_OFF_LIBXL, 16 },
		{ MIGSTREAM_HEADER_IMAGE, V4_OFF_LIBXL + V3_OFF_IMAGE, 24 },
		{ MIGSTREAM_HEADER_DOMAIN, V4_OFF_LIBXL + V3_OFF_IMAGE + 24, 16 },
	};

	ck_assert_uint_eq(48 + opt, V4_OFF_LIBXL);
	tb_init(&b);
	tb_vector_v4(&b);
	check_spans(&b, 0, before);
	check_spans(&b, 1, before);   /* LIBXC_CONTEXT */
	check_spans(&b, 2, after);    /* the first libxc record, with the image headers */
	tb_free(&b);
}
END_TEST

START_TEST(test_api_header_span_libxl)
{
	tbuf b;
	const struct span before[5] = {
		{ MIGSTREAM_HEADER_XL, 0, NO_SPAN },
		{ MIGSTREAM_HEADER_XL_OPTIONAL, 0, NO_SPAN },
		{ MIGSTREAM_HEADER_LIBXL, 0, 16 },
		{ MIGSTREAM_HEADER_IMAGE, 0, NO_SPAN },
		{ MIGSTREAM_HEADER_DOMAIN, 0, NO_SPAN },
	};
	const struct span after[5] = {
		{ MIGSTREAM_HEADER_XL, 0, NO_SPAN },
		{ MIGSTREAM_HEADER_XL_OPTIONAL, 0, NO_SPAN },
		{ MIGSTREAM_HEADER_LIBXL, 0, 16 },
		{ MIGSTREAM_HEADER_IMAGE, V3_OFF_IMAGE, 24 },
		{ MIGSTREAM_HEADER_DOMAIN, V3_OFF_IMAGE + 24, 16 },
	};

	tb_init(&b);
	tb_vector_v3(&b);
	ck_assert_uint_eq(V3_OFF_LIBXC_CTX + 8, V3_OFF_IMAGE);
	check_spans(&b, 0, before);
	check_spans(&b, 2, after);
	tb_free(&b);
}
END_TEST

/* A bare libxc image: version 3 (V1) and version 2 (headers and END). */
START_TEST(test_api_header_span_libxc)
{
	tbuf b;
	const struct span want[5] = {
		{ MIGSTREAM_HEADER_XL, 0, NO_SPAN },
		{ MIGSTREAM_HEADER_XL_OPTIONAL, 0, NO_SPAN },
		{ MIGSTREAM_HEADER_LIBXL, 0, NO_SPAN },
		{ MIGSTREAM_HEADER_IMAGE, 0, 24 },
		{ MIGSTREAM_HEADER_DOMAIN, 24, 16 },
	};
	migstream_image_header ih;
	migstream_reader *r;

	check_spans(&v1, 0, want);
	check_spans(&v1, 1, want);
	tb_init(&b);
	tb_image_header(&b, 2, 0);
	tb_domain_header(&b, MIGSTREAM_DOMAIN_X86_HVM, 4, 5);
	tb_empty(&b, MIGSTREAM_REC_END);
	check_spans(&b, 0, want);
	r = migstream_reader_new();
	ck_assert_int_eq(migstream_reader_open_memory(r, b.data, b.len), 0);
	ck_assert_int_eq(migstream_reader_read_headers(r), 0);
	ck_assert_int_eq(migstream_reader_get_image_header(r, &ih, sizeof ih), 0);
	ck_assert_uint_eq(ih.version, 2);
	migstream_reader_free(r);
	tb_free(&b);
}
END_TEST

/* Before the headers are read: E_STATE for every header; bad arguments:
 * E_INVAL; a failed call leaves the outputs alone. */
START_TEST(test_api_header_span_misuse)
{
	migstream_reader *r = migstream_reader_new();
	uint64_t off = 7, len = 7;

	ck_assert_int_eq(migstream_reader_get_header_span(NULL, MIGSTREAM_HEADER_XL, &off, &len),
	                 MIGSTREAM_E_INVAL);
	for (int which = MIGSTREAM_HEADER_XL; which <= MIGSTREAM_HEADER_DOMAIN; which++)
		RMISUSE(migstream_reader_get_header_span, (r, which, &off, &len));
	ck_assert_int_eq(migstream_reader_get_header_span(r, MIGSTREAM_HEADER_XL, &off, &len),
	                 MIGSTREAM_E_STATE);
	ck_assert_int_eq(migstream_reader_open_memory(r, v1.data, v1.len), 0);
	for (int which = MIGSTREAM_HEADER_XL; which <= MIGSTREAM_HEADER_DOMAIN; which++)
		ck_assert_int_eq(migstream_reader_get_header_span(r, which, &off, &len),
		                 MIGSTREAM_E_STATE);
	ck_assert_int_eq(migstream_reader_read_headers(r), 0);
	RMISUSE(migstream_reader_get_header_span, (r, 0, &off, &len));
	RMISUSE(migstream_reader_get_header_span, (r, 6, &off, &len));
	ck_assert_int_eq(migstream_reader_get_header_span(r, 6, &off, &len), MIGSTREAM_E_INVAL);
	RMISUSE(migstream_reader_get_header_span, (r, MIGSTREAM_HEADER_IMAGE, NULL, &len));
	RMISUSE(migstream_reader_get_header_span, (r, MIGSTREAM_HEADER_IMAGE, &off, NULL));
	ck_assert_uint_eq(off, 7);
	ck_assert_uint_eq(len, 7);
	/* A misuse is not fatal: the span is there. */
	ck_assert_int_eq(migstream_reader_get_header_span(r, MIGSTREAM_HEADER_DOMAIN, &off, &len), 0);
	ck_assert_uint_eq(off, 24);
	ck_assert_uint_eq(len, 16);
	migstream_reader_free(r);
}
END_TEST

/* Every key, as the headers document it: bounds, default, and which
 * handles take it (R reader, W writer). */
static const struct {
	int key;
	uint64_t lo, hi, def;
	int reader, writer;
} opt_rows[] = {
	{ MIGSTREAM_OPT_MODE, MIGSTREAM_MODE_RESTORE, MIGSTREAM_MODE_LAX, MIGSTREAM_MODE_RESTORE, 1, 0 },
	{ MIGSTREAM_OPT_MAX_RECORD_LEN, 8, MIGSTREAM_MAX_RECORD_LEN, MIGSTREAM_MAX_RECORD_LEN, 1, 1 },
	{ MIGSTREAM_OPT_DEEP, 0, 1, 1, 1, 1 },
	{ MIGSTREAM_OPT_FORMAT, MIGSTREAM_FORMAT_AUTO, MIGSTREAM_FORMAT_XL, MIGSTREAM_FORMAT_AUTO, 1, 0 },
	{ MIGSTREAM_OPT_CHANNEL, 0, 1, 0, 1, 0 },
	{ MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_AUTO, MIGSTREAM_KIND_COLO_BACK, MIGSTREAM_KIND_AUTO, 1, 1 },
	{ MIGSTREAM_OPT_GUEST_TYPE, MIGSTREAM_GUEST_UNKNOWN, MIGSTREAM_GUEST_PVH, MIGSTREAM_GUEST_UNKNOWN, 1, 1 },
	{ MIGSTREAM_OPT_VCPUS, 0, UINT32_MAX, 0, 1, 1 },
	{ MIGSTREAM_OPT_P2M_SIZE, 0, UINT64_C(1) << 52, 0, 1, 1 },
	{ MIGSTREAM_OPT_CLOSE_FD, 0, 1, 0, 1, 1 },
	{ MIGSTREAM_OPT_BACK_CHANNEL_QUIRK, 0, 1, 0, 1, 0 },
	{ MIGSTREAM_OPT_MAX_PFN_MAP, 0, UINT64_C(1) << 40, UINT64_C(64) << 20, 1, 1 },
	{ MIGSTREAM_OPT_FEED_IN_PLACE, 0, 1, 0, 1, 0 },
	{ MIGSTREAM_OPT_RAW, 0, 1, 0, 0, 1 },
	{ MIGSTREAM_OPT_WAIT, 0, 1, 0, 0, 1 },
	{ MIGSTREAM_OPT_FILE_MODE, 0, 07777, 0666, 0, 1 },
	{ MIGSTREAM_OPT_TRUNCATE, 0, 1, 0, 0, 1 },
	{ MIGSTREAM_OPT_SYNC, 0, 1, 0, 0, 1 },
	{ MIGSTREAM_OPT_ATOMIC, 0, 1, 0, 0, 1 },
};
#define OPT_ROWS (sizeof opt_rows / sizeof opt_rows[0])

/* migstream_option_bounds() answers every key of either handle, and only
 * those: keys -2..40 outside the table are E_INVAL. */
START_TEST(test_api_option_bounds_every_key)
{
	for (int key = -2; key <= 40; key++) {
		uint64_t lo = 77, hi = 77;
		size_t i;

		for (i = 0; i < OPT_ROWS && opt_rows[i].key != key; i++)
			;
		if (i == OPT_ROWS) {
			ck_assert_msg(migstream_option_bounds(key, &lo, &hi) == MIGSTREAM_E_INVAL,
			              "key %d has bounds", key);
			continue;
		}
		ck_assert_msg(migstream_option_bounds(key, &lo, &hi) == 0, "no bounds for key %d", key);
		ck_assert_msg(lo == opt_rows[i].lo && hi == opt_rows[i].hi, "key %d: %llu..%llu", key,
		              (unsigned long long)lo, (unsigned long long)hi);
		ck_assert_int_eq(migstream_option_bounds(key, NULL, NULL), 0);
	}
}
END_TEST

/* Each writer key: its default, both bounds read back after a set, a value
 * one step outside refused (the value stays), NULL value refused. */
START_TEST(test_api_writer_option_get_after_set)
{
	for (size_t i = 0; i < OPT_ROWS; i++) {
		int key = opt_rows[i].key;
		uint64_t v = 77;

		if (!opt_rows[i].writer)
			continue;
		migstream_writer *w = migstream_writer_new();
		ck_assert_ptr_nonnull(w);
		ck_assert_msg(migstream_writer_get_option(w, key, &v) == 0, "get key %d", key);
		ck_assert_msg(v == opt_rows[i].def, "key %d default %llu", key, (unsigned long long)v);
		ck_assert_int_eq(migstream_writer_set_option(w, key, opt_rows[i].hi), 0);
		ck_assert_int_eq(migstream_writer_get_option(w, key, &v), 0);
		ck_assert_uint_eq(v, opt_rows[i].hi);
		ck_assert_int_eq(migstream_writer_set_option(w, key, opt_rows[i].lo), 0);
		ck_assert_int_eq(migstream_writer_get_option(w, key, &v), 0);
		ck_assert_uint_eq(v, opt_rows[i].lo);
		ck_assert_int_eq(migstream_writer_set_option(w, key, opt_rows[i].hi + 1), MIGSTREAM_E_INVAL);
		if (opt_rows[i].lo > 0)
			ck_assert_int_eq(migstream_writer_set_option(w, key, opt_rows[i].lo - 1), MIGSTREAM_E_INVAL);
		ck_assert_int_eq(migstream_writer_get_option(w, key, &v), 0);
		ck_assert_uint_eq(v, opt_rows[i].lo);
		ck_assert_int_eq(migstream_writer_get_option(w, key, NULL), MIGSTREAM_E_INVAL);
		migstream_writer_free(w);
	}
	uint64_t v;
	ck_assert_int_eq(migstream_writer_get_option(NULL, MIGSTREAM_OPT_RAW, &v), MIGSTREAM_E_INVAL);
}
END_TEST

/* The reader and the writer refuse each other's keys, set and get alike,
 * and unknown keys; the keys both take work on both. */
START_TEST(test_api_option_handles_refuse_each_others_keys)
{
	static const int unknown[] = { 0, -1, 14, 19, 26, 1000, INT_MIN, INT_MAX };
	migstream_reader *r = migstream_reader_new();
	migstream_writer *w = migstream_writer_new();
	uint64_t v;

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(w);
	for (size_t i = 0; i < OPT_ROWS; i++) {
		int key = opt_rows[i].key;
		int want_r = opt_rows[i].reader ? 0 : MIGSTREAM_E_INVAL;
		int want_w = opt_rows[i].writer ? 0 : MIGSTREAM_E_INVAL;

		ck_assert_msg(migstream_reader_set_option(r, key, opt_rows[i].def) == want_r, "reader set %d", key);
		ck_assert_msg(migstream_reader_get_option(r, key, &v) == want_r, "reader get %d", key);
		ck_assert_msg(migstream_writer_set_option(w, key, opt_rows[i].def) == want_w, "writer set %d", key);
		ck_assert_msg(migstream_writer_get_option(w, key, &v) == want_w, "writer get %d", key);
	}
	ck_assert_int_eq(migstream_writer_set_option(w, MIGSTREAM_OPT_MODE, 0), MIGSTREAM_E_INVAL);
	ck_assert_str_eq(migstream_writer_errmsg(w), "migstream_writer_set_option: unknown writer option 1");
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_RAW, 0), MIGSTREAM_E_INVAL);
	ck_assert_str_eq(migstream_reader_errmsg(r), "migstream_reader_set_option: unknown reader option 20");
	for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
		ck_assert_int_eq(migstream_reader_set_option(r, unknown[i], 0), MIGSTREAM_E_INVAL);
		ck_assert_int_eq(migstream_reader_get_option(r, unknown[i], &v), MIGSTREAM_E_INVAL);
		ck_assert_int_eq(migstream_writer_set_option(w, unknown[i], 0), MIGSTREAM_E_INVAL);
		ck_assert_int_eq(migstream_writer_get_option(w, unknown[i], &v), MIGSTREAM_E_INVAL);
	}
	migstream_reader_free(r);
	migstream_writer_free(w);
}
END_TEST

static Suite *api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *tc;

	tc = tcase_create("version");
	tcase_add_test(tc, test_api_version_macros_match_runtime);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_api_error_strings_defined);
	tcase_add_test(tc, test_api_error_strings_unknown);
	tcase_add_test(tc, test_api_error_is_fatal);
	tcase_add_test(tc, test_api_severity_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("options");
	tcase_add_test(tc, test_api_option_bounds_documented);
	tcase_add_test(tc, test_api_option_defaults);
	tcase_add_test(tc, test_api_option_set_in_and_out_of_bounds);
	tcase_add_test(tc, test_api_option_max_record_len_cap);
	tcase_add_test(tc, test_api_option_unknown_key);
	tcase_add_test(tc, test_api_option_bounds_every_key);
	tcase_add_test(tc, test_api_writer_option_get_after_set);
	tcase_add_test(tc, test_api_option_handles_refuse_each_others_keys);
	suite_add_tcase(s, tc);

	tc = tcase_create("misuse");
	tcase_add_checked_fixture(tc, setup_v1, teardown_v1);
	tcase_add_test(tc, test_api_misuse_before_open);
	tcase_add_test(tc, test_api_misuse_set_option_after_open);
	tcase_add_test(tc, test_api_misuse_open_twice);
	tcase_add_test(tc, test_api_misuse_close_twice);
	tcase_add_test(tc, test_api_misuse_next_after_close);
	tcase_add_test(tc, test_api_free_null);
	tcase_add_test(tc, test_api_errmsg_never_null);
	tcase_add_test(tc, test_api_error_is_fatal_every_code);
	tcase_add_test(tc, test_api_misuse_then_read_on);
	tcase_add_test(tc, test_api_reader_after_failed_open);
	tcase_add_test(tc, test_api_writer_after_failed_open);
	tcase_add_test(tc, test_api_diag_copy_in_callback);
	tcase_add_test(tc, test_api_misuse_errmsg_reader);
	tcase_add_test(tc, test_api_misuse_errmsg_reader_dead);
	tcase_add_test(tc, test_api_misuse_errmsg_writer);
	tcase_add_test(tc, test_api_misuse_errmsg_writer_dead);
	suite_add_tcase(s, tc);

	tc = tcase_create("accessors");
	tcase_add_checked_fixture(tc, setup_v1, teardown_v1);
	tcase_add_test(tc, test_api_accessors_v1);
	tcase_add_test(tc, test_api_accessors_v2);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, test_api_record_type_names);
	tcase_add_test(tc, test_api_page_type_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("rules");
	tcase_add_checked_fixture(tc, setup_v1, teardown_v1);
	tcase_add_test(tc, test_api_rule_lookup_fields);
	tcase_add_test(tc, test_api_rule_lookup_unknown);
	tcase_add_test(tc, test_api_rule_iterate);
	tcase_add_test(tc, test_api_rule_size_passed);
	tcase_add_test(tc, test_api_rule_of_findings_resolves);
	suite_add_tcase(s, tc);

	tc = tcase_create("header spans");
	tcase_add_checked_fixture(tc, setup_v1, teardown_v1);
	tcase_add_test(tc, test_api_header_span_xl);
	tcase_add_test(tc, test_api_header_span_libxl);
	tcase_add_test(tc, test_api_header_span_libxc);
	tcase_add_test(tc, test_api_header_span_misuse);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(api_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
